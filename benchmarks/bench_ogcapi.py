"""Benchmark: our OGC API Features server against stock pygeoapi and tipg, same table, same machine, one run.

The layer is ``cadastral_parcel`` with ``--parcels`` synthetic parcels (560,000 = the city's count), made by
``danang_sdi.samples.generate_parcels`` and kept in database ``danang_sdi_bench`` of the private cluster
(``danang-sdi db up`` first) between runs. Three servers read ``sdi_pub.cadastral_parcel``:

- ours: ``danang-sdi serve`` (gunicorn, 2 workers, our provider, keyset paging, planner-estimated counts);
- stock: the same configuration with pygeoapi's own ``PostgreSQL`` provider, same gunicorn settings;
- tipg 1.6 (``pip install tipg uvicorn`` in ``.sdi/bench/tipg-venv``), uvicorn with 2 workers. tipg keeps
  its SQL functions in ``pg_temp``, which ``sdi_reader`` may not create, so it connects as the admin.

Requests (``limit=100``, GeoJSON in CRS84, keep-alive, sequential): a city-centre bbox (first page), a page
deep in the layer (ours: the ``cursor`` its ``next`` links carry; others: ``offset``), and a CQL2 filter.
Each is repeated ``--repeat`` times after a warm-up; the table shows the median (p50) in milliseconds.

    .venv/bin/python benchmarks/bench_ogcapi.py [--parcels 560000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml
from psycopg import sql
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from danang_sdi.catalog import load_catalog  # noqa: E402
from danang_sdi.publish import config as publish_config  # noqa: E402
from danang_sdi.publish import keyset, server, views  # noqa: E402
from danang_sdi.samples.parcels import generate_parcels  # noqa: E402
from danang_sdi.settings import Settings  # noqa: E402
from danang_sdi.store import database, schema  # noqa: E402
from tests.helpers.publish_data import fill_layer  # noqa: E402

LAYER = "cadastral_parcel"
WORK = ROOT / ".sdi" / "bench"
TIPG_PYTHON = WORK / "tipg-venv" / "bin" / "python"
CITY_CENTRE = "108.2140,16.0600,108.2240,16.0680"  # ~1 km around Hải Châu, next to city hall
CQL2 = "loai_dat = 'ODT' AND dien_tich > 200"
FIRST = "first page, city-centre bbox"
DEEP = "deep page (90% into the layer)"
FILTER = "CQL2 filter"


def bench_settings() -> Settings:
    base = Settings.from_env()
    url = make_url(database.database_url(base)).set(database="danang_sdi_bench")
    settings = Settings(home=base.home, layers_dir=base.layers_dir, database_url=url.render_as_string(False))
    database.ensure_database(settings)
    return settings


def ensure_parcels(settings: Settings, n: int) -> None:
    catalog = load_catalog(settings.layers_dir)
    schema.init_database(settings, catalog)
    table = sql.Identifier("sdi_data", LAYER)
    with database.connect(settings) as conn:
        have = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()[0]
    if have != n:
        print(f"loading {n:,} parcels (have {have:,}) ...", flush=True)
        started = time.perf_counter()
        fill_layer(settings, catalog.get(LAYER), generate_parcels(n, seed=11))
        print(f"  loaded in {time.perf_counter() - started:.0f} s", flush=True)
    with database.connect(settings, autocommit=True) as conn:
        conn.execute(sql.SQL("VACUUM ANALYZE {}").format(table))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} exited: {log.read_text()[-1500:]}")
        try:
            if requests.get(url, timeout=15).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not start: {log.read_text()[-1500:]}")


def start(name: str, command: list[str], env: dict[str, str], probe: str) -> subprocess.Popen:
    log = WORK / f"{name}.log"
    with log.open("w") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_until_up(probe, process, log)
    except BaseException:
        stop(process)
        raise
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def single_layer_configs(settings: Settings) -> tuple[Path, Path]:
    """Our configuration restricted to the parcels, and its twin with pygeoapi's stock provider."""
    catalog = load_catalog(settings.layers_dir)
    generated = publish_config.generate(settings, catalog, WORK / "all.yml", overwrite=True).path
    config = yaml.safe_load(generated.read_text())
    config["resources"] = {LAYER: config["resources"][LAYER]}
    ours = WORK / "ours.yml"
    ours.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    provider = config["resources"][LAYER]["providers"][0]
    provider["name"] = "PostgreSQL"
    provider["include_extra_query_parameters"] = False
    for key in ("fields", "number_matched", "geometry_type", "temporal"):
        provider.pop(key, None)
    stock = WORK / "stock.yml"
    stock.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    return ours, stock


def gunicorn(app: str, port: int) -> list[str]:
    workers = ["--workers", "2", "--worker-class", "gthread", "--threads", "4", "--no-control-socket"]
    return [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *workers, app]


def p50(session: requests.Session, url: str, params: dict, repeat: int) -> tuple[float, dict]:
    for _ in range(3):
        response = session.get(url, params=params, timeout=120)
    if response.status_code != 200:
        raise SystemExit(f"{url} {params}: {response.status_code} {response.text[:300]}")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = session.get(url, params=params, timeout=120)
        response.content  # noqa: B018 - the whole body is part of the request
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), response.json()


def measure(
    ports: dict[str, int], repeat: int, deep_id: int, deep_cursor: str
) -> dict[str, dict[str, float]]:
    items = {
        "ours": f"http://127.0.0.1:{ports['ours']}/collections/{LAYER}/items",
        "stock": f"http://127.0.0.1:{ports['stock']}/collections/{LAYER}/items",
        "tipg": f"http://127.0.0.1:{ports['tipg']}/collections/sdi_pub.{LAYER}/items",
    }
    cases = {
        FIRST: lambda name: {"bbox": CITY_CENTRE},
        DEEP: lambda name: {"cursor": deep_cursor} if name == "ours" else {"offset": deep_id},
        FILTER: lambda name: {"filter": CQL2, "filter-lang": "cql2-text"},
    }
    results: dict[str, dict[str, float]] = {case: {} for case in cases}
    for name, url in items.items():
        with requests.Session() as session:
            session.headers["Accept"] = "application/geo+json"
            for case, params in cases.items():
                query = {"limit": 100, **params(name)}
                millis, document = p50(session, url, query, repeat)
                assert len(document["features"]) == 100, (name, case, len(document["features"]))
                results[case][name] = millis
    return results


def report(results: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    print(f"\ncadastral_parcel, {args.parcels:,} parcels, limit=100, p50 of {args.repeat} requests (ms)\n")
    print(f"{'request':34} {'ours':>8} {'stock':>8} {'tipg':>8} {'ours/stock':>11} {'ours/tipg':>10}")
    for case, row in results.items():
        print(
            f"{case:34} {row['ours']:8.1f} {row['stock']:8.1f} {row['tipg']:8.1f} "
            f"{row['ours'] / row['stock']:11.2f} {row['ours'] / row['tipg']:10.2f}"
        )
    first = results[FIRST]
    print(f"\nours, deep page / first page: {results[DEEP]['ours'] / first['ours']:.2f} (target <= 2)")
    print(f"ours / stock, first page:     {first['ours'] / first['stock']:.2f} (target <= 0.5)")
    print(f"ours / tipg, first page:      {first['ours'] / first['tipg']:.2f} (target <= 1.0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parcels", type=int, default=560_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if not TIPG_PYTHON.exists():
        raise SystemExit(
            f"tipg is missing: python3.12 -m venv {WORK}/tipg-venv && {WORK}/tipg-venv/bin/pip install tipg uvicorn"
        )

    settings = bench_settings()
    ensure_parcels(settings, args.parcels)
    ours_config, stock_config = single_layer_configs(settings)
    account = views.reader_account(settings)
    deep_id = int(args.parcels * 0.9)
    deep_cursor = keyset.encode_cursor(keyset.ordering([], "fid"), [deep_id])

    ports = {name: free_port() for name in ("ours", "stock", "tipg")}
    environment = {**os.environ, **server.reader_environment(account, "http://127.0.0.1")}
    ours_plan = server.prepare(settings, ours_config, "127.0.0.1", ports["ours"], workers=2)
    stock_openapi = WORK / "stock-openapi.json"
    with server.environment(server.reader_environment(account, f"http://127.0.0.1:{ports['stock']}")):
        server.write_openapi(server.load_config(stock_config), stock_openapi)
    admin = make_url(database.database_url(settings)).set(drivername="postgresql")
    processes: dict[str, subprocess.Popen] = {}
    try:
        processes["ours"] = start(
            "ours", ours_plan.command, ours_plan.env, f"http://127.0.0.1:{ports['ours']}/conformance"
        )
        processes["stock"] = start(
            "stock",
            gunicorn("pygeoapi.flask_app:APP", ports["stock"]),
            {
                **environment,
                "DANANG_SDI_PUBLIC_URL": f"http://127.0.0.1:{ports['stock']}",
                "PYGEOAPI_CONFIG": str(stock_config),
                "PYGEOAPI_OPENAPI": str(stock_openapi),
            },
            f"http://127.0.0.1:{ports['stock']}/conformance",
        )
        processes["tipg"] = start(
            "tipg",
            [
                str(TIPG_PYTHON),
                "-m",
                "uvicorn",
                "tipg.main:app",
                "--port",
                str(ports["tipg"]),
                "--workers",
                "2",
            ],
            {
                **os.environ,
                "DATABASE_URL": admin.render_as_string(hide_password=False),
                "TIPG_DB_SCHEMAS": '["sdi_pub"]',
                "TIPG_DB_SPATIAL_EXTENT": "false",
                "TIPG_DB_DATETIME_EXTENT": "false",
                "TIPG_MAX_FEATURES_PER_QUERY": "10000",
            },
            f"http://127.0.0.1:{ports['tipg']}/collections",
        )
        results = measure(ports, args.repeat, deep_id, deep_cursor)
    finally:
        for process in processes.values():
            stop(process)
    report(results, args)


if __name__ == "__main__":
    main()
