"""Apply the Shortbread rules (``shortbread.py``) to the tags of one OSM object.

This is the only per-object Python in the pipeline, so it is kept to dictionary look-ups: the rules are
compiled once into an index from tag key to rules, per kind of geometry.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from danang_sdi.tiles import shortbread as sb

Tags = Mapping[str, str]
CACHE_SIZE = 200_000

_TUNNEL = frozenset({"yes", "building_passage", "culvert"})
_BRIDGE = frozenset(
    {"yes", "viaduct", "boardwalk", "cantilever", "covered", "low_water_crossing", "movable", "trestle"}
)
_ONEWAY = frozenset({"yes", "1", "true", "-1"})
_POI_VALUES = {key: frozenset(values.split()) for key, values in sb.POI_VALUES.items()}
_Z_CLASS = {
    "motorway": 10,
    "trunk": 9,
    "primary": 8,
    "secondary": 7,
    "tertiary": 6,
    "unclassified": 5,
    "residential": 5,
    "road": 5,
    "busway": 5,
    "bus_guideway": 5,
    "living_street": 4,
    "pedestrian": 4,
    "service": 3,
    "footway": 2,
    "bridleway": 2,
    "cycleway": 2,
    "path": 2,
    "track": 2,
    "steps": 1,
    "platform": 1,
}


def nfc(text: str) -> str:
    """Vietnamese text in NFC (precomposed), the form the whole toolkit stores."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _fallback(tags: Tags, *keys: str) -> str | None:
    for key in keys:
        value = tags.get(key)
        if value:
            return nfc(value)
    return None


def _layer_number(tags: Tags) -> int:
    try:
        return max(-7, min(7, int(tags.get("layer", "0"))))
    except ValueError:
        return 0


def _is_rail(tags: Tags, rule: sb.Rule) -> bool:
    return rule.match.startswith("railway=")


def _z_order(tags: Tags, rule: sb.Rule, kind: str) -> float:
    """Rendering order of street-like features: layer, then tunnel/bridge, then road class."""
    z = 14 * _layer_number(tags)
    if tags.get("bridge") in _BRIDGE:
        z += 14
    elif tags.get("tunnel") in _TUNNEL or tags.get("covered") == "yes":
        z -= 14
    if _is_rail(tags, rule):
        z += 13 if kind == "rail" and "service" not in tags else 12 if kind == "rail" else 11
    else:
        z += _Z_CLASS.get(tags.get("highway", ""), 0)
    return float(z)


def _ref(tags: Tags) -> str | None:
    ref = tags.get("ref")
    return "\n".join(part.strip() for part in ref.split(";") if part.strip()) if ref else None


def _population(tags: Tags, kind: str) -> int:
    try:
        return int(float(tags["population"].replace(",", "").replace(" ", "")))
    except (KeyError, ValueError):
        return sb.PLACE_DEFAULT_POPULATION.get(tags.get("place", ""), 0)


def _admin_level(tags: Tags) -> int | None:
    try:
        return int(tags.get("_admin_level") or tags.get("admin_level", ""))
    except ValueError:
        return None


def _poi_extra(key: str, as_bool: bool) -> Callable[[Tags, str, sb.Rule], object]:
    condition_key, condition_values = sb.POI_EXTRA_WHEN[key]

    def source(tags: Tags, kind: str, rule: sb.Rule) -> object:
        if tags.get(condition_key) not in condition_values:
            return None
        if as_bool:
            return tags.get(key) == "yes"
        value = tags.get(key)
        return nfc(value) if value else None

    return source


def _poi_value(key: str) -> Callable[[Tags, str, sb.Rule], str | None]:
    def source(tags: Tags, kind: str, rule: sb.Rule) -> str | None:
        value = tags.get(key)
        return value if value in _POI_VALUES[key] else None

    return source


def _tag(key: str, default: str | None) -> Callable[[Tags, str, sb.Rule], str | None]:
    return lambda tags, kind, rule: nfc(tags[key]) if key in tags else default


# Each source computes one attribute value from (tags, kind, rule); None = attribute left out.
SOURCES: dict[str, Callable[[Tags, str, sb.Rule], object]] = {
    "kind": lambda tags, kind, rule: kind,
    "name": lambda tags, kind, rule: _fallback(tags, "name", "name:en", "name:de"),
    "name_en": lambda tags, kind, rule: _fallback(tags, "name:en", "name", "name:de"),
    "name_de": lambda tags, kind, rule: _fallback(tags, "name:de", "name", "name:en"),
    "tunnel": lambda tags, kind, rule: tags.get("tunnel") in _TUNNEL or tags.get("covered") == "yes",
    "bridge": lambda tags, kind, rule: tags.get("bridge") in _BRIDGE,
    "link": lambda tags, kind, rule: tags.get("highway", "").endswith("_link"),
    "rail": lambda tags, kind, rule: _is_rail(tags, rule),
    "oneway": lambda tags, kind, rule: not _is_rail(tags, rule) and tags.get("oneway") in _ONEWAY,
    "oneway_reverse": lambda tags, kind, rule: not _is_rail(tags, rule) and tags.get("oneway") == "-1",
    "tracktype": _tag("tracktype", None),
    "service": _tag("service", None),
    "surface": _tag("surface", ""),
    "bicycle": _tag("bicycle", ""),
    "horse": _tag("horse", ""),
    "ref": lambda tags, kind, rule: _ref(tags),
    "ref_rows": lambda tags, kind, rule: len(ref.split("\n")) if (ref := _ref(tags)) else None,
    "ref_cols": lambda tags, kind, rule: max(map(len, ref.split("\n"))) if (ref := _ref(tags)) else None,
    "admin_level": lambda tags, kind, rule: _admin_level(tags),
    "maritime": lambda tags, kind, rule: tags.get("maritime") == "yes" or tags.get("natural") == "coastline",
    "disputed": lambda tags, kind, rule: tags.get("disputed") == "yes" or tags.get("_disputed") == "yes",
    "population": lambda tags, kind, rule: _population(tags, kind),
    "housename": _tag("addr:housename", None),
    "housenumber": _tag("addr:housenumber", None),
    "way_area": lambda tags, kind, rule: None,  # filled in from the geometry, see osm.py
    "way_area_ha": lambda tags, kind, rule: None,
    **{f"poi:{key}": _poi_value(key) for key in sb.POI_KEYS},
    **{
        f"extra:{key}": _poi_extra(key, False)
        for key in sb.POI_EXTRA_WHEN
        if not key.startswith(("rec", "atm"))
    },
    **{f"yes:{key}": _poi_extra(key, True) for key in sb.POI_EXTRA_WHEN if key.startswith(("rec", "atm"))},
}

# Sort values by name; a layer's ``order`` names one ("-" = descending, applied when tiles are cut).
SORT_VALUES: dict[str, Callable[[Tags, sb.Rule, str], float]] = {
    "z_order": _z_order,
    "layer": lambda tags, rule, kind: float(_layer_number(tags)),
    "population": lambda tags, rule, kind: float(_population(tags, kind)),
    "way_area": lambda tags, rule, kind: 0.0,  # filled in from the geometry
}


def _parse_condition(text: str) -> tuple[tuple[str, frozenset[str] | None, bool], ...]:
    alternatives = []
    for alternative in text.split(" or "):
        negate = alternative.startswith("!")
        key, _, values = alternative.lstrip("!").partition("=")
        alternatives.append((key, frozenset(values.split("|")) if values and values != "*" else None, negate))
    return tuple(alternatives)


def _holds(tags: Tags, alternatives: tuple[tuple[str, frozenset[str] | None, bool], ...]) -> bool:
    for key, values, negate in alternatives:
        value = tags.get(key)
        present = value is not None and (values is None or value in values)
        if present != negate:
            return True
    return False


@dataclass(frozen=True, slots=True)
class _Compiled:
    order: int
    rule: sb.Rule
    layer: int
    key: str
    values: frozenset[str] | None
    conditions: tuple[tuple[tuple[str, frozenset[str] | None, bool], ...], ...]


@dataclass(frozen=True, slots=True)
class Candidate:
    """What one rule made of one OSM object: layer (index into ``LAYERS``), zoom, attributes, sort value."""

    layer: int
    minzoom: int
    properties: dict[str, object]
    sort_value: float
    grow: tuple[str, float] | None


class Classifier:
    """The compiled rule index. ``classify(tags, geometry)`` returns the features one object gives."""

    def __init__(self, rules: tuple[sb.Rule, ...] = sb.RULES, layers: tuple[sb.LayerSpec, ...] = sb.LAYERS):
        self.layers = layers
        layer_index = {layer.name: i for i, layer in enumerate(layers)}
        self._index: dict[str, dict[str, list[_Compiled]]] = {sb.POINT: {}, sb.LINE: {}, sb.AREA: {}}
        for order, rule in enumerate(rules):
            key, _, values = rule.match.partition("=")
            compiled = _Compiled(
                order,
                rule,
                layer_index[rule.layer],
                key,
                None if values == "*" else frozenset(values.split("|")),
                tuple(_parse_condition(condition) for condition in rule.when),
            )
            group = sb.AREA if rule.geometry == sb.CENTROID else rule.geometry
            self._index[group].setdefault(key, []).append(compiled)
        self._cache: dict[tuple, list[tuple[str, Candidate]]] = {}
        self.keys = frozenset(key for group in self._index.values() for key in group)
        self.keys_for = {geometry: frozenset(group) for geometry, group in self._index.items()}
        self._sort = [
            (
                SORT_VALUES[layer.order.lstrip("-")] if layer.order else None,
                -1.0 if layer.order and layer.order[0] == "-" else 1.0,
            )
            for layer in layers
        ]

    def classify(
        self, tags: Tags, geometry: str, *, closed: bool = False, from_way: bool = True
    ) -> list[tuple[str, Candidate]]:
        """Features of one object: pairs of (``area`` | ``centroid`` | ``line`` | ``point``, candidate).

        Results are cached by tag set (half the objects of a city extract repeat one: ``building=yes``, the
        segments of one street), so candidates and their ``properties`` are shared and must not be mutated.
        """
        key = (geometry, closed, from_way, *tags.items())
        found = self._cache.get(key)
        if found is None:
            found = self._classify(tags, geometry, closed, from_way)
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = found
        return found

    def _classify(
        self, tags: Tags, geometry: str, closed: bool, from_way: bool
    ) -> list[tuple[str, Candidate]]:
        index = self._index[geometry]
        hits = [compiled for key in tags if (rules := index.get(key)) for compiled in rules]
        if not hits:
            return []
        if len(hits) > 1:
            hits.sort(key=lambda compiled: compiled.order)
        done: set[str] = set()
        found = []
        for compiled in hits:
            rule = compiled.rule
            if rule.layer in done or (rule.unless_layer and rule.unless_layer in done):
                continue
            value = tags[compiled.key]
            if compiled.values is not None and value not in compiled.values:
                continue
            if not all(_holds(tags, condition) for condition in compiled.conditions):
                continue
            if (
                closed
                and geometry == sb.LINE
                and (tags.get("area") == "yes" or (not rule.closed_is_line and tags.get("area") != "no"))
            ):
                continue
            if rule.needs_area_tag and from_way and tags.get("area") != "yes":
                continue
            done.add(rule.layer)
            found.append((rule.geometry, self._candidate(compiled, tags, value)))
        return found

    def _candidate(self, compiled: _Compiled, tags: Tags, value: str) -> Candidate:
        rule = compiled.rule
        kind = rule.kind or value
        layer = self.layers[compiled.layer]
        properties = {}
        for spec in layer.fields:
            attribute = SOURCES[spec.source](tags, kind, rule)
            if attribute is not None:
                properties[spec.name] = attribute
        sort_value, sign = self._sort[compiled.layer]
        return Candidate(
            compiled.layer,
            rule.minzoom,
            properties,
            sign * sort_value(tags, rule, kind) if sort_value else 0.0,
            rule.grow,
        )
