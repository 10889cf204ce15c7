"""Operator reports: scheduled daily/weekly/monthly reports and background exports."""

from __future__ import annotations

from coworking_app.uow import run_use_case
from coworking_app.services.admin.audit import audit_context
from coworking_app.services.admin.exports import do_generate_report, run_export as _run_export


def generate_report(kind: str) -> str:
    with audit_context(actor_kind=f"job:report-{kind}"[:40]):
        created = run_use_case(lambda s, _fx: do_generate_report(s, kind))
    return f"{kind}: {len(created)} file(s)"


def run_export(report_id: int) -> str:
    with audit_context(actor_kind="job:export"):
        return _run_export(int(report_id))
