"""``danang-sdi serve`` (or any server command) in a process of its own on 127.0.0.1, stopped by its PID."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests

STARTUP_SECONDS = 90.0
DANANG_SDI = str(Path(sys.executable).parent / "danang-sdi")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_command(config: Path, port: int, workers: int = 1) -> list[str]:
    return [DANANG_SDI, "serve", "--config", str(config), "--port", str(port), "--workers", str(workers)]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, probe: str = "/conformance") -> None:
    """Until ``url + probe`` answers 200; a server that exits or never answers fails with its log's tail."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(requests.RequestException):  # not listening yet, or a worker still importing
            if requests.get(f"{url}{probe}", timeout=15).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(
        f"the server did not answer within {STARTUP_SECONDS:.0f} s:\n{log.read_text()[-3000:]}"
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def running(
    command: list[str], env: dict[str, str], url: str, log: Path, probe: str = "/conformance"
) -> Iterator[str]:
    """Start ``command`` with ``env`` (added to ours), yield ``url`` once it answers, stop it by PID after."""
    with log.open("w") as sink:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_until_up(url, process, log, probe)
        yield url
    finally:
        stop(process)


@contextlib.contextmanager
def serving(config: Path, env: dict[str, str], log: Path, workers: int = 1) -> Iterator[str]:
    """``danang-sdi serve --config CONFIG`` on a free port, with its public URL set; yields that URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(serve_command(config, port, workers), {**env, "DANANG_SDI_PUBLIC_URL": url}, url, log) as up:
        yield up
