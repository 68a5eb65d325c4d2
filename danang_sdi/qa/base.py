"""What every check shares: the problem it reports (``Issue``) and the normalised data it looks at (``Subject``).

A check is a function ``(subject, check) -> list[Issue]``: it finds the features that break its rule with
whole-array operations, then builds one ``Issue`` per problem found (only those are looped over in Python).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from danang_sdi.catalog.models import Check, CodeList, Layer, Severity

WKT_DECIMALS = 3  # millimetres in the storage CRS


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in a delivery: which rule, which feature (row index, 0-based), which field, where."""

    rule: str
    severity: Severity
    message_vi: str
    message_en: str
    feature: int | None = None
    key: dict[str, Any] | None = None
    field: str | None = None
    location: str | None = None  # WKT point in the storage CRS

    def message(self, lang: str = "vi") -> str:
        return self.message_en if lang == "en" else self.message_vi

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "rule": self.rule,
            "feature": self.feature,
            "key": self.key,
            "field": self.field,
            "message": {"vi": self.message_vi, "en": self.message_en},
            "location": self.location,
        }


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar: numpy numbers to Python, NaN/NaT to None."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


@dataclass
class Subject:
    """A delivery after normalising: attributes under catalog names, typed, geometry in the storage CRS.

    ``projected`` is False when no CRS fits the data: rules that measure (areas, distances, the city
    outline) are then skipped, since their numbers would mean nothing.
    """

    layer: Layer
    frame: gpd.GeoDataFrame
    name: str  # the file name, for messages
    code_lists: Mapping[str, CodeList] = field(default_factory=dict)
    projected: bool = True
    outline: shapely.Geometry | None = None  # the city (widened by its tolerance), in the storage CRS
    originals: pd.DataFrame | None = None  # source values under attribute names, before typing
    bad_types: Mapping[str, np.ndarray] = field(default_factory=dict)  # attribute -> rows not of its type
    absent: Sequence[str] = ()  # attributes no source field feeds
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)  # results rules share

    @cached_property
    def geometry(self) -> np.ndarray:
        """The geometries as a numpy array of shapely objects (None for missing ones)."""
        return np.asarray(self.frame.geometry.array, dtype=object)

    @cached_property
    def present(self) -> np.ndarray:
        """Features that have a non-empty geometry."""
        return ~(shapely.is_missing(self.geometry) | shapely.is_empty(self.geometry))

    @cached_property
    def valid(self) -> np.ndarray:
        """Features with a non-empty, valid geometry (what measuring rules look at)."""
        return self.present & shapely.is_valid(self.geometry)

    def original(self, name: str, index: int) -> Any:
        frame = self.originals if self.originals is not None else self.frame
        return _plain(frame[name].iat[index])

    @cached_property
    def _keys(self) -> list[tuple[str, np.ndarray]]:
        return [
            (name, self.frame[name].to_numpy(dtype=object))
            for name in self.layer.natural_key
            if name in self.frame.columns
        ]

    def key(self, index: int) -> dict[str, Any] | None:
        keys = {name: _plain(values[index]) for name, values in self._keys}
        return keys or None

    def where(self, index: int | None) -> tuple[str, str]:
        """``thua_dat.shp feature 112 (ma_xa=20242, so_to=12, so_thua=45)`` in Vietnamese and English."""
        if index is None:
            return self.name, self.name
        key = self.key(index)
        shown = f" ({', '.join(f'{k}={v}' for k, v in key.items() if v is not None)})" if key else ""
        shown = "" if shown == " ()" else shown
        return f"{self.name} đối tượng {index}{shown}", f"{self.name} feature {index}{shown}"

    def points(self, indices: Sequence[int] | np.ndarray) -> list[str | None]:
        """A WKT point on each feature's surface (for lines, a point on the line), None when empty."""
        geoms = self.geometry[np.asarray(indices, dtype=np.intp)]
        return wkt_points(shapely.point_on_surface(geoms))

    def issue(
        self,
        rule: str,
        severity: Severity,
        index: int | None,
        vi: str,
        en: str,
        *,
        field: str | None = None,
        location: str | None = None,
    ) -> Issue:
        where_vi, where_en = self.where(index)
        return Issue(
            rule=rule,
            severity=severity,
            message_vi=f"{where_vi}: {vi}",
            message_en=f"{where_en}: {en}",
            feature=index,
            key=self.key(index) if index is not None else None,
            field=field,
            location=location,
        )


def wkt_points(points: np.ndarray) -> list[str | None]:
    empty = shapely.is_empty(points) | shapely.is_missing(points)
    text = shapely.to_wkt(points, rounding_precision=WKT_DECIMALS, trim=True)
    return [None if e else t for e, t in zip(empty, text, strict=True)]


CheckFunction = Callable[[Subject, Check], list[Issue]]
