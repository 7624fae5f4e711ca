"""Faults: 429 bursts, 5xx, dropped connections, token expiry mid-sync, malformed entities, failing
entities and businesses. Whatever happens, the mirror never holds duplicates, no cursor runs ahead of the
data committed, and once the faults stop a sync converges."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from infra.db.sync_tables import sync_quarantine
from infra.db.tables import sync_state
from infra.interfaces.errors import QboUnavailableError
from infra.interfaces.records import Entity
from infra.jobs import SyncMode, SyncService, parse_qbo_time
from infra.qbo import OAuthTokens, QboClient
from tests.infra.jobs.aging_check import assert_aging_matches_qbo
from tests.infra.jobs.conftest import SYNC_CONFIG, World, make_client
from tests.infra.jobs.convergence import assert_mirror_matches_sandbox, mirror_rows
from tests.infra.jobs.mutations import random_changes

# The first seed runs in the fast lane (pytest -m "not slow"); all twenty run in the full suite.
SEEDS = [seed if seed == 0 else pytest.param(seed, marks=pytest.mark.slow) for seed in range(20)]
#: Damage that makes an entity unmappable or unstorable (served that way until the faults are cleared).
MALFORMATIONS = (
    ("Bill", {"set_fields": {"TotalAmt": "not a number"}}),
    ("Bill", {"drop_fields": ("VendorRef",)}),
    ("Invoice", {"set_fields": {"TxnDate": "yesterday"}}),
    ("Invoice", {"set_fields": {"Balance": "10.005"}}),  # maps, but sub-cent money cannot be stored
    ("Vendor", {"drop_fields": ("DisplayName",)}),
    ("BillPayment", {"set_fields": {"SyncToken": "x1"}}),
    ("Payment", {"set_fields": {"CustomerRef": "Acme"}}),
    ("Account", {"drop_fields": ("AccountType",)}),
)


def _quarantined(world: World, business_id: int) -> dict[str, set[str]]:
    with world.db.session_factory() as session:
        rows = session.execute(select(sync_quarantine.c.entity, sync_quarantine.c.qbo_id).where(
            sync_quarantine.c.business_id == business_id)).all()
    found: dict[str, set[str]] = {}
    for entity, qbo_id in rows:
        found.setdefault(entity, set()).add(qbo_id)
    return found


def _states(world: World, business_id: int) -> dict[str, dict]:
    with world.db.session_factory() as session:
        rows = session.execute(select(sync_state).where(sync_state.c.business_id == business_id)).mappings()
        return {row["entity"]: dict(row) for row in rows}


def assert_no_cursor_ahead_of_the_data(world: World, business_id: int, realm_index: int = 0) -> None:
    """For each entity with a cursor: every sandbox row last updated at or before it is mirrored at that
    SyncToken or a newer one (quarantined ids excepted: they are known to be missing)."""
    realm = world.realm(realm_index)
    quarantined = _quarantined(world, business_id)
    for entity in Entity:
        cursor = parse_qbo_time(world.cursor(business_id, entity.value))
        if cursor is None:
            continue
        mirrored = mirror_rows(world.db.session_factory, business_id, entity.value)
        for row in realm.rows(entity.value):
            if row["Id"] in quarantined.get(entity.value, set()):
                continue
            if parse_qbo_time(row["MetaData"]["LastUpdatedTime"]) > cursor:
                continue
            have = mirrored.get(row["Id"])
            assert have is not None, f"{entity.value} {row['Id']} is older than the cursor {cursor} but not mirrored"
            assert int(have["sync_token"]) >= int(row["SyncToken"]), (
                f"{entity.value} {row['Id']} mirrored at SyncToken {have['sync_token']}, QBO has {row['SyncToken']} "
                f"(last updated before the cursor {cursor})")


def _random_faults(world: World, rng: random.Random, realm_id: str) -> list[str]:
    faults = world.state.faults
    applied = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(("throttle", "error", "drop", "drop_after", "random_errors", "outage", "expire", "malform",
                           "malform"))
        if kind == "throttle":
            count = rng.randint(1, 8)
            faults.throttle_next(count, realm_id=realm_id)
        elif kind == "error":
            count = rng.randint(1, 7)  # 5 or more in a row exhaust the client's retries
            faults.fail_next(count, rng.choice((500, 503)), realm_id=realm_id)
        elif kind == "drop":
            count = rng.randint(1, 6)
            faults.drop_next(count, realm_id=realm_id)
        elif kind == "drop_after":
            count = rng.randint(1, 3)
            faults.drop_next(count, after_processing=True, realm_id=realm_id)
        elif kind == "random_errors":
            count = 0
            faults.fail_randomly(rng.choice((0.05, 0.15, 0.3)), rng.choice((500, 503)), realm_id=realm_id)
        elif kind == "outage":  # most requests fail: some exhaust their retries, pages and entities fail
            count = 0
            faults.fail_randomly(rng.choice((0.5, 0.6)), 503, realm_id=realm_id)
        elif kind == "expire":
            count = 0
            world.state.auth.expire_access_tokens()
        else:
            entity, damage = rng.choice(MALFORMATIONS)
            rows = world.state.realm(realm_id).rows(entity)
            count = 0
            if rows:
                faults.malform(realm_id, entity, rng.choice(rows)["Id"], **damage)
        applied.append(f"{kind}({count})")
    return applied


@pytest.mark.parametrize("seed", SEEDS)
def test_random_fault_schedules_converge_once_the_faults_stop(make_world, new_sqlite_db, seed: int) -> None:
    world = make_world(new_sqlite_db())
    rng = random.Random(seed)
    business, realm, realm_id = world.business(), world.realm(), world.realm_ids[0]
    calls = {"n": 0, "expire_at": None, "change_at": None}

    def progress(*_args) -> None:  # token expiry, and QBO users at work, in the middle of a sync
        calls["n"] += 1
        if calls["n"] == calls["expire_at"]:
            world.state.auth.expire_access_tokens()
        if calls["n"] == calls["change_at"]:
            world.clock.advance(rng.randint(1, 5))
            random_changes(realm, rng, rng.randint(1, 4))

    history = []
    for round_number in range(3):
        history.append(_random_faults(world, rng, realm_id))
        calls.update(n=0, expire_at=rng.choice((None, 1, 3)), change_at=rng.choice((None, 2, 5)))
        result = world.service.sync_business(business, progress=progress)
        world.state.faults.clear()  # the rules of this round (malformations too) are over
        assert not result.skipped and result.error is None, result
        assert_no_cursor_ahead_of_the_data(world, business)
        world.clock.advance(rng.randint(1, 900))
        random_changes(realm, rng, rng.randint(2, 8))
        world.clock.advance(rng.randint(1, 120))
        history.append(f"round {round_number}: " + ", ".join(
            f"{e.value}={'ok' if r.ok else 'FAILED'}:{r.mode}:{r.upserted}" for e, r in result.entities.items()))

    final = world.service.sync_business(business)

    assert final.ok, (history, final)
    try:
        assert_mirror_matches_sandbox(world.db.session_factory, business, realm)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nfaults and outcomes, round by round: {history}") from None
    assert _quarantined(world, business) == {}, history
    assert_no_cursor_ahead_of_the_data(world, business)
    assert all(state["last_error"] is None for state in _states(world, business).values())
    assert_aging_matches_qbo(world, business)  # runway verify: the mirror's aging is QBO's own, bucket by bucket


def test_malformed_entities_are_quarantined_and_released_once_fixed(world: World) -> None:
    business, realm, realm_id = world.business(), world.realm(), world.realm_ids[0]
    bill = realm.rows("Bill")[3]
    vendor = realm.rows("Vendor")[1]
    invoice = realm.rows("Invoice")[2]
    world.state.faults.malform(realm_id, "Bill", bill["Id"], set_fields={"TotalAmt": "abc"})
    world.state.faults.malform(realm_id, "Vendor", vendor["Id"], drop_fields=("DisplayName",))
    world.state.faults.malform(realm_id, "Invoice", invoice["Id"], set_fields={"Balance": "1.001"})

    first = world.service.sync_business(business)

    assert first.ok, first  # quarantining is not a failure
    assert (first.entities[Entity.BILL].quarantined, first.entities[Entity.VENDOR].quarantined,
            first.entities[Entity.INVOICE].quarantined) == (1, 1, 1)
    assert _quarantined(world, business) == {"Bill": {bill["Id"]}, "Vendor": {vendor["Id"]},
                                             "Invoice": {invoice["Id"]}}
    entries = {q.qbo_id: q for q in world.store.quarantined(business)}
    assert "TotalAmt" in entries[bill["Id"]].error and entries[bill["Id"]].payload["TotalAmt"] == "abc"
    assert "two decimal places" in entries[invoice["Id"]].error
    assert bill["Id"] not in mirror_rows(world.db.session_factory, business, "Bill")
    assert len(mirror_rows(world.db.session_factory, business, "Bill")) == len(realm.rows("Bill")) - 1

    world.clock.advance(60)
    again = world.service.sync_business(business)  # still malformed: stays quarantined, seen twice
    assert again.ok and {q.times_seen for q in world.store.quarantined(business)} == {2}

    world.state.faults.clear()  # fixed (the rows themselves did not change in QBO)
    world.clock.advance(60)
    fixed = world.service.sync_business(business)

    assert fixed.ok
    assert fixed.entities[Entity.BILL].unquarantined == 1 and fixed.entities[Entity.VENDOR].unquarantined == 1
    assert _quarantined(world, business) == {}
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)


def test_an_entity_without_an_id_is_quarantined_until_a_full_read(sqlite_world: World) -> None:
    world = sqlite_world
    business, realm, realm_id = world.business(), world.realm(), world.realm_ids[0]
    payment = realm.rows("Payment")[0]
    world.state.faults.malform(realm_id, "Payment", payment["Id"], drop_fields=("Id",))

    first = world.service.sync_business(business)

    assert first.entities[Entity.PAYMENT].quarantined == 1
    keys = _quarantined(world, business)["Payment"]
    assert len(keys) == 1 and next(iter(keys)).startswith("?")
    world.state.faults.clear()
    assert world.service.sync_business(business, full=True).ok
    assert _quarantined(world, business) == {}
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)


def test_token_expiry_in_the_middle_of_a_sync(sqlite_world: World) -> None:
    world = sqlite_world
    business = world.business()
    saves = len(world.tokens.saved)
    pages = {"n": 0}

    def expire(*_args) -> None:  # the access token expires after the third page, pages still in flight
        pages["n"] += 1
        if pages["n"] == 3:
            world.state.auth.expire_access_tokens()

    result = world.service.sync_business(business, progress=expire)

    assert result.ok, result
    assert len(world.tokens.saved) == saves + 2  # the first token, then one refresh for every thread
    assert_mirror_matches_sandbox(world.db.session_factory, business, world.realm())


class _InvoicesDown(QboClient):
    """A client whose Invoice pages fail (as if QBO kept answering 503 for them)."""

    broken = True

    def query_page(self, realm_id, entity, *args, **kwargs):
        if self.broken and entity == "Invoice":
            raise QboUnavailableError("QBO answered 503 for Invoice pages", status_code=503, realm_id=realm_id)
        return super().query_page(realm_id, entity, *args, **kwargs)


def test_a_failing_entity_is_recorded_and_retried_without_stopping_the_others(world: World) -> None:
    business, realm = world.business(), world.realm()
    client = make_client(world.server, world.tokens)
    client.__class__ = _InvoicesDown
    service = SyncService(world.db.session_factory, client, clock=world.clock.now, config=SYNC_CONFIG)

    first = service.sync_business(business)

    assert not first.ok and first.failed_entities == [Entity.INVOICE]
    assert "503" in first.entities[Entity.INVOICE].error
    states = _states(world, business)
    assert states["Invoice"]["cursor"] is None and states["Invoice"]["consecutive_failures"] == 1
    assert "503" in states["Invoice"]["last_error"]
    assert all(states[e.value]["cursor"] for e in Entity if e is not Entity.INVOICE)
    assert len(mirror_rows(world.db.session_factory, business, "Bill")) == len(realm.rows("Bill"))
    service.sync_business(business)
    assert _states(world, business)["Invoice"]["consecutive_failures"] == 2

    _InvoicesDown.broken = False
    try:
        retried = service.sync_business(business)
    finally:
        _InvoicesDown.broken = True
        client.close()

    assert retried.ok
    assert retried.entities[Entity.INVOICE].mode is SyncMode.FULL
    assert retried.entities[Entity.BILL].mode is SyncMode.CDC
    state = _states(world, business)["Invoice"]
    assert state["last_error"] is None and state["consecutive_failures"] == 0 and state["cursor"]
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)


def test_a_failing_business_does_not_stop_the_others_and_is_retried(world: World) -> None:
    broken_realm = world.realm_ids[1]
    broken = world.business_ids[broken_realm]
    world.tokens.mark_reconnect_required(broken_realm, "refresh token revoked")

    results = {r.business_id: r for r in world.service.sync_all()}

    assert not results[broken].ok
    assert all("QboReconnectRequired" in r.error for r in results[broken].entities.values())
    for index, realm_id in enumerate(world.realm_ids):
        if realm_id != broken_realm:
            assert results[world.business_ids[realm_id]].ok
            assert_mirror_matches_sandbox(world.db.session_factory, world.business(index), world.realm(index))
    states = _states(world, broken)
    assert set(states) == {e.value for e in Entity}
    assert all(s["consecutive_failures"] == 1 and s["cursor"] is None for s in states.values())

    world.tokens.save(OAuthTokens(realm_id=broken_realm, refresh_token=world.state.connect_realm(broken_realm)))
    world.clock.advance(timedelta(minutes=15))
    again = {r.business_id: r for r in world.service.sync_all()}

    assert all(r.ok for r in again.values())
    assert_mirror_matches_sandbox(world.db.session_factory, broken, world.state.realm(broken_realm))
    assert all(s["last_error"] is None for s in _states(world, broken).values())


def test_an_incremental_refused_by_qbo_ends_like_any_read_and_keeps_every_cursor(world: World) -> None:
    """A refused CDC call (the company must reconnect) ends the run as a refused page does: every entity
    records the failure and keeps its cursor, and the run's other answers (several CDC calls travel at once)
    are not written; the business itself has no error, so the others go on."""
    business, realm_id = world.business(), world.realm_ids[0]
    assert world.service.sync_business(business).ok
    cursors = {entity: state["cursor"] for entity, state in _states(world, business).items()}
    world.clock.advance(timedelta(minutes=2))
    random_changes(world.realm(), random.Random(5), 6)
    world.tokens.mark_reconnect_required(realm_id, "refresh token revoked")

    result = world.service.sync_business(business)

    assert result.error is None and not result.ok
    assert all("QboReconnectRequired" in r.error for r in result.entities.values()), result
    states = _states(world, business)
    assert {entity: state["cursor"] for entity, state in states.items()} == cursors
    assert all(state["consecutive_failures"] == 1 for state in states.values())
