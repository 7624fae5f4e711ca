"""The network guard the Pattern 1 proofs rely on does block connections (a guard nobody saw fail is no guard)."""

import socket

import httpx
import pytest

from tests.network_guard import NetworkBlocked, network_blocked


def test_a_blocked_test_cannot_connect_even_to_loopback():
    with network_blocked(), pytest.raises(NetworkBlocked, match="network blocked: .*127.0.0.1.*9"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)


def test_http_clients_are_blocked_too():
    with network_blocked(), pytest.raises(NetworkBlocked):
        httpx.get("http://127.0.0.1:9/", timeout=1)


def test_an_allowed_address_stays_reachable_and_blocking_ends_with_the_block():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    try:
        with network_blocked(allow={("127.0.0.1", port)}):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    finally:
        server.close()
