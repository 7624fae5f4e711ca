"""Hand-written fakes of the API's bookkeeping ports (``infra.interfaces.access``), over an ``InMemoryMirror``.

They follow the ports' contracts as the SQL repositories do (``infra.db.repositories.advisors``,
``idempotency``, ``health``): the first writer of an idempotency key wins, a taken e-mail address is a
``StorageError``, sync requests of one business merge into its pending one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime

from infra.interfaces.access import (
    IDEMPOTENCY_PENDING,
    AdvisorRecord,
    ApiTokenRecord,
    BusinessSyncOverview,
    IdempotencyRecord,
    SyncRequestRecord,
    TokenOwner,
    WorkerHeartbeatRecord,
)
from infra.interfaces.errors import RecordNotFound, StorageError
from infra.interfaces.records import Entity, FirmRecord
from tests.fakes.mirror import InMemoryMirror


class InMemoryAdvisors:
    """Implements ``AdvisorDirectory`` and ``ApiTokenStore``; firms are the mirror's."""

    def __init__(self, mirror: InMemoryMirror) -> None:
        self._mirror = mirror
        self.advisors: dict[int, AdvisorRecord] = {}
        self.tokens: dict[int, ApiTokenRecord] = {}
        self.fail_mark_used = False

    # -- AdvisorDirectory -------------------------------------------------------------------------

    def find_firm_by_name(self, name: str) -> FirmRecord | None:
        return next((f for f in self._mirror.list_firms() if f.name == name), None)

    def create_firm(self, name: str) -> FirmRecord:
        return self._mirror.add_firm(name)

    def get_advisor(self, advisor_id: int) -> AdvisorRecord:
        if advisor_id not in self.advisors:
            raise RecordNotFound(f"no advisor with id {advisor_id}")
        return self.advisors[advisor_id]

    def find_advisor_by_email(self, email: str) -> AdvisorRecord | None:
        return next((a for a in self.advisors.values() if a.email == email), None)

    def create_advisor(self, firm_id: int, email: str, name: str | None, created_at: datetime) -> AdvisorRecord:
        if firm_id not in self._mirror.firms or self.find_advisor_by_email(email) is not None:
            raise StorageError(f"cannot create advisor {email} of firm {firm_id}")
        advisor = AdvisorRecord(len(self.advisors) + 1, firm_id, email, name, created_at)
        self.advisors[advisor.id] = advisor
        return advisor

    def list_advisors(self, firm_id: int) -> list[AdvisorRecord]:
        return [a for a in self.advisors.values() if a.firm_id == firm_id]

    # -- ApiTokenStore ----------------------------------------------------------------------------

    def add_token(self, advisor_id: int, token_hash: str, prefix: str, label: str | None,
                  created_at: datetime, expires_at: datetime | None = None) -> ApiTokenRecord:
        token = ApiTokenRecord(len(self.tokens) + 1, advisor_id, token_hash, prefix, label, created_at,
                               expires_at=expires_at)
        self.tokens[token.id] = token
        return token

    def find_by_hash(self, token_hash: str) -> TokenOwner | None:
        token = next((t for t in self.tokens.values() if t.token_hash == token_hash), None)
        if token is None:
            return None
        advisor = self.advisors[token.advisor_id]
        return TokenOwner(token, advisor, self._mirror.firms[advisor.firm_id])

    def mark_used(self, token_id: int, at: datetime) -> None:
        if self.fail_mark_used:
            raise StorageError("the database is read-only")
        self.tokens[token_id] = dataclasses.replace(self.tokens[token_id], last_used_at=at)

    def revoke(self, token_id: int, at: datetime) -> None:
        if self.tokens[token_id].revoked_at is None:
            self.tokens[token_id] = dataclasses.replace(self.tokens[token_id], revoked_at=at)

    def list_tokens(self, advisor_id: int) -> list[ApiTokenRecord]:
        return [t for t in self.tokens.values() if t.advisor_id == advisor_id]


class InMemoryIdempotencyStore:
    """Implements ``IdempotencyStore``: the first record of a (firm, key) wins, and so does its first answer."""

    def __init__(self) -> None:
        self.records: dict[tuple[int, str], IdempotencyRecord] = {}

    def get(self, firm_id: int, key: str) -> IdempotencyRecord | None:
        return self.records.get((firm_id, key))

    def put_if_absent(self, record: IdempotencyRecord) -> IdempotencyRecord:
        return self.records.setdefault((record.firm_id, record.key), record)

    def complete(self, firm_id: int, key: str, status_code: int, body: str) -> IdempotencyRecord:
        stored = self.records.get((firm_id, key))
        if stored is None:
            raise RecordNotFound(f"no idempotency record for key {key!r} of firm {firm_id}")
        if stored.status_code == IDEMPOTENCY_PENDING:
            stored = self.records[(firm_id, key)] = dataclasses.replace(stored, status_code=status_code, body=body)
        return stored

    def delete_older_than(self, before: datetime) -> int:
        old = [k for k, r in self.records.items() if r.created_at < before]
        for k in old:
            del self.records[k]
        return len(old)


class MirrorReadinessProbe:
    """Implements ``ReadinessProbe`` over the mirror's sync states; ``down`` makes every check fail."""

    def __init__(self, mirror: InMemoryMirror) -> None:
        self._mirror = mirror
        self.down = False
        self.heartbeats: list[WorkerHeartbeatRecord] | None = None

    def ping(self) -> None:
        if self.down:
            raise StorageError("the mirror database is not answering")

    def sync_overview(self) -> list[BusinessSyncOverview]:
        self.ping()
        rows = []
        for business in self._mirror.list_businesses():
            done = [s.last_success_at for (bid, _), s in self._mirror.sync.items()
                    if bid == business.id and s.last_success_at is not None]
            rows.append(BusinessSyncOverview(business.id, min(done, default=None), len(done)))
        return rows

    def worker_heartbeats(self) -> list[WorkerHeartbeatRecord] | None:
        self.ping()
        return self.heartbeats


class InMemorySyncRequests:
    """Implements ``SyncRequests``: one pending request per business, later requests merged into it."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self.pending: dict[int, SyncRequestRecord] = {}

    def enqueue(self, business_id: int, entities: Iterable[str] | None, reason: str, *, full: bool
                ) -> SyncRequestRecord:
        names = None if entities is None else frozenset(Entity(e).value for e in entities)
        queued = self.pending.get(business_id)
        if queued is not None:
            merged = None if queued.entities is None or names is None else queued.entities | names
            names, full = merged, full or queued.full
        record = SyncRequestRecord(len(self.pending) + 1 if queued is None else queued.id, business_id, names, full,
                                   reason, self._now, 1 if queued is None else queued.request_count + 1)
        self.pending[business_id] = record
        return record
