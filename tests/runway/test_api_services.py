"""The HTTP API's own services (runway/services: authentication, advisors, idempotency, operations) over the
fakes of their ports, wired by the composition root's ``wire`` (tests/fakes/world.py)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from domains.core.errors import InvalidInput, NotFound
from runway.services.authentication import USED_AT_RESOLUTION, Unauthenticated
from runway.services.idempotency import IdempotencyKeyReused
from runway.services.operations import NotConfigured
from tests.fakes.world import NOW, World, small_world, wire_world


@pytest.fixture
def world() -> World:
    mirror, _ = small_world()
    return wire_world(mirror)


def _advisor_with_token(world: World) -> str:
    world.advisors.create_advisor("Harbor", " Alice@Harbor.example ", "Alice")
    return world.advisors.create_token("alice@harbor.example", "laptop").token


# -- authentication --------------------------------------------------------------------------------------

def test_a_token_identifies_its_advisor_and_firm_and_only_its_digest_is_stored(world: World) -> None:
    token = _advisor_with_token(world)

    principal = world.authentication.authenticate(token)

    assert (principal.advisor.email, principal.firm.name) == ("alice@harbor.example", "Harbor")
    stored = world.advisor_store.tokens[principal.token_id]
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() and stored.prefix == token[:10]
    assert token not in {t.token_hash for t in world.advisor_store.tokens.values()}


def test_last_use_is_stamped_at_most_once_per_resolution(world: World) -> None:
    token = _advisor_with_token(world)
    token_id = world.authentication.authenticate(token).token_id
    assert world.advisor_store.tokens[token_id].last_used_at == NOW

    world.clock.advance(seconds=USED_AT_RESOLUTION.total_seconds() - 1)
    world.authentication.authenticate(token)
    assert world.advisor_store.tokens[token_id].last_used_at == NOW  # not written again: a read stays a read

    world.clock.advance(seconds=1)
    world.authentication.authenticate(token)
    assert world.advisor_store.tokens[token_id].last_used_at == NOW + USED_AT_RESOLUTION


def test_a_failed_stamp_does_not_refuse_a_valid_token(world: World) -> None:
    token = _advisor_with_token(world)
    world.advisor_store.fail_mark_used = True

    assert world.authentication.authenticate(token).advisor.email == "alice@harbor.example"


@pytest.mark.parametrize(("token", "message"), [
    (None, "an API token is required"),
    ("", "an API token is required"),
    ("not-a-runway-token", "the API token is not valid"),
    ("rk_" + "x" * 300, "the API token is not valid"),
    ("rk_unknown", "the API token is not valid"),
])
def test_missing_malformed_and_unknown_tokens_are_refused(world: World, token: str | None, message: str) -> None:
    with pytest.raises(Unauthenticated) as refused:
        world.authentication.authenticate(token)
    assert str(refused.value) == message


def test_a_revoked_token_reads_like_an_unknown_one(world: World) -> None:
    token = _advisor_with_token(world)
    token_id = world.authentication.authenticate(token).token_id
    world.advisors.revoke_token("alice@harbor.example", token_id)

    with pytest.raises(Unauthenticated, match="^the API token is not valid$"):
        world.authentication.authenticate(token)


# -- advisors --------------------------------------------------------------------------------------------

def test_an_advisor_needs_an_existing_firm_unless_asked_to_create_it(world: World) -> None:
    with pytest.raises(NotFound):
        world.advisors.create_advisor("New Firm", "nina@new.example")
    advisor, firm = world.advisors.create_advisor("New Firm", "nina@new.example", create_firm=True)
    assert firm.name == "New Firm" and advisor.firm_id == firm.id


@pytest.mark.parametrize("email", ["not-an-address", "a@b", "two@@example.com", ""])
def test_a_bad_e_mail_address_is_invalid_input(world: World, email: str) -> None:
    with pytest.raises(InvalidInput) as invalid:
        world.advisors.create_advisor("Harbor", email)
    assert invalid.value.field == "email"


def test_an_e_mail_address_is_taken_once(world: World) -> None:
    world.advisors.create_advisor("Harbor", "alice@harbor.example")
    with pytest.raises(InvalidInput, match="already exists"):
        world.advisors.create_advisor("Other Firm", "ALICE@harbor.example")


def test_an_advisor_cannot_revoke_another_advisors_token(world: World) -> None:
    _advisor_with_token(world)
    world.advisors.create_advisor("Other Firm", "olga@other.example")
    olgas = world.advisors.create_token("olga@other.example").record

    with pytest.raises(NotFound):
        world.advisors.revoke_token("alice@harbor.example", olgas.id)
    assert world.advisors.tokens_of("olga@other.example")[0].active


# -- idempotency -----------------------------------------------------------------------------------------

def test_a_key_is_bound_to_its_first_request_and_replays_its_answer(world: World) -> None:
    service = world.idempotency
    assert service.begin(1, "key-1", "request-a") is None  # run it
    kept = service.finish(1, "key-1", "request-a", 201, '{"paid": true}')
    assert (kept.status_code, kept.body) == (201, '{"paid": true}')

    replay = service.begin(1, "key-1", "request-a")
    assert replay is not None and (replay.status_code, replay.body) == (201, '{"paid": true}')
    with pytest.raises(IdempotencyKeyReused):
        service.begin(1, "key-1", "request-b")
    assert service.begin(2, "key-1", "request-b") is None  # keys are scoped by firm


def test_a_request_without_a_stored_answer_runs_again_and_the_first_answer_is_kept(world: World) -> None:
    service = world.idempotency
    assert service.begin(1, "key-2", "request-a") is None
    assert service.begin(1, "key-2", "request-a") is None  # failed or still running: run it again
    first = service.finish(1, "key-2", "request-a", 201, "first")
    second = service.finish(1, "key-2", "request-a", 201, "second")  # a racing duplicate
    assert first.body == second.body == "first"


def test_old_keys_are_forgotten(world: World) -> None:
    world.idempotency.begin(1, "old", "request")
    world.clock.advance(days=2)
    world.idempotency.begin(1, "new", "request")

    assert world.idempotency.forget_older_than(timedelta(days=1)) == 1
    assert set(world.idempotency_store.records) == {(1, "new")}


@pytest.mark.parametrize("key", ["", "x" * 201, "tab\there", "caf\u00e9"])
def test_a_bad_key_is_invalid_input(world: World, key: str) -> None:
    with pytest.raises(InvalidInput) as invalid:
        world.idempotency.begin(1, key, "request")
    assert invalid.value.field == "idempotency_key"


# -- operations ------------------------------------------------------------------------------------------

def test_sync_requests_are_queued_merged_and_checked(world: World) -> None:
    bakery = world.mirror.list_businesses()[0].id
    first = world.operations.request_sync(bakery, ["Bill"], "api")
    merged = world.operations.request_sync(bakery, ["Invoice", "Bill"], "api", full=True)
    assert merged.id == first.id and merged.entities == frozenset({"Bill", "Invoice"}) and merged.full
    assert merged.request_count == 2
    with pytest.raises(InvalidInput, match="unknown: Nope"):
        world.operations.request_sync(bakery, ["Nope"])


def test_readiness_reports_each_clients_freshness_and_a_database_that_does_not_answer(world: World) -> None:
    ready = world.operations.readiness()
    assert ready.ready and ready.workers is None
    assert [(c.stale, c.age) for c in ready.clients] == [(False, timedelta(hours=2)), (True, timedelta(hours=30)),
                                                         (True, None)]

    world.readiness_probe.down = True
    down = world.operations.readiness()
    assert not down.ready and down.database_error == "the mirror database is not answering" and down.clients == []


def test_webhooks_without_a_verifier_token_are_not_configured(world: World) -> None:
    with pytest.raises(NotConfigured) as refused:
        world.operations.receive_webhook(b"{}", "signature")
    assert refused.value.feature == "webhooks"
