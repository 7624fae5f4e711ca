"""pytest plugin: ``--dataflow-strict`` runs the whole session under the data-flow runtime guard.

Installed with archguard (a ``pytest11`` entry point), so every pytest run in an environment holding
archguard has the option; nothing changes until it is given. With the option set, for the whole session:

- the guard mode of the pattern markers (``archguard.patterns``) is ``"raise"``: a live adapter that
  calls ``guard_live_call`` while a local operation (``@local_read``/``@local_write``) runs raises
  ``LiveCallInLocalRead``. The ini option ``dataflow_patterns_module`` names another module with a
  ``set_guard_mode`` function, for a project with markers of its own;
- the network is blocked through an audit hook (``archguard.dataflow.network``): any ``socket.connect``
  or ``getaddrinfo`` raises ``NetworkBlocked``, except to loopback servers this process binds itself
  (an in-process test server), to the ``dataflow_allow`` ini addresses (a test database), and to
  loopback addresses a fixture registers at run time with ``allow_address(host, port)``.

archguard itself imports nothing from the project under test.
"""

from __future__ import annotations

import importlib

import pytest

from archguard.dataflow import network
from archguard.dataflow.network import NetworkBlocked, allow_address, disallow_address

__all__ = ["NetworkBlocked", "allow_address", "disallow_address"]

DEFAULT_PATTERNS_MODULE = "archguard.patterns"
_STATE = pytest.StashKey[tuple[object, str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dataflow", "data-flow pattern guard")
    group.addoption(
        "--dataflow-strict", action="store_true", default=False, dest="dataflow_strict",
        help="guard mode 'raise' for the whole session, and no network except allow-listed loopback addresses",
    )
    parser.addini("dataflow_patterns_module", default=DEFAULT_PATTERNS_MODULE,
                  help="module holding set_guard_mode (default archguard.patterns)")
    parser.addini("dataflow_allow", type="linelist", default=[],
                  help="loopback host:port addresses that stay reachable in strict mode (a test database)")


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("dataflow_strict", default=False):
        return
    patterns = importlib.import_module(str(config.getini("dataflow_patterns_module")))
    previous = patterns.set_guard_mode("raise")
    config.stash[_STATE] = (patterns, previous)
    for entry in config.getini("dataflow_allow"):
        host, _, port = str(entry).rpartition(":")
        if not host or not port.isdigit():
            raise pytest.UsageError(f"dataflow_allow entries are host:port, not {entry!r}")
        network.allow_address(host, int(port))
    network.allow_in_process_servers()
    network.block()


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    patterns, previous = state
    patterns.set_guard_mode(previous)  # type: ignore[attr-defined]
    network.allow_in_process_servers(False)
    network.unblock()
    del config.stash[_STATE]


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.stash.get(_STATE, None) is None:
        return None
    return ("dataflow: strict (guard mode 'raise'; network blocked except servers this process binds on "
            "loopback and the dataflow_allow addresses)")
