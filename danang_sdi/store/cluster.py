"""The private PostGIS cluster the toolkit runs for itself when ``DANANG_SDI_DATABASE_URL`` is not set.

Debian's PostgreSQL 15 + PostGIS 3 binaries, a cluster initialised under ``<home>/pg/`` and started on
127.0.0.1 on a free port. As root the server runs as ``postgres`` (initdb refuses root); when ``postgres``
cannot reach ``<home>`` (a clone under a 0700 folder), the data directory moves to ``/var/tmp/danang-sdi/``
and its path is recorded in ``<home>/pg/datadir``.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from danang_sdi.errors import ClusterError

PG_MAJOR = 15
PG_BIN = Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin")
POSTGIS_CONTROL = Path(f"/usr/share/postgresql/{PG_MAJOR}/extension/postgis.control")
DEBIAN_PACKAGE = f"postgresql-{PG_MAJOR}-postgis-3"
ADMIN_USER = "sdi_admin"
DATABASE = "danang_sdi"
HOST = "127.0.0.1"
EXTERNAL_ROOT = Path("/var/tmp/danang-sdi")


@dataclass(frozen=True)
class ClusterFiles:
    """Where one private cluster keeps its record (root-owned) and its data (server-owned)."""

    record: Path

    @property
    def port_file(self) -> Path:
        return self.record / "port"

    @property
    def password_file(self) -> Path:
        return self.record / "password"

    @property
    def datadir_file(self) -> Path:
        return self.record / "datadir"

    @property
    def data(self) -> Path:
        if self.datadir_file.exists():
            return Path(self.datadir_file.read_text().strip())
        return self.record / "data"

    @property
    def log(self) -> Path:
        return self.data / "server.log"

    @property
    def port(self) -> int | None:
        try:
            return int(self.port_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    @property
    def password(self) -> str:
        return self.password_file.read_text().strip()

    def url(self, masked: bool = False) -> str:
        password = "***" if masked else self.password
        return f"postgresql+psycopg://{ADMIN_USER}:{password}@{HOST}:{self.port}/{DATABASE}"


@dataclass(frozen=True)
class UpResult:
    url: str
    port: int
    data: Path
    started: bool
    notes: list[str]


def server_user() -> str | None:
    """The account the server runs as: ``postgres`` when we are root, else ourselves (None)."""
    return "postgres" if os.geteuid() == 0 else None


def _as_server(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    user = server_user()
    full = ["runuser", "-u", user, "--", *cmd] if user else cmd
    return subprocess.run(full, capture_output=True, text=True, **kwargs)


def ensure_postgis_installed(say=print) -> None:
    """Install Debian's PostGIS package when it is missing and we may; otherwise say what to do."""
    if (PG_BIN / "initdb").exists() and POSTGIS_CONTROL.exists():
        return
    if os.geteuid() != 0:
        raise ClusterError(
            f"PostgreSQL {PG_MAJOR} with PostGIS is not installed and only root can install it: "
            f"run 'sudo apt-get install -y {DEBIAN_PACKAGE}', or set DANANG_SDI_DATABASE_URL"
        )
    say(f"installing {DEBIAN_PACKAGE} with apt-get (once) ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", DEBIAN_PACKAGE]):
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise ClusterError(f"'{' '.join(cmd)}' failed: {last[0]}")
    if not POSTGIS_CONTROL.exists():
        raise ClusterError(f"{DEBIAN_PACKAGE} was installed but {POSTGIS_CONTROL} is still missing")


def _reachable_by_server(path: Path) -> bool:
    user = server_user()
    if user is None:
        return True
    return _as_server(["test", "-x", str(path)]).returncode == 0


def choose_data_dir(files: ClusterFiles, say=print) -> Path:
    """Keep the data under the record folder unless the server account cannot reach it."""
    if files.datadir_file.exists() or (files.record / "data").exists():
        return files.data
    if _reachable_by_server(files.record):
        return files.record / "data"
    digest = hashlib.sha256(str(files.record.resolve()).encode()).hexdigest()[:12]
    external = EXTERNAL_ROOT / digest / "data"
    say(
        f"user 'postgres' cannot reach {files.record} (a parent folder is not searchable), "
        f"so the cluster's data lives in {external}"
    )
    EXTERNAL_ROOT.mkdir(mode=0o755, exist_ok=True)
    os.chmod(EXTERNAL_ROOT, 0o755)
    files.datadir_file.write_text(f"{external}\n")
    return external


def _check_owner(data: Path) -> None:
    expected = server_user() or pwd.getpwuid(os.geteuid()).pw_name
    owner_uid = data.stat().st_uid
    try:
        owner = pwd.getpwuid(owner_uid).pw_name
    except KeyError:
        owner = f"uid {owner_uid}"
    if owner != expected:
        raise ClusterError(
            f"data directory {data} belongs to '{owner}', but the cluster runs as '{expected}': "
            f"fix it with 'chown -R {expected} {data}' or remove it"
        )


def _initdb(files: ClusterFiles, data: Path) -> None:
    data.mkdir(parents=True, exist_ok=True)
    user = server_user()
    if user:
        shutil.chown(data, user)
    os.chmod(data, 0o700)
    _check_owner(data)
    if not files.password_file.exists():
        files.password_file.write_text(secrets.token_urlsafe(24) + "\n")
        os.chmod(files.password_file, 0o600)
    fd, name = tempfile.mkstemp(prefix="danang-sdi-pw-")
    pwfile = Path(name)
    with os.fdopen(fd, "w") as handle:
        handle.write(files.password + "\n")
    if user:
        shutil.chown(pwfile, user)
    try:
        done = _as_server(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                ADMIN_USER,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        )
    finally:
        pwfile.unlink(missing_ok=True)
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ClusterError(f"initdb failed in {data}: {last[0]}")


def is_running(data: Path) -> bool:
    if not (data / "PG_VERSION").exists():
        return False
    return _as_server([str(PG_BIN / "pg_ctl"), "status", "-D", str(data)]).returncode == 0


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _choose_port(files: ClusterFiles, requested: int | None, notes: list[str]) -> int:
    if requested is not None:
        if not port_is_free(requested):
            raise ClusterError(
                f"port {requested} on {HOST} is taken by another program: choose another with --port"
            )
        return requested
    recorded = files.port
    if recorded is not None and port_is_free(recorded):
        return recorded
    port = free_port()
    if recorded is not None:
        notes.append(f"port {recorded} is taken by another program; using port {port} instead")
    return port


def _remove_stale_pid(data: Path, notes: list[str]) -> None:
    pid_file = data / "postmaster.pid"
    if pid_file.exists():
        first = pid_file.read_text().splitlines()[:1]
        pid_file.unlink()
        notes.append(
            f"removed a stale postmaster.pid (server pid {first[0] if first else '?'} is not running)"
        )


def _start(files: ClusterFiles, data: Path, port: int) -> None:
    options = f"-p {port} -c listen_addresses={HOST} -c unix_socket_directories=''"
    done = _as_server(
        [
            str(PG_BIN / "pg_ctl"),
            "start",
            "-D",
            str(data),
            "-l",
            str(files.log),
            "-w",
            "-t",
            "60",
            "-o",
            options,
        ]
    )
    if done.returncode != 0:
        raise ClusterError(f"the server did not start on port {port}: {_log_tail(files)}")


def _log_tail(files: ClusterFiles) -> str:
    try:
        lines = [line for line in files.log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return f"no log at {files.log}"
    errors = [line for line in lines if "FATAL" in line or "ERROR" in line]
    return (errors or lines or ["empty log"])[-1]


def up(record: Path, port: int | None = None, say=print) -> UpResult:
    """Install, initialise and start the private cluster as needed; idempotent."""
    ensure_postgis_installed(say)
    record.mkdir(parents=True, exist_ok=True)
    os.chmod(record, 0o755)
    files = ClusterFiles(record)
    notes: list[str] = []
    data = choose_data_dir(files, say)
    if data.exists():
        _check_owner(data)
    if is_running(data):
        if port is not None and port != files.port:
            raise ClusterError(
                f"the cluster is already running on port {files.port}; stop it first to move it"
            )
        return UpResult(files.url(), files.port, data, started=False, notes=notes)
    if not (data / "PG_VERSION").exists():
        say(f"creating a PostgreSQL {PG_MAJOR} cluster in {data} ...")
        _initdb(files, data)
    _remove_stale_pid(data, notes)
    chosen = _choose_port(files, port, notes)
    files.port_file.write_text(f"{chosen}\n")
    _start(files, data, chosen)
    return UpResult(files.url(), chosen, data, started=True, notes=notes)


def down(record: Path) -> bool:
    """Stop the private cluster; False when it was not running."""
    files = ClusterFiles(record)
    data = files.data
    if not is_running(data):
        return False
    done = _as_server([str(PG_BIN / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w", "-t", "60"])
    if done.returncode != 0:
        raise ClusterError(f"the server in {data} did not stop: {_log_tail(files)}")
    return True
