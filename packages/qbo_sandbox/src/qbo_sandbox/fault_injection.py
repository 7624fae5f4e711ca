"""Fault switches: make the sandbox misbehave the ways QBO does, on demand.

Switches (all settable from Python here and over HTTP at ``/_sandbox/faults``):
- latency:     every data answer waits ``fixed_ms + per_row_ms * rows`` (an ``asyncio.sleep``; the server
               keeps serving others meanwhile). ``set_latency`` to new values cuts running waits short.
- throttle:    the next N requests answer 429 / fault 3001.
- error:       the next N requests (or each with probability p) answer 500 or 503 (SystemFault).
- drop:        the next N requests (or each with probability p) get their connection closed without an
               answer. ``after_processing=True`` does the work first (a write is committed) and then drops
               the answer, which is what makes ``requestid`` retries necessary.
- malformed:   one stored entity is served with fields overwritten or removed (``TotalAmt: "abc"``,
               no ``Id``) wherever it appears in an answer; the store itself is untouched.
Expiring all access tokens is ``SandboxState.auth.expire_access_tokens()`` (also exposed at /_sandbox/faults).

A rule has a *target*: ``"data"`` (the /v3 API, default), ``"oauth"`` (token endpoint) or ``"any"``, and
optionally one realm. The first matching rule wins; counted rules are used up one request at a time.
Probabilistic rules draw from a RNG seeded with ``SandboxConfig.fault_seed`` so runs repeat.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from typing import Literal

from .config import LatencySettings

Target = Literal["data", "oauth", "any"]
Kind = Literal["throttle", "error", "drop"]


@dataclass
class FaultRule:
    kind: Kind
    remaining: int | None  # None: until cleared (probabilistic rules)
    probability: float = 1.0
    status: int = 500
    target: Target = "data"
    realm_id: str | None = None
    after_processing: bool = False

    def matches(self, target: str, realm_id: str | None, after_processing: bool) -> bool:
        return (self.target in ("any", target) and self.realm_id in (None, realm_id)
                and self.after_processing == after_processing and (self.remaining is None or self.remaining > 0))


@dataclass(frozen=True)
class Malformation:
    """How to damage one entity on the way out: fields to overwrite and fields to remove."""

    set_fields: dict
    drop_fields: tuple[str, ...]

    def apply(self, row: dict) -> dict:
        damaged = {key: value for key, value in row.items() if key not in self.drop_fields}
        damaged.update(self.set_fields)
        return damaged


class FaultInjector:
    """The fault switches of one sandbox. Thread-safe."""

    def __init__(self, latency: LatencySettings = LatencySettings(), seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._initial_latency = latency
        self.latency_generation = 0
        self.clear()

    def clear(self) -> None:
        """Turn every switch off (latency back to the configured values)."""
        with self._lock:
            self._rules: list[FaultRule] = []
            self._malformed: dict[tuple[str, str, str], Malformation] = {}
            self._random = random.Random(self._seed)
            self._latency = self._initial_latency
            self.latency_generation += 1

    # --------------------------------------------------------------------------------------- latency

    def set_latency(self, fixed_ms: float = 0.0, per_row_ms: float = 0.0) -> None:
        with self._lock:
            self._latency = LatencySettings(fixed_ms, per_row_ms)
            # Running waits watch this number and stop when it changes, so turning latency off
            # releases requests held by a long injected delay.
            self.latency_generation += 1

    @property
    def latency(self) -> LatencySettings:
        return self._latency

    def delay_ms(self, rows: int) -> float:
        latency = self._latency
        return latency.fixed_ms + latency.per_row_ms * rows

    # ----------------------------------------------------------------------------------------- rules

    def throttle_next(self, count: int, *, realm_id: str | None = None, target: Target = "data") -> None:
        """The next ``count`` matching requests answer 429 / fault 3001."""
        self._add(FaultRule("throttle", count, status=429, target=target, realm_id=realm_id))

    def fail_next(self, count: int, status: int = 500, *, realm_id: str | None = None, target: Target = "data",
                  after_processing: bool = False) -> None:
        """The next ``count`` matching requests answer ``status`` (500 or 503) with a SystemFault."""
        self._add(FaultRule("error", count, status=status, target=target, realm_id=realm_id,
                            after_processing=after_processing))

    def fail_randomly(self, probability: float, status: int = 503, *, realm_id: str | None = None,
                      target: Target = "data") -> None:
        """Each matching request fails with ``status`` with ``probability`` (until cleared)."""
        self._add(FaultRule("error", None, probability, status, target, realm_id))

    def drop_next(self, count: int, *, after_processing: bool = False, realm_id: str | None = None,
                  target: Target = "data") -> None:
        """Close the connection of the next ``count`` matching requests without answering."""
        self._add(FaultRule("drop", count, target=target, realm_id=realm_id, after_processing=after_processing))

    def drop_randomly(self, probability: float, *, realm_id: str | None = None, target: Target = "data") -> None:
        self._add(FaultRule("drop", None, probability, target=target, realm_id=realm_id))

    def _add(self, rule: FaultRule) -> None:
        if rule.remaining is not None and rule.remaining < 1:
            return
        if rule.kind == "error" and rule.status < 500:
            raise ValueError("injected errors are server errors (5xx)")
        with self._lock:
            self._rules.append(rule)

    def take(self, target: str, realm_id: str | None, *, after_processing: bool = False) -> FaultRule | None:
        """The rule that applies to this request now (using up one of a counted rule), or None."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(target, realm_id, after_processing):
                    continue
                if rule.remaining is None:
                    if self._random.random() < rule.probability:
                        return rule
                    continue
                rule.remaining -= 1
                if rule.remaining == 0:
                    self._rules.remove(rule)
                return rule
            return None

    # ------------------------------------------------------------------------------------ malformed

    def malform(self, realm_id: str, entity: str, entity_id: str, *, set_fields: dict | None = None,
                drop_fields: tuple[str, ...] | list[str] = ()) -> None:
        """Serve ``entity`` ``entity_id`` of ``realm_id`` damaged (e.g. ``set_fields={"TotalAmt": "abc"}``
        or ``drop_fields=("Id",)``) until cleared."""
        if not set_fields and not drop_fields:
            raise ValueError("say which fields to overwrite or drop")
        with self._lock:
            self._malformed[(realm_id, entity.lower(), str(entity_id))] = Malformation(
                dict(set_fields or {}), tuple(drop_fields))

    def malformation(self, realm_id: str, entity: str, entity_id: str) -> Malformation | None:
        if not self._malformed:  # the common case, checked once per served row
            return None
        return self._malformed.get((realm_id, entity.lower(), entity_id))

    @property
    def has_malformations(self) -> bool:
        return bool(self._malformed)

    def describe(self) -> dict:
        """The current switches, JSON-ready."""
        with self._lock:
            return {
                "latency": asdict(self._latency),
                "rules": [asdict(rule) for rule in self._rules],
                "malformed": [{"realm_id": realm, "entity": entity, "id": entity_id,
                               "set_fields": m.set_fields, "drop_fields": list(m.drop_fields)}
                              for (realm, entity, entity_id), m in self._malformed.items()],
            }
