"""Periodic jobs, loaded by `rq cron jobs.cron` (run exactly one such process).

This module is the scheduler process's entry point, so it also sets up that process's logs,
Sentry and (with METRICS_PORT) its own metrics server; the app's scrape counts the live
schedulers (coworking_rq_cron_schedulers, alerted when it is not 1).
"""

from rq import cron

from coworking_app.logs import configure_logging
from coworking_app.metrics import serve_own_metrics
from coworking_app.observability import start_sentry

from jobs import DEFAULT_QUEUE, OPS_QUEUE
from jobs.accounts import purge_sign_up_requests
from jobs.batches import kick_all
from jobs.booking import sweep_bookings, warn_expiring_holds
from jobs.finance import check_ledger, issue_invoices, reconcile_providers, remind_overdue_invoices, run_payouts
from jobs.maintenance import flush_search_log, refresh_dashboard_rollups, refresh_planner_statistics
from jobs.market import mark_gone_listings, queue_due_crawls
from jobs.messages import email_unread
from jobs.notifications import sweep_emails
from jobs.ops import run_backup, sync_media
from jobs.plans import run_plan_periods
from jobs.reports import generate_report

cron.register(
    refresh_planner_statistics,
    queue_name=DEFAULT_QUEUE,
    cron="15 3 * * *",  # nightly, 03:15 server time
    job_timeout=600,
    name="refresh-planner-statistics",
)

# Sign-ups never confirmed are forgotten once their code and link have expired.
cron.register(purge_sign_up_requests, queue_name=DEFAULT_QUEUE, cron="40 3 * * *", job_timeout=300,
              name="purge-sign-up-requests")

# Holds are released by jobs scheduled at their expiry (one per 5 s of expiry times); this
# catches any the scheduler missed (Redis restarted, worker down), follows up holds whose
# batched follow-up was lost, and marks finished bookings completed.
cron.register(sweep_bookings, queue_name=DEFAULT_QUEUE, cron="* * * * *", job_timeout=120,
              name="sweep-bookings")

# Unpaid holds with five minutes left: a warning in the app and in Telegram.
cron.register(warn_expiring_holds, queue_name=DEFAULT_QUEUE, cron="* * * * *", job_timeout=120,
              name="warn-expiring-holds")

# Batched work (coworking_app/batches.py): email rows whose id was lost are queued again, and
# every list with ids but no drain job gets one.
cron.register(sweep_emails, queue_name=DEFAULT_QUEUE, cron="* * * * *", job_timeout=120,
              name="sweep-emails")
cron.register(kick_all, queue_name=DEFAULT_QUEUE, cron="* * * * *", job_timeout=60,
              name="kick-batch-drains")

# Plans: memberships ending within 3 days get their next month to pay; periods that are over
# end, purchases not paid in time are given up (services/plans/purchases.py).
cron.register(run_plan_periods, queue_name=DEFAULT_QUEUE, cron="*/10 * * * *", job_timeout=300,
              name="plan-periods")

# Messages unread for 15 minutes: one email per conversation per hour at most.

cron.register(email_unread, queue_name=DEFAULT_QUEUE, cron="* * * * *", job_timeout=120,
              name="email-unread-messages")

# Searches buffered in Redis go to search_log (the dashboard's map).
cron.register(flush_search_log, queue_name=DEFAULT_QUEUE, cron="* * * * *", job_timeout=120,
              name="flush-search-log")

# The dashboard's rollups take the booking changes noted since the last run (readers add the
# ones still noted meanwhile, so the figures never lag; docs/admin.md, "Rollups"). A change of
# REPORT_TIMEZONE makes one run rebuild them (about a minute per million bookings).
cron.register(refresh_dashboard_rollups, queue_name=DEFAULT_QUEUE, cron="* * * * *", job_timeout=900,
              name="refresh-dashboard-rollups")

# Operator reports for the last complete day / week / month (report time zone is the
# server's here: run the cron process with TZ=Europe/Moscow, see docs/admin.md). A period
# already reported is skipped, so a missed or repeated run is harmless.
for kind, schedule in (("daily", "10 0 * * *"), ("weekly", "20 0 * * 1"), ("monthly", "30 0 1 * *")):
    cron.register(generate_report, queue_name=DEFAULT_QUEUE, args=(kind,), cron=schedule, job_timeout=900,
                  name=f"report-{kind}")

# Market data (docs/market.md): sources whose daily/weekly schedule is due get a crawl (a
# source's next run counts from its previous one); listings unseen for 30 days are marked gone.
cron.register(queue_due_crawls, queue_name=DEFAULT_QUEUE, cron="5 * * * *", job_timeout=120,
              name="market-queue-due-crawls")
cron.register(mark_gone_listings, queue_name=DEFAULT_QUEUE, cron="50 3 * * *", job_timeout=300,
              name="market-mark-gone")

# Backups (docs/operations.md): the database nightly at 02:30 (a failure alerts and
# fails the job; retention keeps 7 daily, 4 weekly, 12 monthly dumps), media files into the
# backup bucket every 4 hours (a logged no-op without BACKUP_S3_BUCKET). On the `ops` queue,
# worked by the crawls' worker. The timeout is above BACKUP_TIMEOUT_SECONDS' default (3 h),
# which bounds pg_dump itself.
cron.register(run_backup, queue_name=OPS_QUEUE, cron="30 2 * * *", job_timeout=4 * 3600,
              name="backup-database")
cron.register(sync_media, queue_name=OPS_QUEUE, cron="0 */4 * * *", job_timeout=2 * 3600,
              name="backup-sync-media")

# Finance (docs/finance.md). Payouts: daily at 06:00, which pays the last month on the 1st
# and catches up on any later day (owners already paid for the month are skipped); the
# ledger check nightly (a difference alerts).
cron.register(run_payouts, queue_name=OPS_QUEUE, cron="0 6 * * *", job_timeout=3600,
              name="finance-payouts")
cron.register(check_ledger, queue_name=OPS_QUEUE, cron="45 2 * * *", job_timeout=1800,
              name="finance-ledger-check")
# Companies' invoices: hourly at :30, each company once its own Monday 00:30 has come;
# overdue reminders daily.
cron.register(issue_invoices, queue_name=OPS_QUEUE, cron="30 * * * *", job_timeout=1800,
              name="finance-invoices")
cron.register(remind_overdue_invoices, queue_name=DEFAULT_QUEUE, cron="0 7 * * *", job_timeout=600,
              name="finance-invoice-reminders")
# Provider reconciliation nightly, after the ledger check: the ledger's cash at each
# configured provider against our payments and the provider's records of the last 31 days.
cron.register(reconcile_providers, queue_name=OPS_QUEUE, cron="15 3 * * *", job_timeout=1800,
              name="finance-reconciliation")

configure_logging()
start_sentry("scheduler")
serve_own_metrics()
