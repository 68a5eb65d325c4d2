"""Run one large load in its own process, so that a test can kill it or cut its connection mid-way."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from danang_sdi.settings import Settings
from danang_sdi.store.loader import write_batch
from tests.helpers.loader_fixtures import delivery, lamps, make_layer

if __name__ == "__main__":
    home, layer_id, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    layer = make_layer(layer_id)
    print("ready", flush=True)
    write_batch(Settings(home=home), delivery(layer, lamps(count, start=10_000_000), name="big.geojson"))
    print("finished", flush=True)
