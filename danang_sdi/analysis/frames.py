"""Rows as the catalog types them: the same frame whether it came from PostGIS or from an OGC API server.

Integers become nullable ``Int64``, numbers ``float64``, booleans ``boolean``, dates and datetimes pandas
timestamps (datetimes in UTC). A text attribute with one code list (or a code list per value of another
attribute), or with an ``enum``, becomes a ``Categorical`` whose categories are the codes in catalog order;
values outside the list are kept as extra categories, never turned into NaN. Each code-list attribute gets a
companion ``<name>_name`` column with the code's name, so a chart or a table can show words, not codes.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from danang_sdi.catalog.models import Attribute, AttributeType, CodeList, Layer

NAME_SUFFIX = "_name"
ID_COLUMN = "fid"

_NUMPY_TYPES: dict[AttributeType, str] = {
    AttributeType.integer: "Int64",
    AttributeType.number: "float64",
    AttributeType.boolean: "boolean",
    AttributeType.text: "str",
}


def categories(attribute: Attribute, code_lists: Mapping[str, CodeList]) -> list[str] | None:
    """The codes an attribute may hold, in catalog order; None when it is free text or multi-valued."""
    if attribute.type is not AttributeType.text or attribute.separator:
        return None
    if attribute.code_list_ids:
        codes: dict[str, None] = {}
        for list_id in attribute.code_list_ids:
            codes.update(dict.fromkeys(c.code for c in code_lists[list_id].codes))
        return list(codes)
    if attribute.enum:
        return [str(v) for v in attribute.enum]
    return None


def code_names(
    attribute: Attribute, code_lists: Mapping[str, CodeList], lang: str = "vi"
) -> dict[str, str] | None:
    """Code → name for an attribute's code list(s) (first entry wins), or None when it has none."""
    if not attribute.code_list_ids:
        return None
    names: dict[str, str] = {}
    for list_id in attribute.code_list_ids:
        for code in code_lists[list_id].codes:
            names.setdefault(code.code, code.name(lang))
    return names


def _name_of(value: object, names: Mapping[str, str], separator: str | None) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value)
    if separator:
        return " + ".join(names.get(part, part) for part in text.split(separator))
    return names.get(text)


def _typed(series: pd.Series, attribute: Attribute, code_lists: Mapping[str, CodeList]) -> pd.Series:
    kind = attribute.type
    if kind is AttributeType.date:
        return pd.to_datetime(series, errors="raise").astype("datetime64[ns]")
    if kind is AttributeType.datetime:
        return pd.to_datetime(series, utc=True, format="ISO8601", errors="raise")
    known = categories(attribute, code_lists)
    if known is not None:
        present = [v for v in pd.unique(series.dropna().astype(str)) if v not in set(known)]
        values = series.where(series.isna(), series.astype(str))
        return pd.Series(pd.Categorical(values, categories=known + sorted(present)), index=series.index)
    return series.astype(_NUMPY_TYPES[kind])


def typed_frame(
    frame: pd.DataFrame,
    layer: Layer,
    code_lists: Mapping[str, CodeList],
    crs: object,
    names: bool = True,
    lang: str = "vi",
    geometry: str = "geometry",
) -> gpd.GeoDataFrame:
    """``frame`` (an ``fid`` column, attribute columns, a shapely ``geometry`` column) typed by the catalog.

    Columns keep the catalog's order; ``fid`` becomes the index; ``<name>_name`` follows each code column.
    """
    out: dict[str, pd.Series] = {}
    for attribute in layer.attributes:
        if attribute.name not in frame:
            continue
        out[attribute.name] = _typed(frame[attribute.name], attribute, code_lists)
        lookup = code_names(attribute, code_lists, lang) if names else None
        if lookup is not None:
            values = [_name_of(v, lookup, attribute.separator) for v in frame[attribute.name]]
            out[attribute.name + NAME_SUFFIX] = pd.Series(values, index=frame.index, dtype="str")
    index = pd.Index(frame[ID_COLUMN].astype("int64"), name=ID_COLUMN) if ID_COLUMN in frame else None
    data = pd.DataFrame(out, index=frame.index)
    result = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(frame[geometry], index=frame.index), crs=crs)
    if index is not None:
        result.index = index
    return result
