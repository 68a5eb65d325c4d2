"""Turn a generator's facts into a layer's attribute table, as its recipe and the catalog say.

An attribute named in the recipe takes that fact; a required attribute the recipe leaves out gets a valid
value from its catalog definition (enum, code list, range), so a clean sample stays clean when the catalog
gains a required field; any other attribute is left empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from danang_sdi.catalog.models import Attribute, AttributeType, Layer
from danang_sdi.errors import ConfigError
from danang_sdi.samples.context import Context

DEFAULT_DATE = dt.date(2024, 6, 30)


def _default(attribute: Attribute, n: int, rng: np.random.Generator, context: Context) -> np.ndarray:
    """Valid values for a required attribute that no fact feeds."""
    if attribute.enum:
        return np.array(attribute.enum, dtype=object)[rng.integers(0, len(attribute.enum), n)]
    if attribute.code_list_ids:
        codes = [c.code for c in context.code_list(attribute.code_list_ids[0]).codes]
        return np.array(codes, dtype=object)[rng.integers(0, len(codes), n)]
    low = attribute.minimum if attribute.minimum is not None else 0
    high = attribute.maximum if attribute.maximum is not None else low + 100
    match attribute.type:
        case AttributeType.integer:
            return rng.integers(int(np.ceil(low)), int(np.floor(high)) + 1, n)
        case AttributeType.number:
            return np.round(rng.uniform(low, high, n), 2)
        case AttributeType.boolean:
            return rng.random(n) < 0.5
        case AttributeType.date | AttributeType.datetime:
            return np.full(n, DEFAULT_DATE, dtype=object)
        case _:
            return np.array([f"{attribute.name.upper()}-{i + 1:06d}" for i in range(n)], dtype=object)


def typed(values: np.ndarray | pd.Series, kind: AttributeType) -> pd.Series:
    """A column of the attribute's type; None/NaN become missing values."""
    series = pd.Series(values, copy=False)
    match kind:
        case AttributeType.integer:
            return series.astype("Int64")
        case AttributeType.number:
            return pd.to_numeric(series, errors="raise").astype("float64")
        case AttributeType.boolean:
            return series.astype("boolean")
        case AttributeType.date | AttributeType.datetime:
            return series.astype(object).where(series.notna(), None)
        case _:
            return series.astype(object).where(series.notna(), None)


def attribute_table(
    layer: Layer, facts: Mapping[str, np.ndarray], n: int, rng: np.random.Generator, context: Context
) -> pd.DataFrame:
    """One column per catalog attribute, in catalog order, filled from ``facts`` through the recipe."""
    recipe = context.recipe(layer.id).get("facts", {})
    unknown = sorted(set(recipe) - {a.name for a in layer.attributes})
    if unknown:
        raise ConfigError(f"recipes.yml, layer {layer.id}: not catalog attributes: {', '.join(unknown)}")
    columns: dict[str, pd.Series] = {}
    for attribute in layer.attributes:
        fact = recipe.get(attribute.name)
        if fact is not None:
            if fact not in facts:
                raise ConfigError(
                    f"recipes.yml, layer {layer.id}: attribute {attribute.name} wants fact {fact!r}; "
                    f"the generator gives {', '.join(sorted(facts))}"
                )
            values = facts[fact]
        elif attribute.required:
            values = _default(attribute, n, rng, context)
        else:
            values = np.full(n, None, dtype=object)
        columns[attribute.name] = typed(values, attribute.type)
    return pd.DataFrame(columns)
