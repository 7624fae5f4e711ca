"""SqlBusinessDirectory, SqlBankMirror and SqlSyncStateReader (with the writer's sync bookkeeping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from infra.interfaces.errors import RecordNotFound, StorageError
from infra.interfaces.records import BusinessRecord, Entity, FirmRecord
from tests.infra.db.builders import D, account


def test_directory(repos, tenants):
    a = repos.directory.get_business(tenants.a)
    assert a == BusinessRecord(tenants.a, tenants.firm_id, "Alpha Bakery", "realm-a")
    assert [b.id for b in repos.directory.list_businesses(tenants.firm_id)] == [tenants.a, tenants.b]
    assert [b.id for b in repos.directory.list_businesses(tenants.other_firm_id)] == [tenants.c]
    assert [b.id for b in repos.directory.list_businesses()] == [tenants.a, tenants.b, tenants.c]
    assert repos.directory.list_firms() == [FirmRecord(tenants.firm_id, "Harbor & Pine Advisors"),
                                            FirmRecord(tenants.other_firm_id, "Other Firm")]
    assert repos.directory.get_business_by_realm(tenants.firm_id, "realm-b").id == tenants.b
    assert repos.directory.get_firm(tenants.firm_id).name == "Harbor & Pine Advisors"
    with pytest.raises(RecordNotFound):
        repos.directory.get_business(999_999)
    with pytest.raises(RecordNotFound):
        repos.directory.get_business_by_realm(tenants.firm_id, "nope")
    with pytest.raises(RecordNotFound):  # realm-b is a client of the first firm only
        repos.directory.get_business_by_realm(tenants.other_firm_id, "realm-b")
    with pytest.raises(RecordNotFound):
        repos.directory.get_firm(999_999)
    assert repos.directory.list_businesses(999_999) == []


def test_a_firm_connects_a_realm_once(writer, tenants):
    with pytest.raises(StorageError):
        writer.create_business(tenants.firm_id, "Copy", "realm-a")
    with pytest.raises(StorageError):  # foreign key: no such firm
        writer.create_business(999_999, "Orphan", "realm-z")


def test_several_firms_may_connect_one_realm_and_are_all_found_by_it(repos, writer, tenants):
    """A client served by two firms: each firm has its own business (and mirror) on the same QBO company."""
    shared = writer.create_business(tenants.other_firm_id, "Alpha Bakery (second firm)", "realm-a")

    assert [b.id for b in repos.directory.businesses_for_realm("realm-a")] == [tenants.a, shared.id]
    assert repos.directory.get_business_by_realm(tenants.other_firm_id, "realm-a") == shared
    assert repos.directory.get_business_by_realm(tenants.firm_id, "realm-a").id == tenants.a
    assert repos.directory.business_ids_for_realms(["realm-a", "realm-c", "realm-none"]) == {
        "realm-a": [tenants.a, shared.id], "realm-c": [tenants.c]}


def test_bank_accounts_are_active_bank_accounts_by_name(repos, writer, tenants):
    a, b = tenants.a, tenants.b
    writer.upsert_accounts([
        account(a, "1", "Operating", "1000.01"),
        account(a, "2", "Business Savings", "500.00"),
        account(a, "3", "Old Account", "9.99", active=False),
        account(a, "4", "Amex", "250.00", account_type="Credit Card"),
        account(b, "1", "B Checking", "1.00"),
    ])
    assert [x.name for x in repos.bank.bank_accounts(a)] == ["Business Savings", "Operating"]
    assert [x.current_balance for x in repos.bank.bank_accounts(b)] == [D("1.00")]
    assert repos.bank.bank_accounts(tenants.c) == []


def test_store_bank_accounts_newer_sync_token_wins(repos, writer, tenants):
    a = tenants.a
    writer.upsert_accounts([account(a, "1", "Operating", "100.00", token="5")])
    repos.bank.store_bank_accounts(a, [account(a, "1", "Operating", "90.00", token="4"),   # older: ignored
                                       account(a, "2", "Payroll", "10.00", token="0")])    # new: stored
    assert [(x.name, x.current_balance) for x in repos.bank.bank_accounts(a)] == [
        ("Operating", D("100.00")), ("Payroll", D("10.00"))]
    repos.bank.store_bank_accounts(a, [account(a, "1", "Operating", "80.00", token="10")])  # 10 > 5 as integers
    assert repos.bank.bank_accounts(a)[0].current_balance == D("80.00")
    with pytest.raises(StorageError):
        repos.bank.store_bank_accounts(tenants.b, [account(a, "1", "Operating", "1.00", token="99")])


def test_sync_states_one_per_entity_asked(repos, writer, tenants):
    a = tenants.a
    at = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    pacific = timezone(timedelta(hours=-7))
    writer.record_sync_success(a, Entity.BILL, "2026-03-31T05:00:00-07:00", at.astimezone(pacific))
    writer.record_sync_failure(a, Entity.BILL, "HTTP 503", at + timedelta(hours=1))
    writer.record_sync_failure(a, Entity.BILL, "HTTP 503 again", at + timedelta(hours=2))
    writer.record_sync_failure(a, Entity.INVOICE, "never worked", at)
    writer.record_sync_success(tenants.b, Entity.VENDOR, "c", at)

    bill_state, invoice_state, vendor_state = repos.sync.sync_states(a, [Entity.BILL, Entity.INVOICE,
                                                                         Entity.VENDOR])
    assert bill_state.entity is Entity.BILL
    assert bill_state.cursor == "2026-03-31T05:00:00-07:00"
    assert bill_state.last_success_at == at and bill_state.last_success_at.tzinfo == UTC
    assert bill_state.last_attempt_at == at + timedelta(hours=2)
    assert (bill_state.last_error, bill_state.consecutive_failures) == ("HTTP 503 again", 2)
    assert (invoice_state.last_success_at, invoice_state.consecutive_failures) == (None, 1)
    assert vendor_state.last_success_at is None and vendor_state.last_attempt_at is None  # B's only
    assert repos.sync.sync_states(a, []) == []

    writer.record_sync_success(a, Entity.BILL, "next", at + timedelta(hours=3))
    again = repos.sync.sync_states(a, [Entity.BILL])[0]
    assert (again.consecutive_failures, again.last_error, again.cursor) == (0, None, "next")
    assert [s.entity for s in repos.sync.all_sync_states(a)] == [Entity.BILL, Entity.INVOICE]


def test_naive_instants_are_refused(writer, tenants):
    with pytest.raises(StorageError):
        writer.record_sync_success(tenants.a, Entity.BILL, "c", datetime(2026, 3, 31, 12, 0))
