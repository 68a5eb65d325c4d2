"""Run one benchmark task in a process of its own, so its peak memory is its own.

A script calls ``run(__file__, task, path)``; that starts ``script --measure task path`` (a launcher), which
starts ``script --work task path`` as its only child, waits, and adds the child's peak RSS
(``getrusage(RUSAGE_CHILDREN).ru_maxrss``) to the JSON line the worker printed (its wall time, a detail).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys


def _last_json(done: subprocess.CompletedProcess[str], what: str) -> dict:
    if done.returncode != 0:
        raise SystemExit(f"{what} failed: {(done.stderr.strip() or done.stdout.strip())[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(script: str, task: str, path: str) -> None:
    """The launcher: run the worker as the only child, print its result with the peak RSS in GB."""
    done = subprocess.run([sys.executable, script, "--work", task, path], capture_output=True, text=True)
    result = _last_json(done, task)
    result["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # KiB on Linux
    print(json.dumps(result))


def run(script: str, task: str, path: object) -> dict:
    done = subprocess.run(
        [sys.executable, script, "--measure", task, str(path)], capture_output=True, text=True
    )
    return _last_json(done, task)
