"""``danang-sdi publish`` and ``danang-sdi serve``: exit codes and one-line messages, never a traceback."""

from __future__ import annotations

import socket

import pytest

from danang_sdi.cli.main import cli
from danang_sdi.settings import PROJECT_DIR
from tests.helpers.publish_data import database_settings

pytestmark = pytest.mark.postgis

COMMITTED = PROJECT_DIR / "pygeoapi-config.yml"


@pytest.fixture(scope="module")
def env(db_settings):
    settings = database_settings(db_settings, "danang_sdi_publish_cli")
    return {"DANANG_SDI_HOME": str(settings.home), "DANANG_SDI_DATABASE_URL": settings.database_url}


def run(runner, env, *args):
    result = runner.invoke(cli, list(args), env=env)
    assert "Traceback" not in result.output
    return result


def test_publish_views(runner, env):
    result = run(runner, env, "publish", "views")
    assert result.exit_code == 0, result.output
    assert "17 views in sdi_pub, readable by sdi_reader" in result.output


def test_publish_config_writes_and_refuses_to_overwrite(runner, env, tmp_path):
    output = tmp_path / "pygeoapi-config.yml"
    result = run(runner, env, "publish", "config", "-o", str(output))
    assert result.exit_code == 0, result.output
    assert f"wrote {output}: 17 collections" in result.output
    again = run(runner, env, "publish", "config", "-o", str(output))
    assert again.exit_code == 2
    assert "exists: pass --overwrite to replace it" in again.output
    assert run(runner, env, "publish", "config", "-o", str(output), "--overwrite").exit_code == 0


def test_serve_without_configuration(runner, env, tmp_path):
    result = run(runner, env, "serve", "--config", str(tmp_path / "nope.yml"))
    assert result.exit_code == 2
    assert "no pygeoapi configuration at" in result.output and "danang-sdi publish config" in result.output


def test_serve_with_broken_yaml(runner, env, tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("server:\n  url: [unclosed\n")
    result = run(runner, env, "serve", "--config", str(broken))
    assert result.exit_code == 2
    assert "is not valid YAML" in result.output


def test_serve_with_an_invalid_configuration(runner, env, tmp_path):
    invalid = tmp_path / "invalid.yml"
    invalid.write_text(COMMITTED.read_text().replace("  mimetype: application/json; charset=UTF-8\n", ""))
    result = run(runner, env, "serve", "--config", str(invalid))
    assert result.exit_code == 2
    assert "configuration is invalid" in result.output and "mimetype" in result.output


def test_serve_with_an_unreachable_database(runner, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "DANANG_SDI_HOME": str(tmp_path),
        "DANANG_SDI_DATABASE_URL": f"postgresql://u:secret@127.0.0.1:{port}/db",
    }
    result = run(runner, env, "serve", "--config", str(COMMITTED))
    assert result.exit_code == 1
    assert (
        f"cannot connect to the database at postgresql+psycopg://sdi_reader:***@127.0.0.1:{port}/db"
        in result.output
    )
    assert "secret" not in result.output


def test_serve_before_the_views_exist(runner, env, db_settings):
    assert run(runner, env, "publish", "views").exit_code == 0  # the role exists, this database has no views
    settings = database_settings(db_settings, "danang_sdi_publish_noviews")
    env = {"DANANG_SDI_HOME": str(settings.home), "DANANG_SDI_DATABASE_URL": settings.database_url}
    result = run(runner, env, "serve", "--config", str(COMMITTED))
    assert result.exit_code == 1
    assert "does not exist: run 'danang-sdi publish views'" in result.output


def test_serve_on_a_taken_port(runner, env):
    assert run(runner, env, "publish", "views").exit_code == 0
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run(runner, env, "serve", "--config", str(COMMITTED), "--port", str(port))
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
