"""Blocks network access in tests through a Python audit hook (PEP 578).

An audit hook sees every ``socket.connect``, ``socket.getaddrinfo`` and ``socket.bind`` in the process,
whatever library makes it, without patching any library. Blocking is off until a test turns it on;
addresses in the allow-list (for example the in-process QBO sandbox) stay reachable.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import threading

_state_lock = threading.Lock()
_blocked = False
_allowed: set[tuple[str, int]] = set()
_reason = contextvars.ContextVar("network_block_reason", default="")
_installed = False


class NetworkBlocked(RuntimeError):
    """A test tried to open a network connection while the network was blocked."""


def _address_of(args) -> tuple[str, int] | None:
    address = args[1] if len(args) > 1 else None
    if isinstance(address, tuple) and len(address) >= 2:
        return str(address[0]), int(address[1])
    return None


def _hook(event: str, args) -> None:
    if not _blocked or event not in ("socket.connect", "socket.getaddrinfo"):
        return
    if event == "socket.getaddrinfo":
        host, port = args[0], args[1]
        if (str(host), int(port or 0)) in _allowed:
            return
        raise NetworkBlocked(f"network blocked: getaddrinfo({host!r}, {port!r})")
    address = _address_of(args)
    if address is None:  # AF_UNIX sockets are local
        return
    if address in _allowed or (address[0] == "localhost" and ("127.0.0.1", address[1]) in _allowed):
        return
    raise NetworkBlocked(f"network blocked: connect to {address[0]}:{address[1]}")


def install() -> None:
    global _installed
    with _state_lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True


@contextlib.contextmanager
def network_blocked(allow: set[tuple[str, int]] | None = None):
    """Within the block, any connection outside ``allow`` raises ``NetworkBlocked``."""
    global _blocked, _allowed
    install()
    with _state_lock:
        previous = (_blocked, set(_allowed))
        _blocked, _allowed = True, set(allow or ())
    try:
        yield
    finally:
        with _state_lock:
            _blocked, _allowed = previous
