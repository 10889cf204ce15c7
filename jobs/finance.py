"""Finance jobs (`rq cron`, jobs/cron.py): the monthly payout run, the weekly invoices, the
overdue reminders, the nightly ledger check and the provider reconciliation. Thin adapters
over services/finance: each owner and each company in a transaction of its own, so one that
fails does not hold back the others."""

from __future__ import annotations

import logging
from datetime import date, datetime, timezone

from coworking_app import alerts, metrics
from coworking_app.services.finance import companies, invoices, ledger, payouts, reconciliation
from coworking_app.services.messaging.mailer import TransientMailError
from coworking_app.uow import run_use_case
from coworking_app.i18n import tr

log = logging.getLogger(__name__)


def run_payouts(period_start: str | None = None, actor_id: int | None = None) -> dict:
    """Every owner's statement for the month (default: the last one), and the transfer when
    due. Idempotent: owners with a payout for that month are skipped."""
    period = payouts.check_period(date.fromisoformat(period_start) if period_start else None)
    candidates = run_use_case(lambda s, _fx: payouts.payout_candidates(s, period))
    result = {"period": period.isoformat(), "pending": 0, "rolled_over": 0, "nothing": 0, "failed": 0}
    for owner_id, currency in candidates:
        try:
            payout = run_use_case(lambda s, fx: payouts.do_run_owner_payout(
                s, fx, owner_id, currency, period, actor_id=actor_id), actor_id=actor_id)
        except Exception:  # one owner's failure is reported, the run goes on
            log.exception("payout of owner %s (%s) for %s failed", owner_id, currency, period)
            result["failed"] += 1
            continue
        result[payout.status if payout else "nothing"] += 1
    if result["failed"]:
        alerts.alert("payouts", tr("Выплаты за {period:%m.%Y}: {failed} владельцев не обработаны, смотрите журнал воркера", period=period, failed=result['failed']), key=f"payouts:{period}")
    return result


def check_ledger() -> dict:
    """The nightly check: kept balances against their lines, entries and currencies summing
    to zero. A difference is logged, counted and alerted."""
    check = run_use_case(lambda s, _fx: ledger.ledger_check(s))
    if not check.balanced:
        metrics.LEDGER_CHECK_FAILURES.inc()
        first = "; ".join(f"{d.kind} {d.reference}: {d.kept_minor} vs {d.counted_minor}"
                          for d in check.differences[:5])
        log.error("ledger check found %d differences: %s", len(check.differences), first)
        alerts.alert("ledger", tr("Проверка книги: {len} расхождений. {first}", len=len(check.differences), first=first),
                     key="ledger-check")
    return {"balanced": check.balanced, "accounts_checked": check.accounts_checked,
            "differences": len(check.differences)}


def issue_invoices() -> dict:
    """Hourly: each company whose Monday 00:30 has come gets last week's invoice (once)."""
    candidates = run_use_case(lambda s, _fx: invoices.invoice_candidates(s, datetime.now(timezone.utc)))
    result = {"issued": 0, "nothing": 0, "failed": 0}
    for company_id, period_start in candidates:
        try:
            invoice = run_use_case(lambda s, fx: invoices.do_issue_invoice(s, fx, company_id, period_start))
        except Exception:  # one company's failure is reported, the others are invoiced
            log.exception("invoice of company %s for the week of %s failed", company_id, period_start)
            result["failed"] += 1
            continue
        result["issued" if invoice else "nothing"] += 1
    if result["failed"]:
        alerts.alert("invoices", tr("Счета компаниям: {failed} не выставлены, смотрите журнал воркера", failed=result['failed']),
                     key="invoices-failed")
    return result


def remind_overdue_invoices() -> int:
    """Daily: companies with overdue invoices are reminded (every 3 days until paid)."""
    return run_use_case(lambda s, fx: invoices.do_remind_overdue(s, fx))


def send_company_invitation(invitation_id: int) -> str:
    if not isinstance(invitation_id, int) or isinstance(invitation_id, bool) or not 0 < invitation_id < 2**31:
        raise ValueError(f"expected an invitation id, got {invitation_id!r}")
    outcome = run_use_case(lambda s, _fx: companies.do_send_invitation_mail(s, invitation_id))
    if outcome.startswith("retry"):
        raise TransientMailError(outcome)  # RQ tries again later
    return outcome


def reconcile_providers(since: str | None = None, provider: str | None = None,
                        actor_id: int | None = None) -> dict:
    """Nightly (and on demand): each configured provider's cash in the ledger against our
    payment rows and the provider's own records, a run per provider in a transaction of its
    own. A provider that cannot be reached, or mismatches, are logged, counted and alerted."""
    now = datetime.now(timezone.utc)
    start = reconciliation.period_start(date.fromisoformat(since) if since else None, now)
    result: dict[str, str] = {}
    for name in [provider] if provider else reconciliation.configured_providers():
        fetched = reconciliation.fetch(name, start)  # before the transaction: the provider may be slow
        run = run_use_case(lambda s, _fx: reconciliation.do_reconcile(s, name, since=start, now=now,
                                                                      fetched=fetched), actor_id=actor_id)
        result[name] = run.status
        if run.status == "failed":
            metrics.RECONCILIATION_PROBLEMS.labels(name, "failed").inc()
            log.error("reconciliation with %s failed: %s", name, run.error)
            alerts.alert("reconciliation", f"{run.provider_label}: {run.error}",
                         key=f"reconciliation-failed:{name}")
        elif run.mismatches:
            metrics.RECONCILIATION_PROBLEMS.labels(name, "mismatches").inc()
            first = "; ".join(tr("{kind_label}: {reference} ({currency}) у нас {ours_minor}, в книге {ledger_minor}, у платёжной системы {provider_minor}", kind_label=i.kind_label, reference=i.reference, currency=i.currency, ours_minor=i.ours_minor, ledger_minor=i.ledger_minor, provider_minor=i.provider_minor)
                              for i in run.items[:5])
            log.error("reconciliation with %s found %d mismatches: %s", name, run.mismatches, first)
            alerts.alert("reconciliation", tr("Сверка с {provider_label}: {mismatches} расхождений. {first}", provider_label=run.provider_label, mismatches=run.mismatches, first=first),
                         key=f"reconciliation:{name}")
    return result
