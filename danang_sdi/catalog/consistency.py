"""Rules that span files or that the models cannot see alone, each reported at the line that breaks it.

The models check one file's shape; these check that the files agree: a layer's group, owner and code lists
exist, its aliases do not point two ways, its checks fit its geometry, and the file is named after its id.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from danang_sdi.catalog.models import AttributeType, CatalogInfo, CodeList, GeometryType, Layer
from danang_sdi.catalog.yamlfile import Problem, YamlFile

POLYGONS = {GeometryType.Polygon, GeometryType.MultiPolygon}
LINES = {GeometryType.LineString, GeometryType.MultiLineString}

# Which geometries a rule makes sense for, and which of its parameters it reads.
RULE_GEOMETRIES = {
    "geometry.sliver": POLYGONS,
    "topology.overlap": POLYGONS,
    "topology.gap": POLYGONS,
    "area.mismatch": POLYGONS,
    "network.dangle": LINES,
}
RULE_PARAMETERS = {
    "key.duplicate": set(),
    "geometry.empty": set(),
    "geometry.invalid": set(),
    "geometry.type": set(),
    "geometry.outside": set(),
    "geometry.sliver": {"min_area"},
    "topology.overlap": {"within"},
    "topology.gap": {"within", "gap_width"},
    "area.mismatch": {"field", "tolerance_pct"},
    "network.dangle": {"snap_tolerance"},
}
PARAMETERS = {"within", "field", "tolerance_pct", "gap_width", "min_area", "snap_tolerance"}
NUMERIC = {AttributeType.integer, AttributeType.number}


def info_problems(file: YamlFile, info: CatalogInfo) -> Iterator[Problem]:
    yield from _duplicates(file, "groups", [g.id for g in info.groups], "group")
    yield from _duplicates(file, "agencies", [a.code for a in info.agencies], "agency")
    codes = {a.code for a in info.agencies}
    for i, agency in enumerate(info.agencies):
        if agency.successor and agency.successor not in codes:
            yield Problem(
                file.line_of(("agencies", i, "successor")),
                f"agency {agency.code}: successor {agency.successor!r} is not among the agencies",
            )
        if agency.valid_from and agency.valid_to and agency.valid_from > agency.valid_to:
            yield Problem(
                file.line_of(("agencies", i)), f"agency {agency.code}: valid_from is after valid_to"
            )


def code_list_problems(file: YamlFile, code_list: CodeList) -> Iterator[Problem]:
    if code_list.id != file.path.stem:
        yield Problem(
            file.line_of(("id",)),
            f"id {code_list.id!r} differs from the file name; rename the file {code_list.id}.yml or fix the id",
        )
    for i, code in enumerate(code_list.codes):
        if code.successor is not None and code.successor not in code_list:
            yield Problem(
                file.line_of(("codes", i, "successor")),
                f"code {code.code}: successor {code.successor!r} is not in code list {code_list.id}",
            )
        if code.valid_from and code.valid_to and code.valid_from > code.valid_to:
            yield Problem(file.line_of(("codes", i)), f"code {code.code}: valid_from is after valid_to")


def layer_problems(
    file: YamlFile, layer: Layer, info: CatalogInfo, code_lists: dict[str, CodeList]
) -> Iterator[Problem]:
    if layer.id != file.path.stem:
        yield Problem(
            file.line_of(("id",)),
            f"id {layer.id!r} differs from the file name; rename the file {layer.id}.yml or fix the id",
        )
    groups = [g.id for g in info.groups]
    if layer.group not in groups:
        yield Problem(
            file.line_of(("group",)), f"unknown group {layer.group!r}; known groups: {', '.join(groups)}"
        )
    yield from _agency_problems(file, layer, info)
    yield from _attribute_problems(file, layer, code_lists)
    yield from _alias_problems(file, layer)
    yield from _check_problems(file, layer)


def _agency_problems(file: YamlFile, layer: Layer, info: CatalogInfo) -> Iterator[Problem]:
    agencies = {a.code: a for a in info.agencies}
    for key in ("owner", "operator"):
        code = getattr(layer, key)
        if code is None:
            continue
        agency = agencies.get(code)
        if agency is None:
            yield Problem(
                file.line_of((key,)),
                f"unknown {key} {code!r}: not an agency of catalog.yml; known agencies: {', '.join(agencies)}",
            )
        elif agency.valid_to is not None:
            successor = f"; use its successor {agency.successor!r}" if agency.successor else ""
            yield Problem(file.line_of((key,)), f"{key} {code!r} ceased on {agency.valid_to}{successor}")


def _attribute_problems(file: YamlFile, layer: Layer, code_lists: dict[str, CodeList]) -> Iterator[Problem]:
    by_name = {a.name: a for a in layer.attributes}
    for i, attribute in enumerate(layer.attributes):
        where = ("attributes", i)
        references: list[tuple[Any, str]] = []
        if attribute.code_list:
            references.append(((*where, "code_list"), attribute.code_list))
        for value, list_id in (attribute.code_lists or {}).items():
            references.append(((*where, "code_lists", value), list_id))
        for loc, list_id in references:
            if list_id not in code_lists:
                yield Problem(
                    file.line_of(loc),
                    f"attribute {attribute.name}: unknown code list {list_id!r}; "
                    f"add layers/codes/{list_id}.yml or use one of: {', '.join(sorted(code_lists))}",
                )
        if attribute.code_list_by and attribute.code_lists:
            selector = by_name[attribute.code_list_by]
            if selector.enum is not None and set(map(str, selector.enum)) != set(attribute.code_lists):
                yield Problem(
                    file.line_of((*where, "code_lists")),
                    f"attribute {attribute.name}: code_lists keys {sorted(attribute.code_lists)} differ from "
                    f"the values of {selector.name} {sorted(map(str, selector.enum))}",
                )
        if attribute.enum is not None and not _enum_fits(attribute.type, attribute.enum):
            yield Problem(
                file.line_of((*where, "enum")),
                f"attribute {attribute.name}: enum values {attribute.enum} are not all of type {attribute.type}",
            )
    for i, name in enumerate(layer.natural_key):
        if not by_name[name].required:
            yield Problem(
                file.line_of(("natural_key", i)),
                f"natural key attribute {name} must be required: true (a key cannot be empty)",
            )
    if layer.temporal:
        for key in ("start", "end"):
            name = getattr(layer.temporal, key)
            if name and by_name[name].type not in (AttributeType.date, AttributeType.datetime):
                yield Problem(
                    file.line_of(("temporal", key)),
                    f"temporal {key} {name} must be a date or datetime attribute",
                )


def _enum_fits(kind: AttributeType, values: list) -> bool:
    if kind is AttributeType.text:
        return all(isinstance(v, str) for v in values)
    if kind is AttributeType.integer:
        return all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    if kind is AttributeType.number:
        return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    return False


def _alias_problems(file: YamlFile, layer: Layer) -> Iterator[Problem]:
    """An alias (compared case-insensitively) must lead to one attribute only."""
    owner = {a.name.casefold(): a.name for a in layer.attributes}
    for i, attribute in enumerate(layer.attributes):
        for j, alias in enumerate(attribute.aliases):
            key = alias.casefold()
            taken = owner.setdefault(key, attribute.name)
            if taken != attribute.name:
                yield Problem(
                    file.line_of(("attributes", i, "aliases", j)),
                    f"alias {alias!r} of {attribute.name} already names attribute {taken}",
                )


def _check_problems(file: YamlFile, layer: Layer) -> Iterator[Problem]:
    seen: set[str] = set()
    by_name = {a.name: a for a in layer.attributes}
    for i, check in enumerate(layer.checks):
        where = ("checks", i)
        if check.rule in seen:
            yield Problem(file.line_of(where), f"rule {check.rule} is listed twice")
        seen.add(check.rule)
        geometries = RULE_GEOMETRIES.get(check.rule)
        if geometries and layer.geometry not in geometries:
            kinds = ", ".join(sorted(geometries))
            yield Problem(
                file.line_of(where), f"rule {check.rule} needs a {kinds} layer, not {layer.geometry}"
            )
        given = {p for p in PARAMETERS if getattr(check, p) not in (None, [])}
        for extra in sorted(given - RULE_PARAMETERS[check.rule]):
            yield Problem(file.line_of((*where, extra)), f"rule {check.rule} does not use {extra!r}")
        if check.rule == "area.mismatch":
            if check.field is None or check.tolerance_pct is None:
                yield Problem(file.line_of(where), "rule area.mismatch needs field and tolerance_pct")
            elif by_name[check.field].type not in NUMERIC:
                yield Problem(
                    file.line_of((*where, "field")), f"area.mismatch field {check.field} is not numeric"
                )


def _duplicates(file: YamlFile, key: str, values: list[str], what: str) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            yield Problem(file.line_of((key, i)), f"{what} {value!r} is listed twice")
        seen.add(value)
