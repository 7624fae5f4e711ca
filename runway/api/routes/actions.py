"""Actions: pay a bill and send a reminder through QuickBooks (Pattern 2), and ask for a sync (queued).

Paying requires an ``Idempotency-Key`` header (400 ``idempotency_key_required`` without one): the key is
bound (per firm) to the first request's method, path and normalised body; a repeat of that request answers
the first answer again, byte for byte, with ``Idempotency-Replayed: true``; the same key with another body
answers 422 ``idempotency_key_reused``. The domain gets the key too (it becomes QuickBooks' ``requestid``),
so a retry after a lost answer or two racing requests never pay twice. Failed attempts store no answer, so a
retry after ``qbo_unavailable`` completes the payment.

Bodies are read by ``deps.json_body`` after the caller is authenticated (never before), bounded and strict.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Response

from runway.api.deps import Caller, ClientBusiness, container, json_body, live_qbo
from runway.api.docs import errors, request_body
from runway.api.idempotency import KEY_HEADER, REPLAYED_HEADER, check_key_header, fingerprint
from runway.api.problems import PROBLEM_MEDIA_TYPE, ApiProblem
from runway.api.schemas import (
    BillOut,
    BillPaymentOut,
    InvoiceOut,
    PaymentIn,
    PaymentResultOut,
    ReminderIn,
    ReminderOut,
    SyncIn,
    SyncRequestOut,
    money,
)
from runway.services.idempotency import StoredAnswer

router = APIRouter(prefix="/v1", responses=errors(401, 413, 422, 503))

QboId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$", examples=["1042"])]
IdempotencyKey = Annotated[str | None, Header(
    alias=KEY_HEADER, min_length=1, max_length=200,
    description="required: makes the request safe to repeat: a repeat answers the first answer and never "
                "pays twice (400 `idempotency_key_required` without one)",
    examples=["pay-2026-11-27-bill-1042"])]
PaymentBody = Annotated[PaymentIn, Depends(json_body(PaymentIn, required=True))]
ReminderBody = Annotated[ReminderIn | None, Depends(json_body(ReminderIn, required=False))]
SyncBody = Annotated[SyncIn | None, Depends(json_body(SyncIn, required=False))]

_REPLAYED = {REPLAYED_HEADER: {"description": "`true` when this is the stored answer of an earlier "
                                                     "request with the same Idempotency-Key",
                                      "schema": {"type": "string", "enum": ["true"]}}}


def _answer(stored: StoredAnswer, replayed: bool) -> Response:
    media_type = PROBLEM_MEDIA_TYPE if stored.status_code >= 400 else "application/json"
    headers = {REPLAYED_HEADER: "true"} if replayed else {}
    return Response(stored.body, status_code=stored.status_code, media_type=media_type, headers=headers)


def required_key(_caller: Caller, idempotency_key: IdempotencyKey = None) -> str:
    """The payment's ``Idempotency-Key`` (400 ``idempotency_key_required`` without one): a money write
    without a key could not be told apart from its own retry."""
    if idempotency_key is None:
        raise ApiProblem(400, "idempotency_key_required",
                         f"payments need an {KEY_HEADER} header: a retry with the same key never pays twice",
                         field=KEY_HEADER)
    return check_key_header(idempotency_key)


@router.post("/businesses/{business_id}/bills/{bill_qbo_id}/payments", status_code=201,
             response_model=PaymentResultOut, tags=["actions"], summary="Pay a bill in QuickBooks",
             responses={201: {"headers": _REPLAYED}, **errors(400, 404, 409)},
             openapi_extra=request_body(PaymentIn, required=True))
def pay_bill(request: Request, caller: Caller, business: ClientBusiness, bill_qbo_id: QboId,
             _qbo: Annotated[None, Depends(live_qbo)], idempotency_key: Annotated[str, Depends(required_key)],
             payment: PaymentBody) -> Response:
    """Record a check BillPayment for (part of) the bill in QuickBooks, then update the mirror so the
    reads show it at once. The ``Idempotency-Key`` header is required: a retry with the same key never pays
    twice, even when the first answer was lost."""
    c = container(request)
    normalized = {"amount": money(Decimal(payment.amount)), "bank_account_qbo_id": payment.bank_account_qbo_id,
                  "txn_date": payment.txn_date.isoformat() if payment.txn_date else None}
    path = f"/v1/businesses/{business.id}/bills/{bill_qbo_id}/payments"
    request_fingerprint = fingerprint("POST", path, normalized)
    stored = c.idempotency.begin(caller.firm.id, idempotency_key, request_fingerprint)
    if stored is not None:
        return _answer(stored, replayed=True)
    result = c.payments.record_bill_payment(business.id, bill_qbo_id, payment.amount, payment.bank_account_qbo_id,
                                            idempotency_key=idempotency_key, txn_date=payment.txn_date)
    body = PaymentResultOut(payment=BillPaymentOut.of(result.payment), bill=BillOut.of(result.bill)).model_dump_json()
    kept = c.idempotency.finish(caller.firm.id, idempotency_key, request_fingerprint, 201, body)
    return _answer(kept, replayed=kept.body != body)


@router.post("/businesses/{business_id}/invoices/{invoice_qbo_id}/reminders", response_model=ReminderOut,
             tags=["actions"], summary="E-mail an overdue invoice again", responses=errors(404, 409),
             openapi_extra=request_body(ReminderIn, required=False))
def send_reminder(request: Request, business: ClientBusiness, invoice_qbo_id: QboId,
                  _qbo: Annotated[None, Depends(live_qbo)], reminder: ReminderBody) -> ReminderOut:
    """Send the invoice to the customer again through QuickBooks (to ``send_to`` if given)."""
    send_to = reminder.send_to if reminder is not None else None
    sent = container(request).collections.send_reminder(business.id, invoice_qbo_id, send_to)
    return ReminderOut(invoice=InvoiceOut.of(sent))


@router.post("/businesses/{business_id}/sync", status_code=202, response_model=SyncRequestOut,
             tags=["actions"], summary="Ask for a sync now (queued)", responses=errors(404, 501),
             openapi_extra=request_body(SyncIn, required=False))
def request_sync(request: Request, caller: Caller, business: ClientBusiness, sync: SyncBody) -> SyncRequestOut:
    """Queue a background sync of this client's mirror. Nothing is synced on this request: the answer is
    the queued request (merged into the client's pending one if there is one)."""
    sync = sync or SyncIn()
    reason = (f"api, advisor {caller.advisor.id}" + (f": {sync.reason}" if sync.reason else ""))[:200]
    queued = container(request).operations.request_sync(business.id, sync.entities, reason, full=sync.full)
    return SyncRequestOut.of(queued)
