"""``validate_file``: read and normalise a delivery, run every rule the catalog sets for the layer, report.

The same call serves the CLI, the loader and a notebook::

    report = validate_file("thua_dat.shp", "cadastral_parcel")
    report.ok, report.to_frame()
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from danang_sdi.bulk import bulk_work
from danang_sdi.catalog.models import CodeList, Layer
from danang_sdi.qa.base import Issue, Subject
from danang_sdi.qa.fields import check_fields
from danang_sdi.qa.repair import write_fixed
from danang_sdi.qa.report import Report, sort_issues
from danang_sdi.qa.rules import LAYER_CHECKS, MEASURING, layer_checks
from danang_sdi.qa.values import coerce
from danang_sdi.sources.outline import load_outline
from danang_sdi.sources.reader import SourceFrame, read_source
from danang_sdi.sources.transform import transformer


def _outline(storage_crs: str) -> shapely.Geometry:
    outline = load_outline()
    if outline.crs == storage_crs:
        return outline.geometry
    t = transformer(outline.crs, storage_crs)
    moved = shapely.transform(outline.geometry, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    shapely.prepare(moved)
    return moved


def build_subject(source: SourceFrame, layer: Layer, code_lists: Mapping[str, CodeList]) -> Subject:
    """Rename mapped fields to attribute names and type every attribute; keep the source values alongside."""
    frame = source.frame
    by_attribute = {attribute: column for column, attribute in source.mapping.columns.items()}
    originals = pd.DataFrame(
        {name: frame[column] for name, column in by_attribute.items()}, index=frame.index
    )
    typed: dict[str, pd.Series] = {}
    bad: dict[str, np.ndarray] = {}
    for attribute in layer.attributes:
        if attribute.name in by_attribute:
            result = coerce(originals[attribute.name], attribute)
            typed[attribute.name] = result.values
            bad[attribute.name] = result.bad
    attributes = pd.DataFrame(typed, index=frame.index)
    subject_frame = gpd.GeoDataFrame(attributes, geometry=frame.geometry.values, crs=frame.crs)
    return Subject(
        layer=layer,
        frame=subject_frame,
        name=source.label,
        code_lists=code_lists,
        projected=source.crs.projected,
        outline=_outline(layer.storage_crs) if source.crs.projected else None,
        originals=originals,
        bad_types=bad,
        absent=list(source.mapping.missing),
    )


MAX_SHAPES = 5000  # problem features whose geometry the report keeps for its map


def _shapes(subject: Subject, issues: list[Issue]) -> dict[int, shapely.Geometry]:
    rows = sorted({i.feature for i in issues if i.feature is not None})[:MAX_SHAPES]
    return {row: subject.geometry[row] for row in rows if subject.geometry[row] is not None}


def validate_source(
    source: SourceFrame, layer: Layer, code_lists: Mapping[str, CodeList], subject: Subject | None = None
) -> Report:
    """Run the field rules and the layer's checks on an already read (and maybe already typed) delivery."""
    started = time.perf_counter()
    subject = subject or build_subject(source, layer, code_lists)
    issues: list[Issue] = [
        subject.issue(note.rule, note.severity, None, note.vi, note.en) for note in source.notes
    ]
    timings: dict[str, float] = {}
    tick = time.perf_counter()
    issues += check_fields(subject)
    timings["field.*"] = time.perf_counter() - tick
    run, skipped = ["field.*"], {}
    for check in layer_checks(layer):
        if check.rule in MEASURING and not subject.projected:
            skipped[check.rule] = "no CRS fits the data, so nothing can be measured"
            continue
        tick = time.perf_counter()
        issues += LAYER_CHECKS[check.rule](subject, check)
        timings[check.rule] = time.perf_counter() - tick
        run.append(check.rule)
    return Report(
        layer=layer.id,
        source=source.to_dict(),
        issues=sort_issues(issues),
        features=len(source.frame),
        rules_run=run,
        rules_skipped=skipped,
        seconds=time.perf_counter() - started,
        timings=timings,
        shapes=_shapes(subject, issues),
    )


@bulk_work()
def validate_file(
    path: str | Path,
    layer: Layer | str,
    catalog=None,
    *,
    source_layer: str | None = None,
    fix: str | Path | None = None,
) -> Report:
    """Validate the delivery at ``path`` against catalog layer ``layer`` (a ``Layer`` or its id).

    ``catalog`` supplies the code lists (default: ``load_catalog()``). Raises ``SourceError`` when the
    input cannot be read at all and ``LayerNotFound`` for an unknown layer id; problems *in* the data
    are issues of the returned ``Report``. With ``fix``, a cleaned GeoPackage is written there
    (``write_fixed``) and ``Report.fixes`` lists what changed.
    """
    started = time.perf_counter()
    if catalog is None:
        from danang_sdi.catalog import load_catalog

        catalog = load_catalog()
    if isinstance(layer, str):
        layer = catalog.get(layer)
    tick = time.perf_counter()
    source = read_source(path, layer, source_layer=source_layer)
    read_seconds = time.perf_counter() - tick
    report = validate_source(source, layer, catalog.code_lists_of(layer))
    report.timings = {"read": read_seconds, **report.timings}
    if fix is not None:
        tick = time.perf_counter()
        report.fixes = write_fixed(source, layer, fix)
        report.timings["fix"] = time.perf_counter() - tick
    report.seconds = time.perf_counter() - started
    return report


validate = validate_file
"""``danang_sdi.validate(path, layer)``: the same call under the name the package exports."""
