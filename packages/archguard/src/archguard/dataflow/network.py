"""Blocks network access through a Python audit hook (PEP 578).

An audit hook sees every ``socket.connect``, ``socket.getaddrinfo`` and ``socket.bind`` in the process,
whatever library makes it, without patching any library. Blocking is off until something turns it on:

- ``network_blocked(allow)``: a context manager (what the ``no_network`` test fixture uses); inside it
  only the addresses in ``allow`` (and those registered with ``allow_address``) are reachable;
- ``block()`` / ``unblock()``: for a whole session (the ``--dataflow-strict`` pytest option);
- ``allow_address(host, port)``: register, at run time, a loopback address that stays reachable while
  blocked (an in-process sandbox server started by a fixture). Only loopback hosts are accepted.
- ``allow_in_process_servers()``: keep reachable every loopback server socket this process itself
  binds (the in-process QBO sandbox, wherever it lands with port 0), for as long as it is open. The
  hook sees each ``socket.bind`` to a loopback address and remembers the socket; a connection to a
  loopback port is allowed while one of those sockets is open on that port.

A blocked connection raises ``NetworkBlocked`` inside the code that tried it. AF_UNIX sockets are local
and never blocked. The mechanism was first written in ``tests/network_guard.py``, which can re-export
this module. It imports nothing from the project.
"""

from __future__ import annotations

import contextlib
import ipaddress
import sys
import threading
import weakref
from collections.abc import Iterable, Iterator

__all__ = [
    "NetworkBlocked",
    "allow_address",
    "allow_in_process_servers",
    "allowed_addresses",
    "block",
    "disallow_address",
    "install",
    "is_blocked",
    "network_blocked",
    "unblock",
]

_state_lock = threading.Lock()
_blocked = False
_allowed: set[tuple[str, int]] = set()  # allowed by the innermost network_blocked() block
_registered: set[tuple[str, int]] = set()  # allowed by allow_address(), for as long as they stay registered
_installed = False
_own_servers_allowed = False
_own_server_sockets: weakref.WeakSet = weakref.WeakSet()  # loopback sockets this process bound


class NetworkBlocked(RuntimeError):
    """Code tried to open a network connection while the network was blocked."""


def _address_of(args) -> tuple[str, int] | None:
    address = args[1] if len(args) > 1 else None
    if isinstance(address, tuple) and len(address) >= 2:
        return str(address[0]), int(address[1])
    return None


def _is_own_server(host: str, port: int) -> bool:
    if not (_own_servers_allowed and port and _is_loopback(host)):
        return False
    for sock in list(_own_server_sockets):
        with contextlib.suppress(OSError):
            if sock.fileno() != -1 and sock.getsockname()[1] == port:
                return True
    return False


def _is_allowed(address: tuple[str, int]) -> bool:
    allowed = _allowed | _registered
    if address in allowed:
        return True
    host, port = address
    if _is_own_server(host, port):
        return True
    if host == "localhost":
        return ("127.0.0.1", port) in allowed or ("::1", port) in allowed
    if host in ("127.0.0.1", "::1"):
        return ("localhost", port) in allowed
    return False


def _hook(event: str, args) -> None:
    if event == "socket.bind":
        if _own_servers_allowed:
            address = _address_of(args)
            if address is not None and _is_loopback(address[0]):
                _own_server_sockets.add(args[0])
        return
    if not _blocked or event not in ("socket.connect", "socket.getaddrinfo"):
        return
    if event == "socket.getaddrinfo":
        host, port = args[0], args[1]
        try:
            numeric_port = int(port or 0)
        except (TypeError, ValueError):
            numeric_port = 0
        if _is_allowed((str(host), numeric_port)):
            return
        raise NetworkBlocked(f"network blocked: getaddrinfo({host!r}, {port!r})")
    address = _address_of(args)
    if address is None:  # AF_UNIX sockets are local
        return
    if _is_allowed(address):
        return
    raise NetworkBlocked(f"network blocked: connect to {address[0]}:{address[1]}")


def install() -> None:
    """Add the audit hook (once per process; an audit hook cannot be removed, only switched off)."""
    global _installed
    with _state_lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True


def is_blocked() -> bool:
    return _blocked


def block() -> None:
    """Block the network from now on (until ``unblock``)."""
    global _blocked
    install()
    with _state_lock:
        _blocked = True


def unblock() -> None:
    global _blocked
    with _state_lock:
        _blocked = False


def allow_in_process_servers(enabled: bool = True) -> bool:
    """Keep loopback servers this process binds from now on reachable while blocked (see the module doc).
    Returns the previous setting, so a caller can restore it."""
    global _own_servers_allowed
    install()
    with _state_lock:
        previous, _own_servers_allowed = _own_servers_allowed, enabled
    return previous


def allow_address(host: str, port: int) -> None:
    """Keep ``host:port`` reachable while the network is blocked. ``host`` must be a loopback address
    (``127.0.0.0/8``, ``::1`` or ``localhost``): the point of blocking is that nothing leaves the machine."""
    if not _is_loopback(host):
        raise ValueError(f"only loopback addresses may be allowed, not {host!r}")
    with _state_lock:
        _registered.add((host, int(port)))


def disallow_address(host: str, port: int) -> None:
    with _state_lock:
        _registered.discard((host, int(port)))


def allowed_addresses() -> frozenset[tuple[str, int]]:
    return frozenset(_allowed | _registered)


@contextlib.contextmanager
def network_blocked(allow: Iterable[tuple[str, int]] | None = None) -> Iterator[None]:
    """Within the block, any connection outside ``allow`` (and the registered addresses) raises
    ``NetworkBlocked``. Blocks nest: leaving one restores what was in force before it."""
    global _blocked, _allowed
    install()
    with _state_lock:
        previous = (_blocked, set(_allowed))
        _blocked, _allowed = True, {(str(h), int(p)) for h, p in (allow or ())}
    try:
        yield
    finally:
        with _state_lock:
            _blocked, _allowed = previous


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
