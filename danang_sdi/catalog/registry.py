"""The catalog in memory: ``load_catalog`` reads ``layers/`` and checks every file before anything uses it.

A bad file stops the load with a ``CatalogError`` that names the file and the line; nothing is half-loaded.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from danang_sdi.catalog.consistency import code_list_problems, info_problems, layer_problems
from danang_sdi.catalog.models import Agency, CatalogInfo, CodeList, Group, Layer, RasterLayer
from danang_sdi.catalog.raster_checks import raster_problems
from danang_sdi.catalog.yamlfile import YamlFile, display_path, read_yaml
from danang_sdi.errors import CatalogError, LayerNotFound
from danang_sdi.settings import Settings

INFO_FILE = "catalog.yml"
CODES_DIR = "codes"
RASTERS_DIR = "rasters"


@dataclass(frozen=True)
class Catalog:
    """Layers and code lists by id, with the catalog's groups and agencies.

    Examples
    --------
    >>> catalog = load_catalog()
    >>> catalog.get("cadastral_parcel").natural_key
    ['ma_xa', 'so_to', 'so_thua']
    >>> len(catalog.code_list("land_use_tt27_2018").codes)
    53
    """

    info: CatalogInfo
    layers: dict[str, Layer]
    code_lists: dict[str, CodeList]
    path: Path
    rasters: dict[str, RasterLayer] = field(default_factory=dict)  # layers/rasters/<id>.yml

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers.values())

    def __len__(self) -> int:
        return len(self.layers)

    def __contains__(self, layer_id: object) -> bool:
        return layer_id in self.layers

    def get(self, layer_id: str) -> Layer:
        """The layer ``layer_id``; raises ``LayerNotFound`` naming the known layers."""
        try:
            return self.layers[layer_id]
        except KeyError:
            close = difflib.get_close_matches(layer_id, self.layers, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise LayerNotFound(
                f"unknown layer {layer_id!r}{hint}; known layers: {', '.join(self.layers)}"
            ) from None

    def code_list(self, list_id: str) -> CodeList:
        try:
            return self.code_lists[list_id]
        except KeyError:
            raise CatalogError(
                f"unknown code list {list_id!r}; known code lists: {', '.join(self.code_lists)}"
            ) from None

    def code_lists_of(self, layer: Layer) -> dict[str, CodeList]:
        """The code lists ``layer``'s attributes refer to (what a validator needs for that layer)."""
        return {i: self.code_lists[i] for a in layer.attributes for i in a.code_list_ids}

    def raster(self, layer_id: str) -> RasterLayer:
        """The raster layer ``layer_id``; raises ``LayerNotFound`` naming the known raster layers."""
        try:
            return self.rasters[layer_id]
        except KeyError:
            raise LayerNotFound(
                f"unknown raster layer {layer_id!r}; known raster layers: {', '.join(self.rasters) or 'none'}"
            ) from None

    def group(self, layer: Layer | RasterLayer) -> Group:
        return next(g for g in self.info.groups if g.id == layer.group)

    def agency(self, code: str) -> Agency:
        try:
            return next(a for a in self.info.agencies if a.code == code)
        except StopIteration:
            raise CatalogError(f"unknown agency {code!r}") from None


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and check the catalog in ``path`` (default: ``DANANG_SDI_LAYERS``, else the project's ``layers/``).

    Raises ``CatalogError`` naming the file, the line and the fault on the first bad file.
    """
    directory = Path(path) if path is not None else Settings.from_env().layers_dir
    if not (directory / INFO_FILE).is_file():
        raise CatalogError(
            f"{display_path(directory)}: no {INFO_FILE} there, so not a catalog directory; "
            "point DANANG_SDI_LAYERS at the folder holding catalog.yml and the layer files"
        )
    _refuse_yaml_suffix(directory)

    info_file = read_yaml(directory / INFO_FILE)
    info = info_file.validate(CatalogInfo)
    _raise_if(info_file, list(info_problems(info_file, info)))

    code_lists: dict[str, CodeList] = {}
    for file in _files(directory / CODES_DIR):
        code_list = file.validate(CodeList)
        _raise_if(file, list(code_list_problems(file, code_list)))
        code_lists[code_list.id] = code_list

    layers: dict[str, Layer] = {}
    for file in _files(directory, skip=INFO_FILE):
        layer = file.validate(Layer)
        _raise_if(file, list(layer_problems(file, layer, info, code_lists)))
        layers[layer.id] = layer
    rasters: dict[str, RasterLayer] = {}
    for file in _files(directory / RASTERS_DIR):
        raster = file.validate(RasterLayer)
        _raise_if(file, list(raster_problems(file, raster, info, set(layers))))
        rasters[raster.id] = raster
    return Catalog(info=info, layers=layers, code_lists=code_lists, path=directory, rasters=rasters)


def _files(directory: Path, skip: str | None = None) -> Iterator[YamlFile]:
    if directory.is_dir():
        for path in sorted(directory.glob("*.yml")):
            if path.name != skip:
                yield read_yaml(path)


def _raise_if(file: YamlFile, problems: list) -> None:
    if problems:
        raise file.error(problems)


def _refuse_yaml_suffix(directory: Path) -> None:
    """A ``.yaml`` file would be skipped silently; say so instead."""
    for path in [*directory.glob("*.yaml"), *(directory / CODES_DIR).glob("*.yaml")]:
        raise CatalogError(f"{display_path(path)}: catalog files end in .yml; rename it {path.stem}.yml")
