"""Map a delivery's field names to the catalog's attributes through their aliases.

Surveyors' files name fields every which way: ``SoThuTuThua``, ``SO_THUA``, ``Số thửa``, or the DBF's
10-character truncation ``KyHieuMucD``. Names are compared after folding case, stripping Vietnamese
accents and dropping separators, and a source name also matches the 10-character truncation of an alias.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from danang_sdi.catalog.models import Layer

DBF_NAME_LENGTH = 10  # dBase field names are cut to 10 characters
_SEPARATORS = re.compile(r"[\s_\-.]+")

# How a source name matched, best first.
EXACT, NAME, ALIAS, TRUNCATED = range(4)
MATCH_KINDS = {EXACT: "exact", NAME: "name", ALIAS: "alias", TRUNCATED: "truncated alias"}


def fold_name(name: str) -> str:
    """Compare-key of a field name: no accents, no case, no separators (``Số_Thửa`` → ``sothua``)."""
    text = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SEPARATORS.sub("", text.casefold())


@dataclass(frozen=True)
class FieldMapping:
    """Which source field feeds which catalog attribute, and what is left over on each side."""

    columns: dict[str, str]  # source field -> attribute name
    how: dict[str, str] = field(default_factory=dict)  # source field -> match kind
    unmapped: list[str] = field(default_factory=list)  # source fields no attribute claims
    missing: list[str] = field(default_factory=list)  # attributes no source field feeds

    def source_of(self, attribute: str) -> str | None:
        return next((src for src, name in self.columns.items() if name == attribute), None)

    @property
    def renamed(self) -> dict[str, str]:
        """Only the source fields whose name differs from their attribute's."""
        return {src: name for src, name in self.columns.items() if src != name}

    def to_dict(self) -> dict:
        return {
            "mapped": dict(self.columns),
            "how": dict(self.how),
            "unmapped": list(self.unmapped),
            "missing": list(self.missing),
        }


def _candidates(layer: Layer) -> list[tuple[str, int, str]]:
    """(attribute, match kind, folded key) for every way a source name may refer to an attribute."""
    keys: list[tuple[str, int, str]] = []
    for attribute in layer.attributes:
        keys.append((attribute.name, NAME, fold_name(attribute.name)))
        for alias in attribute.aliases:
            keys.append((attribute.name, ALIAS, fold_name(alias)))
        for spelling in [attribute.name, *attribute.aliases]:
            if len(spelling) > DBF_NAME_LENGTH:
                keys.append((attribute.name, TRUNCATED, fold_name(spelling[:DBF_NAME_LENGTH])))
                keys.append((attribute.name, TRUNCATED, fold_name(spelling)[:DBF_NAME_LENGTH]))
    return keys


def map_fields(source_columns: Iterable[str], layer: Layer) -> FieldMapping:
    """Match source field names to the layer's attributes, best match first, each used once.

    Examples
    --------
    >>> from danang_sdi.catalog.models import Attribute, Layer, Text
    >>> t = Text(vi="x", en="x")
    >>> layer = Layer(id="p", name=t, description=t, group="g", owner="o", geometry="Polygon",
    ...     update_frequency="yearly", natural_key=["so_thua"],
    ...     attributes=[Attribute(name="so_thua", title=t, type="integer", aliases=["SoThuTuThua"])])
    >>> map_fields(["SoThuTuThu", "GHI_CHU"], layer).columns
    {'SoThuTuThu': 'so_thua'}
    """
    sources = list(source_columns)
    candidates = _candidates(layer)
    pairs: list[tuple[int, int, int, str]] = []  # (kind, source order, attribute order, attribute)
    order = {a.name: i for i, a in enumerate(layer.attributes)}
    for s_index, source in enumerate(sources):
        folded = fold_name(source)
        best: dict[str, int] = {}
        for attribute, kind, key in candidates:
            match = EXACT if source == attribute else kind if folded == key and folded else None
            if match is not None and match < best.get(attribute, TRUNCATED + 1):
                best[attribute] = match
        for attribute, kind in best.items():
            pairs.append((kind, s_index, order[attribute], attribute))
    columns: dict[str, str] = {}
    how: dict[str, str] = {}
    taken: set[str] = set()
    for kind, s_index, _, attribute in sorted(pairs):
        source = sources[s_index]
        if source in columns or attribute in taken:
            continue
        columns[source] = attribute
        how[source] = MATCH_KINDS[kind]
        taken.add(attribute)
    ordered = {s: columns[s] for s in sources if s in columns}
    return FieldMapping(
        columns=ordered,
        how={s: how[s] for s in ordered},
        unmapped=[s for s in sources if s not in columns],
        missing=[a.name for a in layer.attributes if a.name not in taken],
    )
