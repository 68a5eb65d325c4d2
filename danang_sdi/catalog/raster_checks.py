"""Rules a raster layer file (``layers/rasters/<id>.yml``) must meet beyond its own shape.

Same as for vector layers: the file is named after its id, its group and owner exist (and the owner has not
ceased), and its id is not also a vector layer's (ids name tables, collections and folders alike).
"""

from __future__ import annotations

from collections.abc import Iterator

from danang_sdi.catalog.consistency import _agency_problems
from danang_sdi.catalog.models import CatalogInfo, RasterLayer
from danang_sdi.catalog.yamlfile import Problem, YamlFile


def raster_problems(
    file: YamlFile, raster: RasterLayer, info: CatalogInfo, vector_ids: set[str]
) -> Iterator[Problem]:
    if raster.id != file.path.stem:
        yield Problem(
            file.line_of(("id",)),
            f"id {raster.id!r} differs from the file name; rename the file {raster.id}.yml or fix the id",
        )
    if raster.id in vector_ids:
        yield Problem(file.line_of(("id",)), f"id {raster.id!r} is already a vector layer's id")
    groups = [g.id for g in info.groups]
    if raster.group not in groups:
        yield Problem(
            file.line_of(("group",)), f"unknown group {raster.group!r}; known groups: {', '.join(groups)}"
        )
    yield from _agency_problems(file, raster, info)
