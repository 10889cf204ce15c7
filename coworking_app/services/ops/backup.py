"""Backups of the database (pg_dump, custom format) and restoring one into a new database,
with a check that the copy is whole (docs/operations.md).

- `do_backup` dumps the database of DATABASE_URL into the backup store (services/ops/
  backup_store.py: BACKUP_DIR or the BACKUP_S3_BUCKET) as `coworking-<db>-<UTC time>.dump`
  with a manifest beside it (`.dump.json`: exact row counts per table, the migrations, the
  dump's size and SHA-256), applies retention (services/ops/retention.py), and records the
  outcome in the RQ Redis for the "backup older than 26 h" alert rule (`last_backup`).
  A failure is logged, recorded (`backup:last_failure_at`) and alerted, then raised.
- `do_restore` restores a dump into a new database and verifies it: migrations at head and
  every table's row count equal to the manifest's.
- `do_sync_media` copies MEDIA_ROOT's new and changed files into the backup bucket.

pg_dump and pg_restore (Debian's postgresql-client-15) get the connection from DATABASE_URL
through the PG* environment variables of the child process: the password never appears on
a command line (where `ps` shows it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from coworking_app.alerts import alert
from coworking_app.db import get_rq_redis
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.ops.backup_store import (BackupConfig, BackupStore, LocalBackupStore, backup_store,
                                                     s3_client)
from coworking_app.services.ops.retention import MANIFEST_SUFFIX, dump_name, expired
from coworking_app.settings import PROJECT_ROOT, get_settings
from coworking_app.i18n import tr

log = logging.getLogger(__name__)

# The RQ Redis keys read by the alert rules and the metrics (`last_backup`).
LAST_SUCCESS_KEY = "backup:last_success_at"  # unix time, float seconds as a string
LAST_SIZE_KEY = "backup:last_size_bytes"
LAST_LOCATION_KEY = "backup:last_location"
LAST_FAILURE_KEY = "backup:last_failure_at"

DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
RESERVED_DATABASES = frozenset({"postgres", "template0", "template1"})
DUMP_MAGIC = b"PGDMP"  # the first bytes of a custom-format archive
MIGRATIONS = PROJECT_ROOT / "alembic"


class BackupError(Exception):
    """A backup (or a tool it needs) failed; the message is Russian and says what failed."""


# --- configuration and the tools ----------------------------------------------------------------


def backup_config() -> BackupConfig:
    return BackupConfig.from_settings(get_settings())


def _driver_url(url: str | URL) -> URL:
    """DATABASE_URL for SQLAlchemy with psycopg 3, whatever driver it names."""
    return make_url(url).set(drivername="postgresql+psycopg")


def _engine(url: URL):
    return create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 10})


def pg_environment(url: str | URL, database: str | None = None) -> dict[str, str]:
    """The environment for pg_dump/pg_restore/psql connecting as DATABASE_URL does (the
    `+psycopg` driver part means nothing to them): PGHOST, PGPORT, PGUSER, PGPASSWORD,
    PGDATABASE, and sslmode and the like from the query string."""
    parsed = make_url(url)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    query = {key: (value[-1] if isinstance(value, tuple) else value) for key, value in parsed.query.items()}
    values = {
        "PGHOST": parsed.host or query.pop("host", None),
        "PGPORT": str(parsed.port) if parsed.port else query.pop("port", None),
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": database or parsed.database,
        "PGSSLMODE": query.pop("sslmode", None),
        "PGSSLROOTCERT": query.pop("sslrootcert", None),
        "PGCONNECT_TIMEOUT": query.pop("connect_timeout", None) or "10",
        "PGAPPNAME": "cospace-backup",
    }
    env.update({key: str(value) for key, value in values.items() if value})
    return env


def pg_tool(config: BackupConfig, name: str) -> str:
    """The path of pg_dump/pg_restore: BACKUP_PG_BIN_DIR, else PATH, else Debian's place for
    PostgreSQL 15's client."""
    candidates = [Path(config.pg_bin_dir) / name] if config.pg_bin_dir else []
    found = shutil.which(name)
    candidates += [Path(found)] if found else []
    candidates.append(Path("/usr/lib/postgresql/15/bin") / name)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(tr("Не найдена программа {name}: установите пакет postgresql-client-15 (apt-get install -y postgresql-client-15) или укажите BACKUP_PG_BIN_DIR", name=name))


def _tail(output: bytes | str, limit: int = 800) -> str:
    if isinstance(output, bytes):
        output = output.decode("utf-8", "replace")
    return output.strip()[-limit:]


# --- what a database holds ----------------------------------------------------------------------


def table_counts(conn: Connection) -> dict[str, int]:
    """Exact `count(*)` of every ordinary and partitioned table outside the system schemas,
    as {"schema.table": rows}, read on `conn` (in its transaction and snapshot)."""
    tables = conn.execute(text(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' "
        "ORDER BY 1, 2")).all()
    preparer = conn.dialect.identifier_preparer
    return {f"{schema}.{table}": conn.scalar(text(
        f"SELECT count(*) FROM {preparer.quote(schema)}.{preparer.quote(table)}"))
        for schema, table in tables}


def migration_versions(conn: Connection) -> set[str]:
    """The revisions in alembic_version (none when the table is missing)."""
    if not conn.scalar(text("SELECT to_regclass('public.alembic_version') IS NOT NULL")):
        return set()
    return set(conn.scalars(text("SELECT version_num FROM alembic_version")))


def migration_heads() -> set[str]:
    """The head revision(s) of this code's migrations (alembic/versions)."""
    return set(ScriptDirectory(str(MIGRATIONS)).get_heads())


# --- backup -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupResult:
    location: str  # the dump's path (local) or key (S3): what `cli backup` prints last
    name: str
    size_bytes: int
    taken_at: datetime
    tables: dict[str, int]
    deleted: list[str] = field(default_factory=list)  # older dumps retention removed


def do_backup(config: BackupConfig | None = None, now: datetime | None = None) -> BackupResult:
    """Dumps the database into the backup store, applies retention and records the outcome
    in the RQ Redis. A failure is logged, recorded under `backup:last_failure_at` and sent
    as an operator alert (kind "backup"), then raised (the CLI exits non-zero, RQ marks the
    job failed)."""
    config = config or backup_config()
    try:
        result = _dump(config, now or datetime.now(timezone.utc))
    except Exception as exc:
        log.exception("Backup failed")
        _record_failure(exc)
        raise
    _record_success(result)
    deleted = apply_retention(backup_store(config), now=result.taken_at)
    return BackupResult(result.location, result.name, result.size_bytes, result.taken_at, result.tables, deleted)


def _dump(config: BackupConfig, now: datetime) -> BackupResult:
    """pg_dump in the snapshot the row counts were read in.

    The manifest's counts must be exactly what the dump holds, or a restore drill could not
    tell a lost row from a row written during the dump. So one REPEATABLE READ transaction
    exports its snapshot (`pg_export_snapshot()`, its first statement, so the transaction's
    own snapshot is that one), counts every table in it, and stays open while pg_dump runs
    with `--snapshot=<id>`: pg_dump then sees the database exactly as the counts did, however
    many bookings are written meanwhile. (Counting in a transaction right before the dump
    would differ by whatever was committed in between.) The transaction only reads, so it
    blocks no writer; like pg_dump's own, it holds back vacuum while it runs."""
    dump_tool = pg_tool(config, "pg_dump")
    store = backup_store(config)
    url = _driver_url(config.database_url)
    engine = _engine(url)
    temporary: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="cospace-backup-") as scratch:

        def temp_file(file_name: str) -> Path:
            # Locally beside the final place (then renamed: a half-written dump has a hidden
            # temporary name and is never listed); for S3 in a scratch folder, then uploaded.
            path = store.temp_path(file_name) if isinstance(store, LocalBackupStore) else Path(scratch) / file_name
            temporary.append(path)
            return path

        try:
            with engine.connect() as conn:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
                    database = conn.scalar(text("SELECT current_database()"))
                    counts = table_counts(conn)
                    versions = sorted(migration_versions(conn))
                    name = dump_name(database, now)
                    tmp_dump = temp_file(name)
                    done = subprocess.run(
                        [dump_tool, "--format=custom", f"--snapshot={snapshot}", f"--file={tmp_dump}",
                         "--no-password"],
                        env=pg_environment(url, database), capture_output=True,
                        timeout=config.timeout_seconds, check=False)
                if done.returncode != 0:
                    raise BackupError(tr("pg_dump завершился с кодом {returncode}: {tail}", returncode=done.returncode, tail=_tail(done.stderr)))
            size = tmp_dump.stat().st_size
            manifest = {
                "database": database, "taken_at": now.astimezone(timezone.utc).isoformat(),
                "format": "pg_dump custom", "size_bytes": size, "sha256": _sha256(tmp_dump),
                "alembic_versions": versions, "tables": counts,
            }
            tmp_manifest = temp_file(name + MANIFEST_SUFFIX)
            tmp_manifest.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
            # The manifest first, the dump last: a listed dump always has its manifest.
            store.put(tmp_manifest, name + MANIFEST_SUFFIX)
            location = store.put(tmp_dump, name)
        except subprocess.TimeoutExpired as exc:
            raise BackupError(tr("pg_dump не завершился за {timeout_seconds} с", timeout_seconds=config.timeout_seconds)) from exc
        finally:
            engine.dispose()
            for path in temporary:
                path.unlink(missing_ok=True)
    log.info("Backup stored at %s (%d bytes, %d tables)", location, size, len(counts))
    return BackupResult(location, name, size, now, counts)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def apply_retention(store: BackupStore, now: datetime | None = None) -> list[str]:
    """Deletes the dumps (and manifests) retention no longer keeps; their names. A failure
    here is logged and alerted but leaves the new backup standing."""
    try:
        doomed = expired(store.names(), now or datetime.now(timezone.utc))
        for name in doomed:
            store.delete(name)
    except Exception:  # noqa: BLE001 (the backup itself succeeded; old copies wait for the next run)
        log.exception("Backup retention failed")
        alert("backup", tr("Не удалось удалить старые резервные копии (ротация); новая копия сохранена."),
              "backup:retention")
        return []
    if doomed:
        log.info("Retention deleted %d old backup(s): %s", len(doomed), ", ".join(doomed))
    return doomed


def _record_success(result: BackupResult) -> None:
    try:
        get_rq_redis().mset({LAST_SUCCESS_KEY: repr(time.time()), LAST_SIZE_KEY: str(result.size_bytes),
                             LAST_LOCATION_KEY: result.location})
    except Exception:  # noqa: BLE001 (the dump is stored; only the monitoring misses it)
        log.exception("Could not record the successful backup in Redis")


def _record_failure(exc: Exception) -> None:
    try:
        get_rq_redis().set(LAST_FAILURE_KEY, repr(time.time()))
    except Exception:  # noqa: BLE001 (the alert below still goes out if it can)
        log.exception("Could not record the failed backup in Redis")
    reason = str(exc) if isinstance(exc, BackupError) else f"{type(exc).__name__}: {exc}"
    alert("backup", tr("Резервная копия базы не создана: {value}", value=reason[:1500]), f"backup:{type(exc).__name__}")


def last_backup() -> tuple[float | None, int | None]:
    """(unix time of the last successful backup, its size in bytes); None where unknown
    (never backed up, or Redis unreachable, which is logged)."""
    try:
        at, size = get_rq_redis().mget(LAST_SUCCESS_KEY, LAST_SIZE_KEY)
    except Exception:  # noqa: BLE001 (metrics show "unknown" rather than fail)
        log.warning("Could not read the last backup from Redis", exc_info=True)
        return None, None
    return (float(at) if at is not None else None, int(size) if size is not None else None)


# --- restore ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableCheck:
    table: str  # schema.table
    expected: int | None  # rows in the copy (its manifest); None: not listed there, or no manifest
    restored: int | None  # rows restored; None: no such table in the restored database
    checked: bool  # the copy has a manifest to compare with

    @property
    def ok(self) -> bool:
        return not self.checked or (self.expected is not None and self.expected == self.restored)


@dataclass(frozen=True)
class RestoreReport:
    database: str
    source: str
    has_manifest: bool
    heads: set[str]
    versions: set[str]
    tables: list[TableCheck]

    @property
    def migrations_at_head(self) -> bool:
        return bool(self.versions) and self.versions == self.heads

    @property
    def problems(self) -> list[str]:
        """What failed the verification, in Russian; empty when the copy is whole."""
        out = []
        if not self.migrations_at_head:
            out.append(tr("Миграции не на последней версии: в базе {value}, в коде {join}", value=', '.join(sorted(self.versions)) or 'нет версии', join=', '.join(sorted(self.heads))))
        bad = [t for t in self.tables if not t.ok]
        if bad:
            out.append(tr("Число строк не совпадает с копией: ") + ", ".join(
                tr("{table} ({value} в копии, {value2} восстановлено)", table=t.table, value='нет таблицы' if t.expected is None else t.expected, value2='нет таблицы' if t.restored is None else t.restored)
                for t in bad))
        if not self.has_manifest:
            out.append(tr("У копии нет манифеста: число строк не с чем сравнить"))
        return out

    @property
    def ok(self) -> bool:
        return not self.problems


def check_database_name(name: str) -> None:
    if not DATABASE_NAME.match(name or ""):
        raise InvalidInput("database", tr("Имя базы: строчные латинские буквы, цифры и «_», первая — буква или «_», не длиннее 63 символов"))
    if name in RESERVED_DATABASES:
        raise InvalidInput("database", tr("В служебную базу {name} восстанавливать нельзя", name=name))


def do_restore(ref: str, database: str, force: bool = False, config: BackupConfig | None = None) -> RestoreReport:
    """Restores the dump at `ref` (a file path, a dump's name in the store, or its S3 key) into a
    new database `database` on the server of DATABASE_URL, then verifies it (RestoreReport).

    Refused with InvalidInput, leaving nothing behind: a bad name, a missing or non-dump
    source, a dump whose checksum differs from its manifest, an existing database without
    `force`, `force` on the application's own database. With `force` an existing database
    is dropped first. A dump pg_restore cannot restore (cut short, damaged) is refused
    likewise, and the half-restored database is dropped. A database that restored but
    fails the verification is kept, for looking into."""
    config = config or backup_config()
    check_database_name(database)
    server = _driver_url(config.database_url)
    if database == server.database:
        raise InvalidInput("database", tr("База {database} — рабочая база приложения (DATABASE_URL): в неё восстанавливать нельзя, даже с --force", database=database))
    restore_tool = pg_tool(config, "pg_restore")
    with tempfile.TemporaryDirectory(prefix="cospace-restore-") as scratch:
        dump = Path(ref) if Path(ref).is_file() else backup_store(config).fetch(ref, Path(scratch))
        if dump is None:
            raise InvalidInput("source", tr("Резервная копия не найдена: {ref}", ref=ref))
        manifest = _check_dump(dump, restore_tool, server)
        admin = _engine(server.set(database="postgres")).execution_options(isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database})
                if exists and not force:
                    raise InvalidInput("database", tr("База {database} уже существует; чтобы заменить её, добавьте --force", database=database))
                if exists:
                    log.warning("Restore: dropping the existing database %s (--force)", database)
                    conn.execute(text(f'DROP DATABASE "{database}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{database}" TEMPLATE template0'))
            try:
                done = subprocess.run(
                    [restore_tool, "--no-owner", "--no-privileges", "--exit-on-error", "--no-password",
                     f"--dbname={database}", str(dump)],
                    env=pg_environment(server, database), capture_output=True,
                    timeout=config.timeout_seconds, check=False)
                if done.returncode != 0:
                    log.error("pg_restore of %s into %s failed: %s", ref, database, _tail(done.stderr, 2000))
                    raise InvalidInput("source", tr("pg_restore не смог восстановить копию ({tail}); недовосстановленная база {database} удалена", tail=_tail(done.stderr, 300), database=database))
            except BaseException:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
                raise
        finally:
            admin.dispose()
    return verify_restored(database, ref, manifest, config)


def _check_dump(dump: Path, restore_tool: str, server: URL) -> dict | None:
    """Refuses a file that is no pg_dump custom archive, or differs from its manifest; the
    manifest (None without one)."""
    with open(dump, "rb") as handle:
        if handle.read(len(DUMP_MAGIC)) != DUMP_MAGIC:
            raise InvalidInput("source", tr("Файл {name} — не архив pg_dump (формат custom)", name=dump.name))
    manifest = None
    manifest_path = Path(str(dump) + MANIFEST_SUFFIX)
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if not isinstance(manifest, dict) or not isinstance(manifest.get("tables"), dict):
                raise ValueError("no tables")
        except ValueError as exc:
            raise InvalidInput("source", tr("Манифест {name} повреждён", name=manifest_path.name)) from exc
        if manifest.get("sha256") and manifest["sha256"] != _sha256(dump):
            raise InvalidInput("source", tr("Копия {name} повреждена: контрольная сумма не совпадает с манифестом", name=dump.name))
    listed = subprocess.run([restore_tool, "--list", str(dump)], env=pg_environment(server),
                            capture_output=True, timeout=300, check=False)
    if listed.returncode != 0:
        raise InvalidInput("source", tr("pg_restore не читает файл {name}: {tail}", name=dump.name, tail=_tail(listed.stderr, 300)))
    return manifest


def verify_restored(database: str, source: str, manifest: dict | None,
                    config: BackupConfig | None = None) -> RestoreReport:
    """Migrations at head and every table's row count against the manifest's."""
    config = config or backup_config()
    engine = _engine(_driver_url(config.database_url).set(database=database))
    try:
        with engine.connect() as conn:
            counts = table_counts(conn)
            versions = migration_versions(conn)
    finally:
        engine.dispose()
    expected = (manifest or {}).get("tables", {})
    tables = [TableCheck(name, expected.get(name), counts.get(name), manifest is not None)
              for name in sorted(set(counts) | set(expected))]
    return RestoreReport(database, source, manifest is not None, migration_heads(), versions, tables)


# --- media --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaSync:
    configured: bool  # False: no BACKUP_S3_BUCKET, nothing done
    uploaded: list[str] = field(default_factory=list)  # keys under the media prefix
    unchanged: int = 0


def do_sync_media(config: BackupConfig | None = None) -> MediaSync:
    """Uploads the files under MEDIA_ROOT that the bucket lacks or holds in another version to
    `<BACKUP_S3_PREFIX>media/<path>`. A file counts as changed when its size differs from the
    object's, or it was modified at least a second after the object was stored (S3's
    LastModified has whole seconds): one listing, no file read twice, like rsync's quick check.
    Files deleted locally stay in the bucket (a backup keeps what was lost). Without a backup
    bucket it does nothing and says so in the log."""
    config = config or backup_config()
    if not config.uses_s3:
        log.info("Media sync skipped: BACKUP_S3_BUCKET is not set")
        return MediaSync(configured=False)
    client = s3_client(config)
    prefix = f"{config.prefix}media/"
    stored: dict[str, tuple[int, float]] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=config.s3_bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            stored[item["Key"]] = (item["Size"], item["LastModified"].timestamp())
    uploaded, unchanged = [], 0
    root = Path(config.media_root)
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        relative = path.relative_to(root)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue  # folders, and half-written uploads (LocalStorage's hidden temporary files)
        info = path.stat()
        key = prefix + relative.as_posix()
        have = stored.get(key)
        if have and have[0] == info.st_size and info.st_mtime < have[1] + 1:
            unchanged += 1
            continue
        client.upload_file(str(path), config.s3_bucket, key,
                           ExtraArgs={"Metadata": {"mtime": f"{info.st_mtime:.3f}"}})
        uploaded.append(key)
    log.info("Media sync: %d file(s) uploaded, %d unchanged", len(uploaded), unchanged)
    return MediaSync(configured=True, uploaded=uploaded, unchanged=unchanged)
