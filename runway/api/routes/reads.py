"""Reads: the advisor console and one client's figures.

Every route here is Pattern 1 (answers from the mirror, never calls QuickBooks, carries ``freshness``)
except ``/cash``, the live bank balance (Pattern 2), which says when it fell back to the mirror. The digest
is the mirror's too (``live_cash=False``); its live counterpart is ``/cash``. Each Pattern 1 route runs in one
read transaction (``deps.one_snapshot``): its figures and its freshness come from one snapshot of the mirror.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from runway.api.deps import ClientBusiness, SnapshotBusiness, SnapshotCaller, container, one_snapshot
from runway.api.docs import errors
from runway.api.schemas import (
    AgingOut,
    AmountIn,
    BillListOut,
    BillOut,
    BillPaymentOut,
    BusinessOut,
    CashOut,
    ConsoleClientOut,
    ConsoleOut,
    DateIn,
    DigestOut,
    FirmOut,
    FreshnessOut,
    OverdueInvoiceOut,
    OverdueInvoicesOut,
    PaymentReadyOut,
    PaymentsOut,
    RunwayAnswerOut,
    RunwayOut,
    TrayOut,
)

router = APIRouter(prefix="/v1", responses=errors(401, 422, 503))

MAX_DAYS = 3650
MAX_LIMIT = 1000
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most this many rows")]


def json_answer(model: BaseModel) -> Response:
    """The JSON of ``model``, serialised once (returning the model itself would have FastAPI dump it to a
    dict, validate it again against the response model and then serialise it)."""
    return Response(model.model_dump_json(), media_type="application/json")


NOT_CONFIGURED = "QuickBooks is not configured in this deployment: these are the mirrored balances"


@router.get("/console", response_model=ConsoleOut, tags=["console"], summary="All clients ranked by runway")
@one_snapshot
def get_console(request: Request, caller: SnapshotCaller) -> Response:
    """Every client business of your firm, most urgent runway first (not burning cash last), each with the
    freshness of its mirror: stale clients are listed and flagged, never hidden."""
    rows = container(request).console.console(caller.firm.id)
    clients = [ConsoleClientOut.of(row) for row in rows]
    return json_answer(ConsoleOut(firm=FirmOut.of(caller.firm), clients=clients,
                                  stale_clients=sum(1 for c in clients if c.freshness.stale)))


@router.get("/businesses/{business_id}/digest", response_model=DigestOut, tags=["client"],
            summary="Weekly digest", responses=errors(404))
@one_snapshot
def get_digest(request: Request, business: SnapshotBusiness) -> Response:
    return json_answer(DigestOut.of(container(request).runway.weekly_digest(business.id, live_cash=False)))


@router.get("/businesses/{business_id}/tray", response_model=TrayOut, tags=["client"],
            summary="Prep tray: what to do next", responses=errors(404))
@one_snapshot
def get_tray(request: Request, business: SnapshotBusiness) -> Response:
    return json_answer(TrayOut.of(container(request).tray.prep_tray(business.id)))


@router.get("/businesses/{business_id}/bills", response_model=BillListOut, tags=["bills"],
            summary="Unpaid or overdue bills", responses=errors(404))
@one_snapshot
def get_bills(request: Request, business: SnapshotBusiness,
              status: Annotated[Literal["unpaid", "overdue"], Query(description="unpaid: earliest due first; "
                                                                    "overdue: most overdue first")] = "unpaid",
              limit: Limit = 100) -> Response:
    bills = container(request).bills
    answer = (bills.unpaid_bills(business.id, limit=limit) if status == "unpaid"
              else bills.overdue_bills(business.id, limit=limit))
    return json_answer(BillListOut(bills=[BillOut.of(b) for b in answer.data],
                                   freshness=FreshnessOut.of(answer.freshness)))


@router.get("/businesses/{business_id}/bills/due", response_model=BillListOut, tags=["bills"],
            summary="Bills due within N days", responses=errors(404))
@one_snapshot
def get_bills_due(request: Request, business: SnapshotBusiness,
                  days: Annotated[int, Query(ge=0, le=MAX_DAYS, description="from today through this many days "
                                                                            "ahead (overdue bills excluded)")] = 7,
                  limit: Limit = 100) -> Response:
    answer = container(request).bills.bills_due_within(business.id, days, limit=limit)
    return json_answer(BillListOut(bills=[BillOut.of(b) for b in answer.data],
                                   freshness=FreshnessOut.of(answer.freshness)))


@router.get("/businesses/{business_id}/bills/payment-ready", response_model=PaymentReadyOut, tags=["bills"],
            summary="Bills to pay now under a cash cap", responses=errors(404))
@one_snapshot
def get_payment_ready(request: Request, business: SnapshotBusiness,
                      cap: Annotated[AmountIn, Query(description="cash available for bills")],
                      due_within_days: Annotated[int | None, Query(ge=0, le=MAX_DAYS)] = None) -> Response:
    answer = container(request).bills.payment_ready_bills(business.id, cap, due_within_days=due_within_days)
    return json_answer(PaymentReadyOut.of(answer.data, answer.freshness))


@router.get("/businesses/{business_id}/invoices/overdue", response_model=OverdueInvoicesOut, tags=["invoices"],
            summary="Overdue invoices by collection priority", responses=errors(404))
@one_snapshot
def get_overdue_invoices(request: Request, business: SnapshotBusiness, limit: Limit = 50) -> Response:
    answer = container(request).collections.overdue_invoices(business.id, limit=limit)
    return json_answer(OverdueInvoicesOut(invoices=[OverdueInvoiceOut.of(i) for i in answer.data],
                                          freshness=FreshnessOut.of(answer.freshness)))


@router.get("/businesses/{business_id}/aging", response_model=AgingOut, tags=["invoices"],
            summary="Receivables aging", responses=errors(404))
@one_snapshot
def get_aging(request: Request, business: SnapshotBusiness) -> Response:
    answer = container(request).collections.aging_report(business.id)
    return json_answer(AgingOut.of(answer.data, answer.freshness))


@router.get("/businesses/{business_id}/payments", response_model=PaymentsOut, tags=["bills"],
            summary="Bill payments", responses=errors(404))
@one_snapshot
def get_payments(request: Request, business: SnapshotBusiness,
                 status: Annotated[Literal["pending", "completed", "voided"] | None, Query()] = None,
                 start: Annotated[DateIn | None, Query(description="txn_date on or after")] = None,
                 end: Annotated[DateIn | None, Query(description="txn_date on or before")] = None,
                 limit: Limit = 100) -> Response:
    answer = container(request).payments.bill_payments(business.id, status=status, start=start, end=end,
                                                       limit=limit)
    return json_answer(PaymentsOut(payments=[BillPaymentOut.of(p) for p in answer.data],
                                   freshness=FreshnessOut.of(answer.freshness)))


@router.get("/businesses/{business_id}/runway", response_model=RunwayAnswerOut, tags=["client"],
            summary="Runway figures", responses=errors(404))
@one_snapshot
def get_runway(request: Request, business: SnapshotBusiness) -> Response:
    answer = container(request).runway.runway(business.id)
    return json_answer(RunwayAnswerOut(business=BusinessOut.of(business), runway=RunwayOut.of(answer.data),
                                       freshness=FreshnessOut.of(answer.freshness)))


@router.get("/businesses/{business_id}/cash", response_model=CashOut, tags=["client"],
            summary="Cash position, live from QuickBooks", responses=errors(404))
def get_cash(request: Request, business: ClientBusiness) -> CashOut:
    """Pattern 2: the bank balances QuickBooks holds now (reused for 60 s). When QuickBooks cannot answer,
    the mirrored balances with ``fell_back: true``, the reason and their age."""
    balances = container(request).balances
    if balances.live_enabled:
        return CashOut.live(balances.current_cash_position(business.id))
    mirrored = balances.mirrored_cash_position(business.id)
    return CashOut.of(mirrored.data, "mirror (QuickBooks not configured)", mirrored.freshness, NOT_CONFIGURED)
