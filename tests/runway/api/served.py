"""`runway serve` as a real server process over a copy of a mirror database, for the tests that measure
the process itself (its memory, its worker processes)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests import network_guard


@dataclass(frozen=True)
class ServedApi:
    process: subprocess.Popen[bytes]
    base_url: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served_api(mirror: Path, directory: Path, *, workers: int) -> Iterator[ServedApi]:
    """``runway serve --workers N`` over a copy of ``mirror`` (in ``directory``), answering ``/health``
    before this yields; the process and its workers are stopped on exit."""
    db = directory / "mirror.db"
    shutil.copyfile(mirror, db)
    port = free_port()
    network_guard.allow_address("127.0.0.1", port)
    env = {**os.environ, "RUNWAY_DATABASE_URL": f"sqlite:///{db}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "runway", "serve", "--port", str(port), "--workers", str(workers),
         "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)  # its own process group: the workers are stopped with it
    served = ServedApi(process, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while not _healthy(served.base_url):
            assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield served
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
