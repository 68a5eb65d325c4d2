"""Synthetic, realistic deliveries for every layer family, with planted defects, and a big-parcel generator.

No open cadastral, planning or utility data exists for Đà Nẵng, so the samples are made here: parcels on a
jittered lattice in EPSG:5899 (a valid coverage), with a detailed plan, land-use zones and a ward split
drawn over them; the network and point layers along the real streets of the OSM extract of Hải Châu, and
its real bridges. Every catalog layer has a clean sample. Everything is seeded and deterministic.

    from danang_sdi.samples import generate_parcels, build_samples
    parcels = generate_parcels(10_000, seed=1)        # a GeoDataFrame, EPSG:5899
    build_samples(Path("data_samples"))               # every committed sample + manifest.yml

``python -m danang_sdi.samples parcels --count 560000 -o .sdi/parcels.gpkg`` writes the city-sized file.
"""

from __future__ import annotations

from danang_sdi.samples.build import MANIFEST, build_samples, read_plan
from danang_sdi.samples.output import write_parcels
from danang_sdi.samples.parcels import generate_parcels

__all__ = ["MANIFEST", "build_samples", "generate_parcels", "read_plan", "write_parcels"]
