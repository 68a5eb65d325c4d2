"""Load a city-sized cadastral file (560,000 parcels) into PostGIS: our validated load against ogr2ogr.

    .venv/bin/python benchmarks/bench_load.py [--count 560000] [--path FILE] [--rounds 3]

Both write into the same private cluster (``.sdi/bench/home``, started if needed), in one run, ``--rounds``
times (each first every other round; autovacuum off, dirty pages written out before each; medians printed):
- ``ogr2ogr -f PostgreSQL`` (Debian's gdal-bin) with ``PG_USE_COPY=YES``, a new table with a GiST index,
  no validation at all;
- ``danang_sdi.store.ingest.load_file``: read, normalise, every check (overlaps and gaps included), and
  beside the checks a binary COPY into the (empty) catalog table, its GiST index and natural-key constraint,
  history and batch row.
Each task runs as the only child of a launcher that reads its peak RSS and the CPU seconds the machine spent
(the database server's included). Targets: ratio ≤ 1.0, ≤ 2 GB.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
import warnings

import isolated

HOME = isolated.ROOT / ".sdi" / "bench" / "home"
TARGET_RATIO = 1.0
TARGET_GB = 2.0


def _settings():
    from danang_sdi.settings import Settings

    return Settings(home=HOME)


def _prepare() -> bool:
    """Start the cluster, create the catalog's tables, empty what the two tasks write; True if started here."""
    from danang_sdi.store import cluster, database
    from danang_sdi.store.database import connect
    from danang_sdi.store.schema import init_database

    settings = _settings()
    started = cluster.up(database.cluster_record(settings), say=lambda _m: None).started
    database.ensure_database(settings)
    init_database(settings)
    with connect(settings) as conn:
        conn.execute(
            "TRUNCATE sdi_data.cadastral_parcel, sdi_history.cadastral_parcel, sdi_quarantine.cadastral_parcel"
        )
        conn.execute("DELETE FROM sdi_meta.batch WHERE layer = 'cadastral_parcel'")
        conn.execute("CREATE SCHEMA IF NOT EXISTS bench")
        conn.execute("DROP TABLE IF EXISTS bench.ogr_parcels")
    return started


def _settle() -> None:
    """Write out what the previous task left dirty (database buffers, then the page cache), so that no task
    pays for the one before it."""
    from danang_sdi.store.database import connect

    with connect(_settings(), autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    os.sync()


def _autovacuum(on: bool) -> None:
    """Off while measuring: it vacuums the table the previous task filled at a moment of its choosing, in
    the middle of the next task (whichever ran second was up to 0.3 s slower)."""
    from danang_sdi.store.database import connect

    with connect(_settings(), autocommit=True) as conn:
        conn.execute("ALTER SYSTEM RESET autovacuum" if on else "ALTER SYSTEM SET autovacuum = off")
        conn.execute("SELECT pg_reload_conf()")


def work(task: str, path: str) -> None:
    """The measured task, in the worker process; prints its wall time."""
    warnings.simplefilter("ignore")
    settings = _settings()
    started = time.perf_counter()
    if task == "ogr2ogr":
        from sqlalchemy.engine import make_url

        from danang_sdi.store.database import database_url

        url = make_url(database_url(settings))
        env = {**os.environ, "PGPASSWORD": url.password or ""}
        subprocess.run(
            ["ogr2ogr", "-f", "PostgreSQL",
             f"PG:host={url.host} port={url.port} dbname={url.database} user={url.username}",
             path, "-nln", "bench.ogr_parcels", "-nlt", "PROMOTE_TO_MULTI", "-lco", "SPATIAL_INDEX=GIST",
             "-lco", "GEOMETRY_NAME=geom", "--config", "PG_USE_COPY", "YES"],
            check=True, env=env,
        )  # fmt: skip
        detail = "plain load, no validation"
    else:
        from danang_sdi.store.ingest import load_file

        outcome = load_file(settings, path, "cadastral_parcel", "append", accept_warnings=True)
        b = outcome.batch
        detail = (
            f"{b.inserted:,} inserted, {b.quarantined:,} quarantined, {len(outcome.report.issues):,} issues"
        )
    print(json.dumps({"seconds": time.perf_counter() - started, "detail": detail}))


def main() -> None:
    args = isolated.parcel_file_args(__doc__.splitlines()[0], rounds=3)
    if args.work:
        return work(*args.work)
    if args.measure:
        return isolated.measure(__file__, *args.measure)
    path = isolated.parcel_file(args)
    print(f"cluster: {HOME}")
    results: dict[str, list[dict]] = {"ogr2ogr": [], "load": []}
    ratios, started = [], False
    for number in range(args.rounds):  # each task first every other round
        started = _prepare() or started
        _autovacuum(False)
        for task in ("ogr2ogr", "load") if number % 2 == 0 else ("load", "ogr2ogr"):
            _settle()
            results[task].append(isolated.run(__file__, task, path))
        ogr, ours = results["ogr2ogr"][-1], results["load"][-1]
        ratios.append(ours["seconds"] / ogr["seconds"])
        print(
            f"round {number + 1}: ogr2ogr {ogr['seconds']:.2f} s, ours {ours['seconds']:.2f} s, {ratios[-1]:.2f}x"
        )
    ours = isolated.typical(results["load"])
    isolated.table(
        [
            ("ogr2ogr -f PostgreSQL (PG_USE_COPY=YES)", isolated.typical(results["ogr2ogr"])),
            ("danang-sdi load (validated, with history)", ours),
        ]
    )
    ratio = statistics.median(ratios)
    print(f"ratio load/ogr2ogr (median of {args.rounds}): {ratio:.2f}x time; ours: {ours['detail']}")
    ok = ratio <= TARGET_RATIO and ours["peak_rss_gb"] <= TARGET_GB
    print(f"targets ratio ≤ {TARGET_RATIO:g} and ≤ {TARGET_GB:g} GB: {'met' if ok else 'NOT met'}")
    _autovacuum(True)
    if started:  # leave the machine as we found it
        from danang_sdi.store import cluster, database

        cluster.down(database.cluster_record(_settings()))


if __name__ == "__main__":
    main()
