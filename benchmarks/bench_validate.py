"""Validate a city-sized cadastral file (560,000 parcels) and compare with a plain read.

    .venv/bin/python benchmarks/bench_validate.py [--count 560000] [--path FILE]

The parcel file is generated once and cached under ``.sdi/bench/``. Each measurement runs in its own
process: a launcher starts the worker as its only child and reads ``getrusage(RUSAGE_CHILDREN).ru_maxrss``
after it ends, so each peak RSS belongs to that task alone. Targets: validation ≤ 30 s and ≤ 4 GB.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import isolated

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 30.0
TARGET_GB = 4.0


def work(task: str, path: str) -> None:
    """The measured task, in the worker process; prints its wall time."""
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    if task == "read":
        import pyogrio

        frame = pyogrio.read_dataframe(path, use_arrow=True)
        detail = f"{len(frame):,} features"
    else:
        import danang_sdi.qa.validate as qa

        report = qa.validate_file(path, "cadastral_parcel")
        counts = {rule: sum(n.values()) for rule, n in report.counts().items()}
        detail = f"{len(report.issues):,} issues {counts}; rules run: {len(report.rules_run)}"
    print(json.dumps({"seconds": time.perf_counter() - started, "detail": detail}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=560_000)
    parser.add_argument("--path", type=Path, help="an existing parcel file (default: generated and cached)")
    parser.add_argument("--work", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.work:
        return work(*args.work)
    if args.measure:
        return isolated.measure(__file__, *args.measure)

    path = args.path or ROOT / ".sdi" / "bench" / f"parcels_{args.count}.gpkg"
    if not path.exists():
        from danang_sdi.samples import write_parcels

        started = time.perf_counter()
        write_parcels(args.count, path, seed=0)
        print(f"generated {args.count:,} parcels in {time.perf_counter() - started:.1f} s -> {path}")
    print(f"file: {path} ({path.stat().st_size / 1024**2:,.0f} MiB)")
    read, check = isolated.run(__file__, "read", path), isolated.run(__file__, "validate", path)
    print(f"{'task':<34}{'seconds':>9}{'peak RSS GB':>13}")
    print(f"{'pyogrio read_dataframe (arrow)':<34}{read['seconds']:>9.1f}{read['peak_rss_gb']:>13.2f}")
    print(f"{'danang_sdi validate (all checks)':<34}{check['seconds']:>9.1f}{check['peak_rss_gb']:>13.2f}")
    print(f"ratio validate/read: {check['seconds'] / read['seconds']:.1f}x time, "
          f"{check['peak_rss_gb'] / read['peak_rss_gb']:.1f}x memory")  # fmt: skip
    print(f"read: {read['detail']}\nvalidate: {check['detail']}")
    ok = check["seconds"] <= TARGET_SECONDS and check["peak_rss_gb"] <= TARGET_GB
    print(f"targets ≤ {TARGET_SECONDS:g} s and ≤ {TARGET_GB:g} GB: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
