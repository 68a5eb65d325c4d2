"""Validate a city-sized cadastral file (560,000 parcels) and compare with a plain read.

    .venv/bin/python benchmarks/bench_validate.py [--count 560000] [--path FILE]

The parcel file is generated once and cached under ``.sdi/bench/``. Each measurement runs in its own
process: a launcher starts the worker as its only child and reads ``getrusage(RUSAGE_CHILDREN).ru_maxrss``
after it ends, so each peak RSS belongs to that task alone. Targets: validation ≤ 30 s and ≤ 4 GB.
"""

from __future__ import annotations

import json
import time
import warnings

import isolated

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
    args = isolated.parcel_file_args(__doc__.splitlines()[0])
    if args.work:
        return work(*args.work)
    if args.measure:
        return isolated.measure(__file__, *args.measure)
    path = isolated.parcel_file(args)
    read, check = isolated.run(__file__, "read", path), isolated.run(__file__, "validate", path)
    isolated.table(
        [("pyogrio read_dataframe (arrow)", read), ("danang_sdi validate (all checks)", check)], 34
    )
    print(f"ratio validate/read: {check['seconds'] / read['seconds']:.1f}x time, "
          f"{check['peak_rss_gb'] / read['peak_rss_gb']:.1f}x memory")  # fmt: skip
    print(f"read: {read['detail']}\nvalidate: {check['detail']}")
    ok = check["seconds"] <= TARGET_SECONDS and check["peak_rss_gb"] <= TARGET_GB
    print(f"targets ≤ {TARGET_SECONDS:g} s and ≤ {TARGET_GB:g} GB: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
