"""Planted: a domain operation that only refers to data of the jobs package, and one that starts a job."""

from __future__ import annotations

from domains.core.freshness import FreshnessReader
from infra.interfaces.patterns import live, local_read
from infra.interfaces.ports import InvoiceMirror, QboGateway
from infra.jobs.invoice_sync import InvoiceSync
from infra.jobs.status import BATCH_SIZE, JobFailed, JobReport, JobStatus


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror, freshness: FreshnessReader, gateway: QboGateway) -> None:
        self._invoices = invoices
        self._freshness = freshness
        self._gateway = gateway

    @local_read
    def aging_report(self, business_id: int) -> tuple[list[int], str]:
        rows = self._invoices.aging(business_id)[:BATCH_SIZE]
        status = JobStatus.IDLE if rows else JobStatus("running")
        report = JobReport(business_id, status)
        if isinstance(report, JobReport) and report.status is JobStatus.RUNNING:
            raise JobFailed(InvoiceSync.__name__)
        from infra.jobs import status as job_status

        assert job_status.JobStatus.IDLE
        return rows, self._freshness.of(business_id)

    @live
    def send_invoice(self, business_id: int, invoice_id: str) -> dict:
        from infra.jobs.status import run_now

        run_now(business_id)  # planted-violation: calling a job function starts a sync
        return self._gateway.send_invoice(business_id, invoice_id)
