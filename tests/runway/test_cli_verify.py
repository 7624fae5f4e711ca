"""``runway verify --business ID``: the mirror synced from the sandbox company, cross-checked against the
sandbox's own AgedPayables and AgedReceivables reports through the CLI, as an operator runs it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update
from typer.testing import CliRunner

from infra.db.tables import invoices
from runway.cli import app
from tests.fixtures.sandbox import SandboxCompany

runner = CliRunner()


def _env(company: SandboxCompany) -> dict[str, str]:
    settings = company.container.settings
    return {"RUNWAY_DATABASE_URL": settings.database_url, "RUNWAY_QBO_API_BASE_URL": settings.qbo_api_base_url or "",
            "RUNWAY_QBO_TOKEN_URL": settings.qbo_token_url, "RUNWAY_QBO_CLIENT_ID": settings.qbo_client_id or "",
            "RUNWAY_QBO_CLIENT_SECRET": settings.qbo_client_secret or "",
            "RUNWAY_TOKEN_ENCRYPTION_KEY": settings.token_encryption_key or "",
            "RUNWAY_QBO_BACKOFF_BASE_SECONDS": "0.01"}


def test_verify_after_a_sync_reports_no_differences(sandbox_company: SandboxCompany) -> None:
    result = runner.invoke(app, ["verify", "--business", str(sandbox_company.business.id)],
                           env=_env(sandbox_company))

    assert result.exit_code == 0, result.output
    assert "Aging cross-check: Sandbox Co" in result.output
    assert "no differences: the mirror's aging equals QBO's reports" in result.output
    for bucket in ("Current", "1-30", "31-60", "61-90", "91 and over"):
        assert bucket in result.output
    assert "DIFFERS" not in result.output


def test_verify_names_the_bucket_of_a_corrupted_mirror_amount(sandbox_company: SandboxCompany) -> None:
    c, business = sandbox_company.container, sandbox_company.business
    today = c.clock.today()
    with c.session_factory.begin() as session:  # the most recent invoice already 1 to 30 days overdue
        row = session.execute(
            select(invoices.c.qbo_id, invoices.c.due_date, invoices.c.balance)
            .where(invoices.c.business_id == business.id, invoices.c.balance > 0,
                   invoices.c.due_date < today, invoices.c.due_date >= today - timedelta(days=30))
            .order_by(invoices.c.due_date.desc(), invoices.c.qbo_id).limit(1)).one()
        session.execute(update(invoices).where(invoices.c.business_id == business.id, invoices.c.qbo_id == row.qbo_id)
                        .values(balance=row.balance - Decimal("5.00")))
    assert 1 <= (today - row.due_date).days <= 30

    result = runner.invoke(app, ["verify", "--business", str(business.id)], env=_env(sandbox_company))

    assert result.exit_code == 1, result.output
    assert "1 difference(s) with QBO:" in result.output
    assert "AR 1-30: mirror " in result.output and "(mirror -5.00)" in result.output
    assert result.output.count("DIFFERS") == 1


def test_verify_of_an_unknown_business(sandbox_company: SandboxCompany) -> None:
    unknown = runner.invoke(app, ["verify", "--business", "999999"], env=_env(sandbox_company))
    assert unknown.exit_code == 2 and "business 999999 not found" in unknown.output


def test_verify_without_qbo_configured_says_what_to_set(tmp_path) -> None:
    result = runner.invoke(app, ["verify", "--business", "1"],
                           env={"RUNWAY_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "RUNWAY_QBO_API_BASE_URL": ""})
    assert result.exit_code == 2
    assert "verifying needs QBO" in result.output and "RUNWAY_QBO_API_BASE_URL" in result.output
