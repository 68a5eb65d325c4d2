"""The catalog schema: what a layer file (`layers/<id>.yml`) and a code list (`layers/codes/<id>.yml`) hold.

Everything the toolkit does with a layer (validation, tables, publishing, tiles) reads these models, so a
new layer is a new YAML file. Unknown keys are refused (``extra="forbid"``) so that a typo in a catalog
file is an error, not a silently ignored rule.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

IDENTIFIER = r"^[a-z][a-z0-9_]*$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in Vietnamese and English (both required: the toolkit speaks both)."""

    vi: str
    en: str

    def __call__(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi


class Access(StrEnum):
    public = "public"  # published over OGC API and in tiles
    internal = "internal"  # city staff only; never on the public server
    restricted = "restricted"  # personal data (owner names, ID and phone numbers): never published


class AttributeType(StrEnum):
    text = "text"
    integer = "integer"
    number = "number"
    boolean = "boolean"
    date = "date"
    datetime = "datetime"


class Severity(StrEnum):
    error = "error"
    warning = "warning"


class GeometryType(StrEnum):
    Point = "Point"
    MultiPoint = "MultiPoint"
    LineString = "LineString"
    MultiLineString = "MultiLineString"
    Polygon = "Polygon"
    MultiPolygon = "MultiPolygon"


class Provenance(StrEnum):
    """How sure we are of a catalog entry (see ``layers/README.md``)."""

    verified = "verified"  # read in the official text
    third_party = "third_party"  # seen in public, non-authoritative sources
    inferred = "inferred"  # our reading; replace when the city supplies the annex


class Code(Strict):
    code: str
    name: Text
    group: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    successor: str | None = None  # code that replaced this one
    parent: str | None = None  # e.g. the district of a pre-2025 ward

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class CodeList(Strict):
    id: str = Field(pattern=IDENTIFIER)
    name: Text
    source: str
    provenance: Provenance
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    codes: list[Code] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_codes(self) -> CodeList:
        seen: set[tuple[str, dt.date | None]] = set()
        for c in self.codes:
            key = (c.code, c.valid_from)
            if key in seen:
                raise ValueError(f"code {c.code!r} is listed twice")
            seen.add(key)
        return self

    def get(self, code: str, on: dt.date | None = None) -> Code | None:
        for c in self.codes:
            if c.code == code and (on is None or c.valid_on(on)):
                return c
        return None

    def __contains__(self, code: object) -> bool:
        return any(c.code == code for c in self.codes)


class Attribute(Strict):
    name: str = Field(pattern=IDENTIFIER)
    title: Text
    type: AttributeType
    required: bool = False
    unit: str | None = None
    max_length: int | None = Field(default=None, gt=0)
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    enum: list[str | int | float] | None = None
    code_list: str | None = None  # id of a layers/codes/<id>.yml
    code_list_by: str | None = None  # name of the attribute that picks the code list ...
    code_lists: dict[str, str] | None = None  # ... value of that attribute -> code-list id
    separator: str | None = None  # several codes in one value, e.g. "ODT+CLN"
    aliases: list[str] = Field(default_factory=list)  # field names surveyors really use
    access: Access = Access.public
    severity: Severity = Severity.error  # severity of this attribute's field.* findings
    description: Text | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern {value!r} is not a valid regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Attribute:
        if (self.code_list_by is None) != (self.code_lists is None):
            raise ValueError("code_list_by and code_lists go together")
        if self.code_list and self.code_lists:
            raise ValueError("give either code_list or code_list_by/code_lists, not both")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"minimum {self.minimum} is above maximum {self.maximum}")
        numeric = self.type in (AttributeType.integer, AttributeType.number)
        if (self.minimum is not None or self.maximum is not None) and not numeric:
            raise ValueError("minimum/maximum apply to integer and number attributes only")
        return self

    @property
    def code_list_ids(self) -> list[str]:
        if self.code_list:
            return [self.code_list]
        return sorted(set((self.code_lists or {}).values()))


RuleId = Literal[
    "key.duplicate",
    "geometry.empty",
    "geometry.invalid",
    "geometry.type",
    "geometry.outside",
    "geometry.sliver",
    "topology.overlap",
    "topology.gap",
    "area.mismatch",
    "network.dangle",
]


class Check(Strict):
    """A layer-level rule with its severity and parameters; field rules come from the attributes."""

    rule: RuleId
    severity: Severity = Severity.error
    within: list[str] = Field(default_factory=list)  # partition, e.g. planning lots within one plan
    field: str | None = None  # area.mismatch: the attribute holding the recorded area
    tolerance_pct: float | None = Field(default=None, ge=0)  # area.mismatch
    gap_width: float | None = Field(default=None, ge=0)  # topology.gap, metres
    min_area: float | None = Field(default=None, ge=0)  # geometry.sliver, m²
    snap_tolerance: float | None = Field(default=None, ge=0)  # network.dangle, metres


class Tiles(Strict):
    minzoom: int = Field(ge=0, le=22)
    maxzoom: int = Field(ge=0, le=22)
    fill: bool = True  # areas drawn filled; False for boundaries that cover the whole map (outline only)

    @model_validator(mode="after")
    def _order(self) -> Tiles:
        if self.minzoom > self.maxzoom:
            raise ValueError(f"minzoom {self.minzoom} is above maxzoom {self.maxzoom}")
        return self


class Publish(Strict):
    ogcapi: bool = True
    tiles: Tiles | None = None


class Temporal(Strict):
    start: str  # attribute holding the start of validity
    end: str | None = None


class Layer(Strict):
    id: str = Field(pattern=IDENTIFIER)
    name: Text
    description: Text
    group: str
    owner: str  # agency code, see layers/agencies.yml
    operator: str | None = None  # who runs it day to day, when not the owner
    geometry: GeometryType
    storage_crs: str = "EPSG:5899"
    update_frequency: Literal["continuous", "daily", "weekly", "monthly", "quarterly", "yearly", "on_change"]
    provenance: Provenance = Provenance.inferred
    source: str | None = None
    natural_key: list[str] = Field(min_length=1)
    attributes: list[Attribute] = Field(min_length=1)
    checks: list[Check] = Field(default_factory=list)
    publish: Publish = Field(default_factory=Publish)
    temporal: Temporal | None = None
    keywords: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_exist(self) -> Layer:
        names = [a.name for a in self.attributes]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"attribute(s) listed twice: {', '.join(sorted(dupes))}")
        known = set(names)
        referenced = list(self.natural_key)
        referenced += [a.code_list_by for a in self.attributes if a.code_list_by]
        for check in self.checks:
            referenced += check.within + ([check.field] if check.field else [])
        if self.temporal:
            referenced += [self.temporal.start] + ([self.temporal.end] if self.temporal.end else [])
        unknown = [n for n in referenced if n not in known]
        if unknown:
            raise ValueError(f"names not among the attributes: {', '.join(unknown)}")
        return self

    def attribute(self, name: str) -> Attribute:
        for a in self.attributes:
            if a.name == name:
                return a
        raise KeyError(name)

    def check(self, rule: str) -> Check | None:
        return next((c for c in self.checks if c.rule == rule), None)

    @property
    def published_attributes(self) -> list[Attribute]:
        """Attributes the public server may show: never ``restricted`` ones."""
        return [a for a in self.attributes if a.access is Access.public]


class RasterDType(StrEnum):
    uint8 = "uint8"
    uint16 = "uint16"
    int16 = "int16"
    uint32 = "uint32"
    int32 = "int32"
    float32 = "float32"
    float64 = "float64"


class Resolution(Strict):
    """Accepted pixel size, in metres of the storage CRS, after reprojection."""

    min: float = Field(gt=0)
    max: float = Field(gt=0)

    @model_validator(mode="after")
    def _order(self) -> Resolution:
        if self.min > self.max:
            raise ValueError(f"resolution min {self.min} is above max {self.max}")
        return self


class RasterBand(Strict):
    name: str = Field(pattern=IDENTIFIER)
    title: Text
    unit: str | None = None


class RasterPublish(Strict):
    ogcapi: bool = True  # OGC API Coverages, through pygeoapi's rasterio provider


class RasterLayer(Strict):
    """A raster layer (``layers/rasters/<id>.yml``): stored as a Cloud-Optimised GeoTIFF in the storage CRS."""

    kind: Literal["raster"] = "raster"
    id: str = Field(pattern=IDENTIFIER)
    name: Text
    description: Text
    group: str
    owner: str
    operator: str | None = None
    storage_crs: str = "EPSG:5899"
    update_frequency: Literal["continuous", "daily", "weekly", "monthly", "quarterly", "yearly", "on_change"]
    provenance: Provenance = Provenance.inferred
    source: str | None = None
    resolution: Resolution
    dtype: RasterDType  # stored type; a delivery's type must cast to it without loss
    nodata: float  # stored nodata; a delivery must declare its own, which is mapped to this one
    bands: list[RasterBand] = Field(min_length=1)
    resampling: Literal["nearest", "bilinear", "cubic", "average"] = "bilinear"
    compression: Literal["deflate", "lzw", "zstd", "jpeg", "webp"] = "deflate"
    publish: RasterPublish = Field(default_factory=RasterPublish)
    keywords: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _nodata_fits(self) -> RasterLayer:
        kind = np.dtype(self.dtype.value)
        if kind.kind in "iu":
            info = np.iinfo(kind)
            if not (float(self.nodata).is_integer() and info.min <= self.nodata <= info.max):
                raise ValueError(f"nodata {self.nodata:g} is not a {self.dtype} value")
        names = [b.name for b in self.bands]
        if len(set(names)) != len(names):
            raise ValueError("band names must be unique")
        return self


class Agency(Strict):
    code: str
    name: Text
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    successor: str | None = None


class Group(Strict):
    id: str = Field(pattern=IDENTIFIER)
    name: Text
    family: Literal["administrative", "cadastral", "planning", "traffic", "utilities", "base"]


class CatalogInfo(Strict):
    """``layers/catalog.yml``: what the catalog is, its legal basis, its groups and agencies."""

    id: str
    title: Text
    legal_basis: str
    provenance: Provenance
    version: str
    storage_crs: str = "EPSG:5899"
    publish_crs: list[str] = Field(
        default_factory=lambda: ["OGC:CRS84", "EPSG:4326", "EPSG:3857", "EPSG:5899"]
    )
    groups: list[Group]
    agencies: list[Agency]
    extra: dict[str, Any] = Field(default_factory=dict)
