"""Attribute rules, all driven by the catalog's ``Attribute``: field.missing, .type, .range, .pattern, .code.

Each rule is one vectorised pass over a column; Python only loops over the rows that break it.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from danang_sdi.catalog.models import Attribute, AttributeType, CodeList
from danang_sdi.errors import CatalogError
from danang_sdi.qa.base import Issue, Subject
from danang_sdi.qa.values import TYPE_WORDS

SHOWN_CHARS = 60


def show(value: object) -> str:
    """A value as quoted in a message: text in quotes and cut short, numbers as they are."""
    if isinstance(value, str):
        text = value if len(value) <= SHOWN_CHARS else value[: SHOWN_CHARS - 1] + "…"
        return f'"{text}"'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_fields(subject: Subject) -> list[Issue]:
    """Every field rule for every attribute of the layer."""
    issues: list[Issue] = []
    for attribute in subject.layer.attributes:
        if attribute.name in subject.absent:
            if attribute.required:
                issues.append(_absent_column(subject, attribute))
            continue
        issues += _missing_values(subject, attribute)
        issues += _wrong_types(subject, attribute)
        issues += _out_of_range(subject, attribute)
        issues += _pattern(subject, attribute)
        issues += _codes(subject, attribute)
    for key in [key for key in subject.memo if key[0] == "field.distinct"]:
        del subject.memo[key]  # the subject may live on while it is loaded
    return issues


def _absent_column(subject: Subject, attribute: Attribute) -> Issue:
    names = ", ".join([attribute.name, *attribute.aliases][:6])
    return subject.issue(
        "field.missing",
        attribute.severity,
        None,
        f"thiếu trường bắt buộc {attribute.name} ({attribute.title.vi}); hãy thêm trường có tên như {names}",
        f"required field {attribute.name} ({attribute.title.en}) is missing; add a field named like {names}",
        field=attribute.name,
    )


def _rows(mask: np.ndarray | pd.Series) -> Iterable[int]:
    return np.flatnonzero(np.asarray(mask, dtype=bool)).tolist()


def _missing_values(subject: Subject, attribute: Attribute) -> list[Issue]:
    if not attribute.required:
        return []
    bad = subject.bad_types.get(attribute.name, np.zeros(len(subject.frame), dtype=bool))
    empty = subject.frame[attribute.name].isna().to_numpy(dtype=bool) & ~bad
    rows = list(_rows(empty))
    points = subject.points(rows)
    return [
        subject.issue(
            "field.missing",
            attribute.severity,
            row,
            f"{attribute.name} bị bỏ trống nhưng là trường bắt buộc ({attribute.title.vi}); hãy nhập giá trị",
            f"{attribute.name} is empty but required ({attribute.title.en}); fill it in",
            field=attribute.name,
            location=point,
        )
        for row, point in zip(rows, points, strict=True)
    ]


def _value_issues(
    subject: Subject, attribute: Attribute, rule: str, rows: list[int], vi: str, en: str
) -> list[Issue]:
    """One issue per row: ``<attribute> <value as sent> <vi|en>``, located on the feature."""
    issues = []
    for row, point in zip(rows, subject.points(rows), strict=True):
        value = show(subject.original(attribute.name, row))
        issues.append(
            subject.issue(
                rule,
                attribute.severity,
                row,
                f"{attribute.name} {value} {vi}",
                f"{attribute.name} {value} {en}",
                field=attribute.name,
                location=point,
            )
        )
    return issues


def _wrong_types(subject: Subject, attribute: Attribute) -> list[Issue]:
    bad = subject.bad_types.get(attribute.name)
    if bad is None or not bad.any():
        return []
    vi, en = TYPE_WORDS[attribute.type]
    return _value_issues(
        subject, attribute, "field.type", list(_rows(bad)),
        f"không phải {vi}; hãy sửa giá trị", f"is not {en}; correct the value",
    )  # fmt: skip


def _out_of_range(subject: Subject, attribute: Attribute) -> list[Issue]:
    values = subject.frame[attribute.name]
    issues: list[Issue] = []
    checks: list[tuple[pd.Series, str, str]] = []
    if attribute.minimum is not None:
        low = show(attribute.minimum)
        checks.append(
            (values < attribute.minimum, f"nhỏ hơn giá trị tối thiểu {low}", f"is below the minimum {low}")
        )
    if attribute.maximum is not None:
        high = show(attribute.maximum)
        checks.append(
            (values > attribute.maximum, f"lớn hơn giá trị tối đa {high}", f"is above the maximum {high}")
        )
    if attribute.max_length is not None and attribute.type is AttributeType.text:
        n = attribute.max_length
        checks.append((values.str.len() > n, f"dài hơn {n} ký tự", f"is longer than {n} characters"))
    for mask, vi, en in checks:
        rows = list(_rows(mask.fillna(False).to_numpy(dtype=bool)))
        unit = f"{attribute.unit} " if attribute.unit else ""
        issues += _value_issues(
            subject, attribute, "field.range", rows,
            f"{unit}{vi}; hãy kiểm tra lại giá trị", f"{unit}{en}; check the value",
        )  # fmt: skip
    return issues


def as_text(values: pd.Series) -> pd.Series:
    """Typed values as the text that patterns and code lists compare against."""
    if pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
        return values
    return values.astype("str").where(values.notna())


def _distinct(subject: Subject, name: str) -> tuple[np.ndarray, pd.Index]:
    """The column's distinct texts and, per row, the index of its own (-1: no value).

    Coded columns hold few distinct values, so their rules test each value once, not each row. Kept in
    ``subject.memo`` while ``check_fields`` runs: an attribute's pattern and code list rules share it, and
    so does the attribute whose list it picks (``code_list_by``).
    """
    key = ("field.distinct", name)
    if key not in subject.memo:
        subject.memo[key] = pd.factorize(as_text(subject.frame[name]))
    return subject.memo[key]


def _mismatch(text: pd.Series, pattern: str) -> np.ndarray:
    """Per value: text there that does not match ``pattern`` (a regex search, as the catalog writes them)."""
    with warnings.catch_warnings():  # pandas warns about capture groups; only the match matters here
        warnings.simplefilter("ignore", UserWarning)
        matches = text.str.contains(pattern, regex=True)
    return text.notna().to_numpy(dtype=bool) & ~matches.fillna(True).to_numpy(dtype=bool)


def _pattern(subject: Subject, attribute: Attribute) -> list[Issue]:
    if attribute.pattern is None:
        return []
    if attribute.code_list_ids or attribute.enum is not None:  # coded: test the few distinct values
        value_of_row, values = _distinct(subject, attribute.name)
        wrong_value = _mismatch(pd.Series(values, dtype=values.dtype), attribute.pattern)
        wrong = np.append(wrong_value, False)[value_of_row]  # no value (-1) picks the trailing False
    else:
        wrong = _mismatch(as_text(subject.frame[attribute.name]), attribute.pattern)
    return _value_issues(
        subject, attribute, "field.pattern", list(_rows(wrong)),
        f"không đúng mẫu {attribute.pattern}; hãy sửa theo đúng định dạng",
        f"does not match the pattern {attribute.pattern}; correct its format",
    )  # fmt: skip


def _code_list(subject: Subject, list_id: str) -> CodeList:
    try:
        return subject.code_lists[list_id]
    except KeyError:
        raise CatalogError(
            f"layer {subject.layer.id}: code list {list_id!r} is not in the catalog; "
            f"add layers/codes/{list_id}.yml or fix the attribute"
        ) from None


def _codes(subject: Subject, attribute: Attribute) -> list[Issue]:
    """Values with codes that are not in the attribute's code list (or enum).

    Each distinct value is split and looked up once; rows only carry an index into the distinct values.
    """
    if attribute.enum is not None:
        return _enum(subject, attribute)
    if not attribute.code_list_ids:
        return []
    value_of_row, values = _distinct(subject, attribute.name)
    list_of_row, list_ids = _list_of_row(subject, attribute, len(value_of_row))  # -1: no list applies
    issues: list[Issue] = []
    for k, list_id in enumerate(list_ids):  # in name order
        in_list = (list_of_row == k) & (value_of_row >= 0)
        used = np.flatnonzero(np.bincount(value_of_row[in_list], minlength=len(values)))
        if not used.size:
            continue
        code_list = _code_list(subject, list_id)
        unknown = {
            used[i]: tokens for i, tokens in _unknown_tokens(values[used], code_list, attribute.separator)
        }
        if not unknown:
            continue
        rows = np.flatnonzero(in_list & np.isin(value_of_row, list(unknown))).tolist()
        for row, point in zip(rows, subject.points(rows), strict=True):
            tokens = unknown[value_of_row[row]]
            issues.append(_code_issue(subject, attribute, code_list, row, tokens, point))
    return issues


def _list_of_row(subject: Subject, attribute: Attribute, n: int) -> tuple[np.ndarray, list[str]]:
    """The code list of each row, as an index into the sorted list ids (-1: none applies).

    With ``code_list_by`` another field names the list; rows whose selector names none are not checked here
    (the selector gets its own field.code).
    """
    if attribute.code_list:
        return np.zeros(n, dtype=np.intp), [attribute.code_list]
    if attribute.code_list_by not in subject.frame.columns:
        # The selector field is not in the file. The catalog has no default list (``code_lists`` only maps
        # selector values to lists), so no row's list can be told: none is checked. The absent selector is
        # reported by field.missing when it is required.
        return np.full(n, -1, dtype=np.intp), []
    selector_of_row, selectors = _distinct(subject, attribute.code_list_by)
    chosen = [(attribute.code_lists or {}).get(selector) for selector in selectors]
    list_ids = sorted({list_id for list_id in chosen if list_id is not None})
    of_selector = [list_ids.index(list_id) if list_id is not None else -1 for list_id in chosen]
    return np.array([*of_selector, -1], dtype=np.intp)[selector_of_row], list_ids  # no selector: the last -1


def _unknown_tokens(values: pd.Index, code_list: CodeList, separator: str | None) -> list[tuple[int, list]]:
    """(position in ``values``, its codes that are not in the list, in order) for each value with some."""
    known = {code.code for code in code_list.codes}
    text = pd.Series(values, dtype=values.dtype)
    tokens = text.str.split(separator, regex=False).explode() if separator else text
    tokens = tokens.str.strip()
    unknown = tokens[~tokens.isin(known)]
    return [(int(i), group.tolist()) for i, group in unknown.groupby(level=0)] if len(unknown) else []


_HINTS: dict[tuple[str, str], str | None] = {}


def _hint(code_list: CodeList, token: str) -> str | None:
    key = (code_list.id, token)
    if key not in _HINTS:
        close = difflib.get_close_matches(token.upper(), [c.code for c in code_list.codes], n=1, cutoff=0.6)
        _HINTS[key] = close[0] if close else None
    return _HINTS[key]


def _code_issue(
    subject: Subject,
    attribute: Attribute,
    code_list: CodeList,
    row: int,
    tokens: list[str],
    point: str | None,
) -> Issue:
    value = show(subject.original(attribute.name, row))
    wrong = ", ".join(show(t) for t in tokens)
    part_vi = f" ({wrong} không hợp lệ)" if attribute.separator and len(tokens) and wrong != value else ""
    part_en = f" ({wrong} unknown)" if part_vi else ""
    hint = next((h for h in (_hint(code_list, t) for t in tokens) if h), None)
    next_vi = f'; có phải là "{hint}"?' if hint else "; hãy dùng một mã trong danh mục"
    next_en = f'; did you mean "{hint}"?' if hint else "; use a code from the list"
    return subject.issue(
        "field.code",
        attribute.severity,
        row,
        f"{attribute.name} {value}{part_vi} không có trong danh mục mã {code_list.id}{next_vi}",
        f"{attribute.name} {value}{part_en} is not in code list {code_list.id}{next_en}",
        field=attribute.name,
        location=point,
    )


def _enum(subject: Subject, attribute: Attribute) -> list[Issue]:
    values = subject.frame[attribute.name]
    allowed = attribute.enum or []
    if attribute.type in (AttributeType.integer, AttributeType.number):
        ok = values.isin([float(v) for v in allowed if isinstance(v, int | float)])
    else:
        ok = as_text(values).isin([str(v) for v in allowed])
    wrong = values.notna().to_numpy(dtype=bool) & ~ok.fillna(False).to_numpy(dtype=bool)
    rows = list(_rows(wrong))
    listed = ", ".join(str(v) for v in allowed)
    return _value_issues(
        subject, attribute, "field.code", rows,
        f"không thuộc các giá trị cho phép: {listed}", f"is not one of: {listed}",
    )  # fmt: skip
