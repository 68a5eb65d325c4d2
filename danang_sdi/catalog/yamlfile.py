"""Read one catalog YAML file and keep where each value was written, so that errors can name the line.

PyYAML's ``safe_load`` forgets positions; composing the file first keeps every node's mark. The same
node tree also catches what ``safe_load`` lets through silently: a key given twice (the last one would
win) and text that is not Unicode NFC (TCVN 6909:2001 text must be composed).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from danang_sdi.catalog.messages import describe, without_explained_missing
from danang_sdi.errors import CatalogError

Loc = Sequence[str | int]
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~7x faster than pure Python
MAX_PROBLEMS = 5  # per message: enough to fix a file in one go, short enough to read


def display_path(path: Path) -> str:
    """The path as the user typed it: relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


@dataclass(frozen=True)
class YamlFile:
    """A parsed YAML file: its plain data and its node tree (for line numbers)."""

    path: Path
    data: Any
    root: yaml.Node | None

    def line_of(self, loc: Loc) -> int:
        """1-based line of the value at ``loc`` (keys and indexes), or of its deepest existing parent."""
        return self._walk(loc)[1]

    def _walk(self, loc: Loc) -> tuple[yaml.Node | None, int]:
        """The node at ``loc`` and its 1-based line (a mapping entry's line is its key's).

        Steps that do not match the tree (pydantic adds union tags such as ``'str'``, or names a missing key)
        are skipped, so any pydantic error location maps to a line.
        """
        node = self.root
        if node is None:
            return None, 1
        line = node.start_mark.line
        for step in loc:
            if isinstance(node, yaml.MappingNode) and isinstance(step, str):
                entry = next(((k, v) for k, v in node.value if k.value == step), None)
                if entry is not None:
                    line, node = entry[0].start_mark.line, entry[1]
            elif (
                isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value)
            ):
                node = node.value[step]
                line = node.start_mark.line
        return node, line + 1

    def error(self, problems: list[Problem]) -> CatalogError:
        """One error naming the file and every line that is wrong, first line first."""
        where = display_path(self.path)
        ordered = sorted(problems, key=lambda p: p.line)
        first, rest = ordered[0], ordered[1:MAX_PROBLEMS]
        text = f"{where} line {first.line}: {first.message}"
        text += "".join(f"; line {p.line}: {p.message}" for p in rest)
        if len(ordered) > MAX_PROBLEMS:
            text += f"; and {len(ordered) - MAX_PROBLEMS} more"
        return CatalogError(text)

    def validate[M: BaseModel](self, model: type[M]) -> M:
        """The file's data as ``model``; a ``CatalogError`` naming file, line and fault when it does not fit."""
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            errors = without_explained_missing(model, exc.errors())
            problems = [Problem(self._line_of_error(e), describe(model, self.data, e)) for e in errors]
            raise self.error(list(dict.fromkeys(problems))) from None

    def _line_of_error(self, error: Any) -> int:
        """The line of the error's location; for a rule across keys, the last line naming what it quotes."""
        node, line = self._walk(error["loc"])
        if error["type"] != "value_error":
            return line
        message = error["msg"]
        names = set(re.findall(r"'([^']+)'", message))
        if ": " in message:
            names.update(n.strip() for n in message.rsplit(": ", 1)[1].split(","))
        mentions = [n for n in _values(node) if n.value in names]
        return mentions[-1].start_mark.line + 1 if mentions else line


def read_yaml(path: Path) -> YamlFile:
    """Parse ``path``; syntax errors, repeated keys and non-NFC text raise ``CatalogError`` with the line."""
    where = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(
            f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise CatalogError(f"{where}: cannot read ({exc.strerror})") from None
    try:
        root, data = _compose_and_construct(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" line {mark.line + 1}" if mark else ""
        raise CatalogError(f"{where}{line}: YAML syntax error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{where}: YAML error: {exc}") from None
    result = YamlFile(path, data, root)
    problems = list(_node_problems(root)) if root is not None else []
    if problems:
        raise result.error(problems)
    return result


def _compose_and_construct(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse once (with libyaml when present): the node tree for the marks, the data built from it."""
    loader = SafeLoader(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def _values(node: yaml.Node | None) -> Iterator[yaml.ScalarNode]:
    """Scalar values (not keys) below ``node``, in file order."""
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.MappingNode):
        for _key, value in node.value:
            yield from _values(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _values(item)


def _node_problems(node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if key.value in seen:
                yield Problem(line, f"key {key.value!r} is given twice (first on line {seen[key.value]})")
            seen.setdefault(key.value, line)
            yield from _node_problems(key)
            yield from _node_problems(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _node_problems(item)
    elif isinstance(node, yaml.ScalarNode) and node.value != unicodedata.normalize("NFC", node.value):
        yield Problem(
            node.start_mark.line + 1,
            f"text {node.value!r} is not Unicode NFC (decomposed accents); save it in composed form (NFC)",
        )
