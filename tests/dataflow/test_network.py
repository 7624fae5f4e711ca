"""archguard.dataflow.network (the audit-hook network blocker) and the --dataflow-strict pytest plugin."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from archguard.dataflow import network
from tests.dataflow.support import REPO_ROOT

UNROUTABLE = ("203.0.113.7", 9)  # TEST-NET-3: never reached, the hook refuses before any packet


@pytest.fixture
def listener():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    yield server.getsockname()
    server.close()


def _connect(address: tuple[str, int]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
        client.settimeout(2)
        client.connect(address)


def test_blocked_connections_raise_and_allowed_loopback_ones_do_not(listener) -> None:
    with network.network_blocked():
        with pytest.raises(network.NetworkBlocked, match="network blocked: connect to 203.0.113.7:9"):
            _connect(UNROUTABLE)
        with pytest.raises(network.NetworkBlocked):
            _connect(listener)
    with network.network_blocked(allow={listener}):
        _connect(listener)
    assert not network.is_blocked()


def test_addresses_registered_at_run_time_stay_reachable(listener) -> None:
    network.allow_address(*listener)
    try:
        with network.network_blocked():
            _connect(listener)
    finally:
        network.disallow_address(*listener)
    assert listener not in network.allowed_addresses()


def test_only_loopback_addresses_may_be_allowed() -> None:
    for host in ("8.8.8.8", "example.com", "10.0.0.1"):
        with pytest.raises(ValueError, match="only loopback addresses may be allowed"):
            network.allow_address(host, 443)
    network.allow_address("::1", 5432)
    network.disallow_address("::1", 5432)


def test_block_and_unblock_for_a_whole_session() -> None:
    network.block()
    try:
        with pytest.raises(network.NetworkBlocked):
            socket.getaddrinfo("example.com", 443)
    finally:
        network.unblock()
    assert not network.is_blocked()


def test_dataflow_strict_plugin_raises_on_live_calls_and_blocks_the_network(tmp_path: Path) -> None:
    (tmp_path / "test_strict.py").write_text(textwrap.dedent("""
        import socket

        import pytest

        from archguard.dataflow.network import NetworkBlocked
        from archguard.dataflow.pytest_plugin import allow_address
        from infra.interfaces import patterns


        def test_guard_mode_is_raise():
            assert patterns.guard_mode() == "raise"


        def test_live_call_in_a_local_read_raises():
            @patterns.local_read
            def read():
                patterns.guard_live_call("Adapter.call")

            with pytest.raises(patterns.LiveCallInLocalRead):
                read()


        def test_sockets_are_blocked_except_allowed_loopback():
            server = socket.socket()
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            with pytest.raises(NetworkBlocked):
                socket.create_connection(server.getsockname(), timeout=1)
            allow_address(*server.getsockname())
            socket.create_connection(server.getsockname(), timeout=1).close()
            server.close()
    """))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    # Only the plugin under test (entry-point plugins such as hypothesis cost seconds of start-up).
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}

    strict = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "archguard.dataflow.pytest_plugin", "--dataflow-strict",
         "-p", "no:cacheprovider"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    plain = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "archguard.dataflow.pytest_plugin", "-p", "no:cacheprovider",
         "-k", "sockets"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )

    assert strict.returncode == 0, strict.stdout + strict.stderr
    assert "3 passed" in strict.stdout
    assert plain.returncode == 1, "without --dataflow-strict the network is open: the connect is not refused"
    assert "DID NOT RAISE" in plain.stdout
