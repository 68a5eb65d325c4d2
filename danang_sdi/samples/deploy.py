"""The sample deployment: every layer's clean sample delivery loaded through the real ``load`` path.

``make demo`` and the notebooks' test database use it, so both show what a city department would see
after its first deliveries.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from danang_sdi.catalog import Catalog, load_catalog
from danang_sdi.samples.build import MANIFEST
from danang_sdi.settings import PROJECT_DIR, Settings
from danang_sdi.store.ingest import LoadOutcome, load_file

SAMPLES_DIR = PROJECT_DIR / "data_samples"


def clean_samples(samples_dir: Path = SAMPLES_DIR) -> dict[Path, str]:
    """Sample file → layer id: for each layer, its first delivery without planted defects."""
    manifest = yaml.safe_load((samples_dir / MANIFEST).read_text(encoding="utf-8"))
    chosen: dict[str, str] = {}
    for name, entry in manifest["files"].items():
        if not entry.get("defects"):
            chosen.setdefault(entry["layer"], name)
    return {samples_dir / name: layer for layer, name in chosen.items()}


def load_samples(
    settings: Settings,
    catalog: Catalog | None = None,
    samples_dir: Path = SAMPLES_DIR,
    say: Callable[[str], None] = lambda _message: None,
) -> dict[str, LoadOutcome]:
    """Load (upsert) each clean sample into its layer; a second run changes nothing."""
    catalog = catalog or load_catalog(settings.layers_dir)
    outcomes: dict[str, LoadOutcome] = {}
    for path, layer_id in clean_samples(samples_dir).items():
        outcome = load_file(settings, path, layer_id, "upsert", catalog=catalog)
        batch = outcome.batch
        say(
            f"{layer_id:<20} {path.name:<30} "
            + (
                f"already loaded (batch {batch.batch_id})"
                if batch.status == "noop"
                else f"batch {batch.batch_id}: {batch.inserted} inserted, {batch.updated} updated"
            )
        )
        outcomes[layer_id] = outcome
    return outcomes
