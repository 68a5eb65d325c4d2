"""The private PostGIS cluster's life cycle and its failure modes, against real PostgreSQL processes."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from danang_sdi.cli.main import cli
from danang_sdi.store import cluster

pytestmark = pytest.mark.postgis


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A cluster of its own (not the shared test one), removed at the end."""
    path = tmp_path_factory.mktemp("cluster-home")
    yield path
    _remove_cluster(path / "pg")


def _remove_cluster(record: Path) -> None:
    cluster.down(record)
    files = cluster.ClusterFiles(record)
    if files.datadir_file.exists():  # data kept outside the unreachable tmp folder
        subprocess.run(["rm", "-rf", str(files.data.parent)], check=False)


def run(runner, home: Path, *args: str, **env: str):
    return runner.invoke(
        cli, list(args), env={"DANANG_SDI_HOME": str(home), "DANANG_SDI_DATABASE_URL": "", **env}
    )


def test_life_cycle_up_status_init_tables_down(runner, home):
    result = run(runner, home, "db", "up")
    assert result.exit_code == 0, result.output
    assert "PostGIS started on 127.0.0.1:" in result.output
    port = int((home / "pg" / "port").read_text())

    result = run(runner, home, "db", "status")
    assert result.exit_code == 0, result.output
    assert "status:     up" in result.output
    assert "postgis:    3." in result.output

    result = run(runner, home, "db", "init")
    assert result.exit_code == 0, result.output
    assert "sdi_meta.info" in result.output
    again = run(runner, home, "db", "init")
    assert "nothing to do" in again.output

    result = run(runner, home, "db", "url")
    assert result.output.strip() == f"postgresql+psycopg://sdi_admin:***@127.0.0.1:{port}/danang_sdi"

    second = run(runner, home, "db", "up")
    assert "already running" in second.output

    result = run(runner, home, "db", "down")
    assert result.exit_code == 0 and "PostGIS stopped" in result.output
    result = run(runner, home, "db", "status")
    assert "status:     down" in result.output


def test_tables_survive_a_restart(runner, home):
    assert run(runner, home, "db", "up").exit_code == 0
    result = run(runner, home, "db", "init")
    assert "nothing to do" in result.output  # created by the previous test, kept across down/up


def test_explicit_port_taken_is_one_clear_line(runner, home):
    run(runner, home, "db", "down")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        result = run(runner, home, "db", "up", "--port", str(taken))
    assert result.exit_code == 1
    assert f"port {taken} on 127.0.0.1 is taken" in result.output
    assert "Traceback" not in result.output


def test_recorded_port_taken_moves_to_a_free_one(runner, home):
    run(runner, home, "db", "down")
    recorded = int((home / "pg" / "port").read_text())
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", recorded))
        busy.listen()
        result = run(runner, home, "db", "up")
    assert result.exit_code == 0, result.output
    assert f"port {recorded} is taken" in result.output
    assert int((home / "pg" / "port").read_text()) != recorded


def test_stale_postmaster_pid_is_removed(runner, home):
    run(runner, home, "db", "down")
    data = cluster.ClusterFiles(home / "pg").data
    dead = subprocess.Popen(["true"])
    dead.wait()
    (data / "postmaster.pid").write_text(f"{dead.pid}\n{data}\n")
    result = run(runner, home, "db", "up")
    assert result.exit_code == 0, result.output
    assert "removed a stale postmaster.pid" in result.output


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a folder's owner needs root")
def test_data_dir_owned_by_someone_else(runner, home):
    run(runner, home, "db", "down")
    data = cluster.ClusterFiles(home / "pg").data
    owner = data.stat().st_uid
    os.chown(data, 65534, 65534)  # nobody
    try:
        result = run(runner, home, "db", "up")
    finally:
        os.chown(data, owner, owner)
    assert result.exit_code == 1
    assert "belongs to 'nobody'" in result.output and "chown" in result.output
    assert "Traceback" not in result.output


def test_unreachable_database_url(runner, home):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://someone:secret@127.0.0.1:{port}/nowhere"
    result = run(runner, home, "db", "status", DANANG_SDI_DATABASE_URL=url)
    assert result.exit_code == 1
    assert "cannot connect to the database at postgresql://someone:***@127.0.0.1" in result.output
    assert "secret" not in result.output


def test_external_database_is_not_managed(runner, home, db_settings):
    from danang_sdi.store.database import database_url

    url = database_url(db_settings)
    for command in ("up", "down"):
        result = run(runner, home, "db", command, DANANG_SDI_DATABASE_URL=url)
        assert result.exit_code == 0
        assert "not managed by danang-sdi" in result.output
    result = run(runner, home, "db", "status", DANANG_SDI_DATABASE_URL=url)
    assert "managed:    no" in result.output and "status:     up" in result.output


def test_cluster_outside_an_unreachable_folder(tmp_path):
    """A home under a 0700 folder: the data goes to /var/tmp/danang-sdi, recorded in <home>/pg/datadir."""
    if os.geteuid() != 0:
        pytest.skip("only root runs the server as another user")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o700)
    os.chmod(locked, 0o700)
    record = locked / "home" / "pg"
    messages: list[str] = []
    try:
        result = cluster.up(record, say=messages.append)
        assert str(result.data).startswith(str(cluster.EXTERNAL_ROOT))
        assert (record / "datadir").read_text().strip() == str(result.data)
        assert any("cannot reach" in m for m in messages)
    finally:
        _remove_cluster(record)


def test_init_creates_one_table_per_catalog_layer_and_a_new_yaml_layer_needs_no_python(
    runner, db_settings, db_env, tmp_path
):
    import shutil

    from danang_sdi.catalog import load_catalog
    from danang_sdi.store.database import connect

    layers = tmp_path / "layers"
    shutil.copytree(load_catalog().path, layers)
    spec = (layers / "street_light.yml").read_text(encoding="utf-8")
    (layers / "test_bench.yml").write_text(
        spec.replace("id: street_light", "id: test_bench", 1), encoding="utf-8"
    )
    result = runner.invoke(cli, ["db", "init"], env={**db_env, "DANANG_SDI_LAYERS": str(layers)})
    assert result.exit_code == 0, result.output
    with connect(db_settings) as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'sdi_data'"
            ).fetchall()
        }
        srid = conn.execute("SELECT Find_SRID('sdi_data', 'test_bench', 'geom')").fetchone()[0]
        indexes = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'sdi_data' AND tablename = 'test_bench'"
        ).fetchall()
    assert set(load_catalog().layers) | {"test_bench"} <= tables
    assert srid == 5899
    assert any("USING gist (geom)" in i[0] for i in indexes)
    assert any("UNIQUE" in i[0] for i in indexes)
    with connect(db_settings) as conn:
        for schema_name in ("sdi_data", "sdi_history", "sdi_quarantine"):
            conn.execute(f"DROP TABLE {schema_name}.test_bench")
