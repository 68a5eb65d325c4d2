"""What every generator reads: the catalog (layers, code lists), the recipes and the vocabulary.

Generators compute *facts* (a parcel's area, its ward, the street it faces...). ``recipes.yml`` says which
catalog attribute receives which fact, so no field name or code is written in the Python code: rename an
attribute in ``layers/`` and only the recipe changes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from danang_sdi.catalog.models import CodeList, Layer
from danang_sdi.catalog.registry import Catalog, load_catalog
from danang_sdi.errors import CatalogError, ConfigError

HERE = Path(__file__).resolve().parent


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path}: cannot read ({exc})") from exc


@dataclass(frozen=True)
class Ward:
    code: str
    name: str  # "Phường Phước Ninh"
    district: str  # "Quận Hải Châu"


class Context:
    """Catalog, recipes and words for one generation run; everything is read lazily and cached."""

    def __init__(self, layers_dir: Path | None = None) -> None:
        self.layers_dir = layers_dir

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.layers_dir)

    def layer(self, layer_id: str) -> Layer:
        return self.catalog.get(layer_id)

    def code_list(self, list_id: str) -> CodeList:
        return self.catalog.code_list(list_id)

    @cached_property
    def recipes(self) -> dict[str, Any]:
        return _read_yaml(HERE / "recipes.yml")

    def recipe(self, layer_id: str) -> Mapping[str, Any]:
        try:
            return self.recipes[layer_id]
        except KeyError:
            raise ConfigError(f"recipes.yml has no recipe for layer {layer_id!r}") from None

    @cached_property
    def vocabulary(self) -> dict[str, list[str]]:
        words = json.loads((HERE / "vocabulary.json").read_text(encoding="utf-8"))
        return {k: v for k, v in words.items() if not k.startswith("_")}

    def wards(self, settings: Mapping[str, Any]) -> list[Ward]:
        """Wards valid on ``settings["valid_on"]``, those of ``home_district`` first, each list in code order."""
        units = self.code_list(settings["code_list"])
        districts = self.code_list(settings["districts"])
        day = (
            settings["valid_on"]
            if isinstance(settings["valid_on"], dt.date)
            else dt.date.fromisoformat(settings["valid_on"])
        )
        found = [
            c
            for c in units.codes
            if c.valid_on(day) and c.group == settings["group"] and c.parent is not None
        ]
        home = settings["home_district"]
        found.sort(key=lambda c: (c.parent != home, c.code))
        names = {d.code: d.name.vi for d in districts.codes}
        return [Ward(c.code, c.name.vi, names.get(c.parent or "", "")) for c in found]


def weighted(rng: np.random.Generator, table: Mapping[str, float], n: int) -> np.ndarray:
    """``n`` keys of ``table`` drawn with its values as weights (an object array)."""
    keys = list(table)
    weights = np.array([float(table[k]) for k in keys])
    picks = rng.choice(len(keys), size=n, p=weights / weights.sum())
    return np.array(keys, dtype=object)[picks]


def pick(rng: np.random.Generator, words: list[str], n: int) -> np.ndarray:
    return np.array(words, dtype=object)[rng.integers(0, len(words), n)]


def person_names(rng: np.random.Generator, n: int, words: Mapping[str, list[str]]) -> np.ndarray:
    """Made-up full names (surname, middle, given), half male, half female, from ``vocabulary.json``."""
    male = rng.random(n) < 0.5
    surname = pick(rng, words["surnames"], n)
    middle = np.where(male, pick(rng, words["middle_male"], n), pick(rng, words["middle_female"], n))
    given = np.where(male, pick(rng, words["given_male"], n), pick(rng, words["given_female"], n))
    return (pd.Series(surname) + " " + pd.Series(middle) + " " + pd.Series(given)).to_numpy(dtype=object)
