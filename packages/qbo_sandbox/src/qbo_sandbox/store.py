"""One company's data (a realm): storage, reads, change data capture and the write primitives.

Contract:
- Rows are stored as the JSON-shaped dicts QBO sends, money as cent-quantized ``Decimal``.
- Stored rows are immutable: every write replaces the row with a new dict. Readers may therefore take
  references under the lock and serialize them after releasing it.
- Every method is thread-safe (one re-entrant lock per realm). The HTTP app calls into a realm from the
  event loop and tests call from their own threads.
- Ids are per entity type, numeric strings, ascending in creation order; the row dicts are kept in Id
  order so queries need no sort by default.
- Hard deletes leave a tombstone so CDC can report them.
- Every change made through the write API notifies the realm's listeners (webhooks) with a
  ``ChangeEvent``; changes to computed balances (Vendor/Customer ``Balance``, Account ``CurrentBalance``)
  are treated as QBO treats computed fields: no SyncToken bump, no MetaData change, no event.

Business rules (totals, payments applied to bills and invoices, validation) live in ``rules.py``; this
module only offers them a consistent place to read and write.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from . import rules
from .clock import Clock, parse_offset, qbo_timestamp
from .encoding import to_plain
from .entities import ENTITY_SPECS, require_spec
from .errors import invalid_value, object_not_found, unsupported_operation
from .query import Query, QueryResult, parse_query, run_query

T = TypeVar("T")

#: How many ``requestid`` answers a realm remembers (oldest forgotten first).
REQUEST_ID_MEMORY = 10_000
CDC_LOOKBACK = timedelta(days=30)
CDC_MAX_OBJECTS = 1000


@dataclass(frozen=True)
class ChangeEvent:
    """One entity change, as a webhook reports it. ``operation``: Create, Update, Delete or Void."""

    realm_id: str
    entity: str
    entity_id: str
    operation: str
    last_updated: datetime


@dataclass(frozen=True)
class SentEmail:
    """An invoice the sandbox "sent" (recorded instead of delivered)."""

    realm_id: str
    invoice_id: str
    doc_number: str | None
    to: str
    sent_at: datetime


@dataclass(frozen=True)
class _Tombstone:
    entity_id: str
    deleted_at: datetime
    last_updated: str

    def as_cdc_object(self) -> dict:
        return {"domain": "QBO", "status": "Deleted", "Id": self.entity_id,
                "MetaData": {"LastUpdatedTime": self.last_updated}}


class RealmStore:
    """The data of one QBO company. See the module docstring for the guarantees."""

    def __init__(self, realm_id: str, *, company_name: str, utc_offset: str, clock: Clock) -> None:
        self.realm_id = realm_id
        self.company_name = company_name
        self.profile = ""  # the seed's company profile, when the data was generated (see seed.py)
        self.utc_offset = utc_offset
        self.tz = parse_offset(utc_offset)
        self.clock = clock
        self.lock = threading.RLock()
        self._rows: dict[str, dict[str, dict]] = {name: {} for name in ENTITY_SPECS}
        self._updated_at: dict[str, dict[str, datetime]] = {name: {} for name in ENTITY_SPECS}
        # CDC without scanning every row: the latest LastUpdatedTime of the loaded (seeded) rows, and the
        # changes made since through the write API, in the order made.
        self._loaded_until: dict[str, datetime | None] = dict.fromkeys(ENTITY_SPECS)
        self._journal: dict[str, list[tuple[datetime, str]]] = {name: [] for name in ENTITY_SPECS}
        self._next_id: dict[str, int] = dict.fromkeys(ENTITY_SPECS, 1)
        self._tombstones: dict[str, list[_Tombstone]] = {name: [] for name in ENTITY_SPECS}
        self._voided: dict[str, set[str]] = {name: set() for name in ENTITY_SPECS}
        self._answers: OrderedDict[str, Any] = OrderedDict()
        self._outbox: list[SentEmail] = []
        self._listeners: list[Callable[[ChangeEvent], None]] = []

    # ------------------------------------------------------------------------------------ loading

    def load(self, entity: str, rows: Iterable[dict]) -> None:
        """Install pre-built rows (seeded data) as they are: no validation, no events.

        Rows must carry ``Id`` and ``MetaData.LastUpdatedTime`` and come in ascending Id order.
        """
        name = require_spec(entity).name
        parse = datetime.fromisoformat
        with self.lock:
            table, touched = self._rows[name], self._updated_at[name]
            latest = self._loaded_until[name]
            for row in rows:
                entity_id = row["Id"]
                table[entity_id] = row
                instant = touched[entity_id] = parse(row["MetaData"]["LastUpdatedTime"])
                latest = instant if latest is None or instant > latest else latest
            self._loaded_until[name] = latest
            if table:
                self._next_id[name] = max(self._next_id[name], max(map(int, table)) + 1)

    def add_listener(self, listener: Callable[[ChangeEvent], None]) -> None:
        """Call ``listener`` for every change made through the write API (under the realm lock: be quick)."""
        with self.lock:
            self._listeners.append(listener)

    # ---------------------------------------------------------------------------------------- reads

    def now_text(self) -> str:
        return qbo_timestamp(self.clock.now(), self.tz)

    def row(self, entity: str, entity_id: str) -> dict | None:
        """The stored row (read-only; money as Decimal), or None if absent or deleted."""
        name = require_spec(entity).name
        with self.lock:
            return self._rows[name].get(str(entity_id))

    def require_row(self, entity: str, entity_id: str) -> dict:
        row = self.row(entity, entity_id)
        if row is None:
            raise object_not_found(require_spec(entity).name, str(entity_id))
        return row

    def rows(self, entity: str) -> list[dict]:
        """All stored rows of ``entity`` in Id order, inactive included (read-only; money as Decimal)."""
        name = require_spec(entity).name
        with self.lock:
            return list(self._rows[name].values())

    def is_voided(self, entity: str, entity_id: str) -> bool:
        """Whether the transaction was voided (QBO shows it only through zero amounts and the note)."""
        name = require_spec(entity).name
        with self.lock:
            return str(entity_id) in self._voided[name]

    def get(self, entity: str, entity_id: str, *, decimal: bool = False) -> dict | None:
        """One entity exactly as the sandbox serializes it (see ``encoding.to_plain``), or None."""
        row = self.row(entity, entity_id)
        return None if row is None else to_plain(row, decimal=decimal)

    def all_entities(self, entity: str, *, decimal: bool = False) -> list[dict]:
        """Every ``entity`` (inactive included) exactly as the sandbox serializes it, in Id order.

        Money is ``float`` as in ``response.json()``; ``decimal=True`` gives ``Decimal`` instead.
        """
        return to_plain(self.rows(entity), decimal=decimal)

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {name: len(table) for name, table in self._rows.items()}

    def query(self, statement: str | Query) -> QueryResult:
        """Run a query statement (see ``query.py``). Raises QboFault 4000/4001 for a bad statement."""
        parsed = parse_query(statement) if isinstance(statement, str) else statement
        return run_query(parsed, self.rows(parsed.entity), self.tz)

    def changes_since(self, entities: Sequence[str], since: datetime,
                      limit: int = CDC_MAX_OBJECTS) -> list[tuple[str, list[dict]]]:
        """Change data capture: per requested entity, the rows changed at or after ``since``.

        Deleted rows appear as ``{"domain", "status": "Deleted", "Id", "MetaData"}``. At most ``limit``
        objects in total; when more changed, the *oldest* changes win so a caller can continue from the
        last LastUpdatedTime it saw. Within an entity, objects are in change order.
        Raises QboFault when ``since`` is more than 30 days before now.
        """
        if since < self.clock.now() - CDC_LOOKBACK:
            raise invalid_value("changedSince", "changedSince is more than 30 days in the past; "
                                                "CDC looks back at most 30 days")
        names = [require_spec(entity).name for entity in entities]
        candidates: list[tuple[datetime, int, int, Any]] = []
        with self.lock:
            for position, name in enumerate(names):
                touched, table = self._updated_at[name], self._rows[name]
                loaded_until = self._loaded_until[name]
                if loaded_until is None or loaded_until < since:  # only rows changed through the write API
                    current = {entity_id for instant, entity_id in self._journal[name]
                               if instant >= since and touched.get(entity_id) == instant}
                    changed: Iterable[tuple[str, datetime]] = ((i, touched[i]) for i in current)
                else:
                    changed = touched.items()
                for entity_id, instant in changed:
                    if instant >= since:
                        candidates.append((instant, position, int(entity_id), table[entity_id]))
                for tombstone in self._tombstones[name]:
                    if tombstone.deleted_at >= since:
                        candidates.append((tombstone.deleted_at, position, int(tombstone.entity_id),
                                           tombstone.as_cdc_object()))
        candidates.sort(key=lambda item: item[:3])
        grouped: list[list[dict]] = [[] for _ in names]
        for _, position, _, obj in candidates[:limit]:
            grouped[position].append(obj)
        return list(zip(names, grouped, strict=True))

    # ---------------------------------------------------------------------------- public write API

    def write(self, entity: str, operation: str, body: Any) -> dict:
        """One write exactly as the HTTP API performs it; returns the answer object.

        ``operation``: ``create``, ``update`` (needs Id and the current SyncToken), ``save`` (update when
        the body has an Id, else create), ``delete`` (answers ``{"status": "Deleted", ...}``) or ``void``.
        Raises QboFault.
        """
        with self.lock:
            spec = require_spec(entity)
            if operation == "save":
                has_id = isinstance(body, dict) and body.get("Id") not in (None, "")
                operation = "update" if has_id else "create"
            handler = _WRITES.get(operation)
            if handler is None:
                raise unsupported_operation(f"{operation} for {spec.name}")
            return handler(self, spec, body)

    def create(self, entity: str, body: dict) -> dict:
        """Create ``entity`` from a QBO request body; returns the new stored row. Raises QboFault."""
        with self.lock:
            return rules.create(self, require_spec(entity), body)

    def update(self, entity: str, body: dict) -> dict:
        """Full or sparse (``"sparse": true``) update; body needs ``Id`` and the current ``SyncToken``
        (omit ``SyncToken`` to update blindly: a Python-API convenience the HTTP API does not offer)."""
        with self.lock:
            spec = require_spec(entity)
            if "SyncToken" not in body and "Id" in body:
                body = {**body, "SyncToken": self.require_row(spec.name, str(body["Id"]))["SyncToken"]}
            return rules.update(self, spec, body)

    def delete(self, entity: str, entity_id: str, sync_token: str | None = None) -> dict:
        """Hard-delete a transaction; returns QBO's delete answer ``{"Id", "status": "Deleted", ...}``."""
        with self.lock:
            spec = require_spec(entity)
            if sync_token is None:
                sync_token = self.require_row(spec.name, entity_id)["SyncToken"]
            return rules.delete(self, spec, {"Id": str(entity_id), "SyncToken": str(sync_token)})

    def void(self, entity: str, entity_id: str, sync_token: str | None = None) -> dict:
        """Void a transaction as QBO does (amounts and Balance become 0, "Voided" is prepended to the
        PrivateNote); returns the row. Only Invoice, Payment, BillPayment and SalesReceipt have a void."""
        with self.lock:
            spec = require_spec(entity)
            if sync_token is None:
                sync_token = self.require_row(spec.name, entity_id)["SyncToken"]
            return rules.void(self, spec, {"Id": str(entity_id), "SyncToken": str(sync_token)})

    def send_invoice(self, invoice_id: str, send_to: str | None = None) -> dict:
        """Mark an invoice e-mailed (EmailStatus "EmailSent") and record it in the outbox; returns the row."""
        with self.lock:
            row = rules.send_invoice(self, str(invoice_id), send_to)
            self._outbox.append(SentEmail(self.realm_id, row["Id"], row.get("DocNumber"),
                                          row["BillEmail"]["Address"], self.clock.now()))
            return row

    def patch(self, entity: str, entity_id: str, fields: dict) -> dict:
        """Test back door: set ``fields`` verbatim (read-only ones such as Balance included), bump the
        SyncToken and LastUpdatedTime, notify listeners. No business rule is applied."""
        with self.lock:
            return rules.patch(self, require_spec(entity), str(entity_id), fields)

    def idempotent(self, request_id: str | None, produce: Callable[[], T]) -> T:
        """Run ``produce`` once per ``request_id``: a repeat gets the first result back without
        running again (QBO's ``requestid`` semantics). Atomic with respect to other writes."""
        if not request_id:
            return produce()
        with self.lock:
            if request_id in self._answers:
                self._answers.move_to_end(request_id)
                return self._answers[request_id]
            result = produce()
            self._answers[request_id] = result
            if len(self._answers) > REQUEST_ID_MEMORY:
                self._answers.popitem(last=False)
            return result

    def outbox(self) -> list[SentEmail]:
        with self.lock:
            return list(self._outbox)

    # ------------------------------------------------------ primitives for rules.py (hold the lock)

    def _new_id(self, entity: str) -> str:
        entity_id = self._next_id[entity]
        self._next_id[entity] = entity_id + 1
        return str(entity_id)

    def _store(self, entity: str, row: dict, instant: datetime, operation: str | None) -> None:
        """Replace (or add) ``row``; ``operation`` None means a computed-field change (no event)."""
        entity_id = row["Id"]
        self._rows[entity][entity_id] = row
        if operation is not None:
            self._updated_at[entity][entity_id] = instant
            self._journal[entity].append((instant, entity_id))
            self._notify(ChangeEvent(self.realm_id, entity, entity_id, operation, instant))

    def _mark_voided(self, entity: str, entity_id: str) -> None:
        self._voided[entity].add(entity_id)

    def _remove(self, entity: str, entity_id: str, instant: datetime) -> None:
        self._voided[entity].discard(entity_id)
        del self._rows[entity][entity_id]
        del self._updated_at[entity][entity_id]
        self._tombstones[entity].append(_Tombstone(entity_id, instant, qbo_timestamp(instant, self.tz)))
        self._notify(ChangeEvent(self.realm_id, entity, entity_id, "Delete", instant))

    def _notify(self, event: ChangeEvent) -> None:
        for listener in self._listeners:
            listener(event)


_WRITES = {"create": rules.create, "update": rules.update, "delete": rules.delete, "void": rules.void}
