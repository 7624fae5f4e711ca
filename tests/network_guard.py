"""The network blocker the tests use: ``archguard.dataflow.network`` (an audit hook, no patching)."""

from archguard.dataflow.network import NetworkBlocked, allow_address, install, network_blocked

__all__ = ["NetworkBlocked", "allow_address", "install", "network_blocked"]
