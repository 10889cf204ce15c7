"""Operations jobs (`rq cron`, jobs/cron.py): the nightly database backup and the media copy.
Thin adapters over services/ops/backup.py."""

from __future__ import annotations

from coworking_app.services.ops.backup import do_backup, do_sync_media


def run_backup() -> str:
    """Dumps the database into the backup store; the dump's path or key.

    A failure is alerted by do_backup itself (`alerts.alert("backup", ...)`, and recorded
    under `backup:last_failure_at`, for `cli backup` run by hand as well) and re-raised
    here unchanged, so RQ records the job as failed."""
    result = do_backup()
    return result.location


def sync_media() -> str:
    """Copies new and changed media files into the backup bucket (nothing without one)."""
    report = do_sync_media()
    if not report.configured:
        return "media sync skipped: BACKUP_S3_BUCKET is not set"
    return f"media sync: {len(report.uploaded)} uploaded, {report.unchanged} unchanged"
