"""Run one benchmark task in a process of its own, so its peak memory is its own.

A script calls ``run(__file__, task, path)``; that starts ``script --measure task path`` (a launcher), which
starts ``script --work task path`` as its only child, waits, and adds the child's peak RSS
(``getrusage(RUSAGE_CHILDREN).ru_maxrss``) to the JSON line the worker printed (its wall time, a detail).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _last_json(done: subprocess.CompletedProcess[str], what: str) -> dict:
    if done.returncode != 0:
        raise SystemExit(f"{what} failed: {(done.stderr.strip() or done.stdout.strip())[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def busy_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy so far: every core, every process (the database too)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def measure(script: str, task: str, path: str) -> None:
    """The launcher: run the worker as the only child, print its result with the peak RSS in GB and the
    CPU seconds the machine spent meanwhile (on a quiet machine: the task's own, server side included)."""
    busy = busy_cpu_seconds()
    done = subprocess.run([sys.executable, script, "--work", task, path], capture_output=True, text=True)
    result = _last_json(done, task)
    result["cpu_seconds"] = busy_cpu_seconds() - busy
    result["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # KiB on Linux
    print(json.dumps(result))


def run(script: str, task: str, path: object) -> dict:
    done = subprocess.run(
        [sys.executable, script, "--measure", task, str(path)], capture_output=True, text=True
    )
    return _last_json(done, task)


def parcel_file_args(description: str, rounds: int | None = None) -> argparse.Namespace:
    """The command line shared by the parcel benchmarks (``--rounds`` where a default is given)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--count", type=int, default=560_000)
    if rounds is not None:
        parser.add_argument(
            "--rounds", type=int, default=rounds, help=f"measure each task this many times (default {rounds})"
        )
    parser.add_argument("--path", type=Path, help="an existing parcel file (default: generated and cached)")
    parser.add_argument("--work", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    return parser.parse_args()


def parcel_file(args: argparse.Namespace) -> Path:
    """The parcel file to measure: ``--path``, else ``.sdi/bench/parcels_<count>.gpkg`` (made once)."""
    path = args.path or ROOT / ".sdi" / "bench" / f"parcels_{args.count}.gpkg"
    if not path.exists():
        from danang_sdi.samples import write_parcels

        started = time.perf_counter()
        write_parcels(args.count, path, seed=0)
        print(f"generated {args.count:,} parcels in {time.perf_counter() - started:.1f} s -> {path}")
    print(f"file: {path} ({path.stat().st_size / 1024**2:,.0f} MiB)")
    return path


def typical(results: list[dict]) -> dict:
    """Several measurements of one task as one: median seconds and CPU seconds, the highest peak RSS."""
    return {
        "seconds": statistics.median(r["seconds"] for r in results),
        "cpu_seconds": statistics.median(r["cpu_seconds"] for r in results),
        "peak_rss_gb": max(r["peak_rss_gb"] for r in results),
        "detail": results[-1]["detail"],
    }


def table(rows: list[tuple[str, dict]], width: int = 44) -> None:
    """Print one line per measured task: its name, seconds, machine CPU seconds and peak RSS."""
    print(f"{'task':<{width}}{'seconds':>9}{'CPU s, all cores':>18}{'peak RSS GB':>13}")
    for name, result in rows:
        print(
            f"{name:<{width}}{result['seconds']:>9.1f}{result['cpu_seconds']:>18.1f}{result['peak_rss_gb']:>13.2f}"
        )
