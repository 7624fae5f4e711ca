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


@pytest.fixture
def in_process_servers_not_allowed():
    """These tests bind their own listeners, which a --dataflow-strict session would let through."""
    previous = network.allow_in_process_servers(False)
    yield
    network.allow_in_process_servers(previous)


def test_blocked_connections_raise_and_allowed_loopback_ones_do_not(in_process_servers_not_allowed, listener) -> None:
    blocked_before = network.is_blocked()  # a --dataflow-strict session is blocked throughout
    with network.network_blocked():
        with pytest.raises(network.NetworkBlocked, match="network blocked: connect to 203.0.113.7:9"):
            _connect(UNROUTABLE)
        with pytest.raises(network.NetworkBlocked):
            _connect(listener)
    with network.network_blocked(allow={listener}):
        _connect(listener)
    assert network.is_blocked() == blocked_before


def test_servers_this_process_binds_stay_reachable_while_open(in_process_servers_not_allowed) -> None:
    network.allow_in_process_servers(True)
    server = socket.create_server(("127.0.0.1", 0))  # bound after the switch: remembered
    address = server.getsockname()
    with network.network_blocked():
        _connect(address)
        server.close()
        with pytest.raises(network.NetworkBlocked):
            _connect(address)  # closed: no longer an in-process server


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
    blocked_before = network.is_blocked()
    network.block()
    try:
        with pytest.raises(network.NetworkBlocked):
            socket.getaddrinfo("example.com", 443)
    finally:
        if not blocked_before:  # leave a --dataflow-strict session blocked
            network.unblock()
    assert network.is_blocked() == blocked_before


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


        def test_sockets_are_blocked_except_in_process_servers_and_allowed_loopback():
            server = socket.create_server(("127.0.0.1", 0))  # like the in-process QBO sandbox
            socket.create_connection(server.getsockname(), timeout=1).close()
            server.close()
            probe = socket.create_server(("127.0.0.1", 0))
            port = probe.getsockname()[1]
            probe.close()  # nothing of this process listens there any more
            with pytest.raises(NetworkBlocked):
                socket.create_connection(("127.0.0.1", port), timeout=1)
            allow_address("127.0.0.1", port)
            with pytest.raises(ConnectionRefusedError):  # let through, and refused by the empty port
                socket.create_connection(("127.0.0.1", port), timeout=1)
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
    assert "ConnectionRefusedError" in plain.stdout
