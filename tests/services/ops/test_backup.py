"""Backups and restore (services/ops/backup.py) against the real PostgreSQL and Redis, S3
through the real boto3 client against moto's server on 127.0.0.1. Every database a test
restores into has its own name and is dropped at the end."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

import jobs.ops
from coworking_app import alerts
from coworking_app.db import get_rq_redis
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.ops import backup
from coworking_app.services.ops.backup import (BackupConfig, do_backup, do_restore, do_sync_media, last_backup,
                                               pg_environment, table_counts)
from coworking_app.services.ops.retention import dump_name
from coworking_app.settings import get_settings
from tests.factories import make_space
from tests.fake_s3 import fake_s3

ROOT = Path(__file__).resolve().parents[3]
SERVER = make_url(get_settings().database_url).set(drivername="postgresql+psycopg")


def _admin():
    return create_engine(SERVER.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")


def _exists(name: str) -> bool:
    engine = _admin()
    try:
        with engine.connect() as conn:
            return bool(conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}))
    finally:
        engine.dispose()


def _counts(database: str) -> dict[str, int]:
    engine = create_engine(SERVER.set(database=database), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return table_counts(conn)
    finally:
        engine.dispose()


@pytest.fixture()
def scratch_db():
    """scratch_db() -> a fresh, unused database name (wtb_scratch_<random>); all are dropped
    at the end, whatever the test left."""
    names: list[str] = []

    def make() -> str:
        names.append(f"wtb_scratch_{uuid.uuid4().hex[:10]}")
        return names[-1]

    yield make
    engine = _admin()
    with engine.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture()
def local_config(tmp_path) -> BackupConfig:
    return dataclasses.replace(BackupConfig.from_settings(get_settings()), backup_dir=tmp_path / "backups",
                               media_root=tmp_path / "media", s3_bucket="")


@pytest.fixture()
def s3(tmp_path):
    """(boto3 client, BackupConfig for the bucket `backups` on a fresh moto server)."""
    with fake_s3("backups") as (client, endpoint):
        config = dataclasses.replace(
            BackupConfig.from_settings(get_settings()), backup_dir=tmp_path / "unused", media_root=tmp_path / "media",
            s3_bucket="backups", s3_endpoint_url=endpoint, s3_prefix="cospace/", s3_access_key_id="test",
            s3_secret_access_key="test")
        yield client, config


def _keys(client, prefix: str) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket="backups", Prefix=prefix).get("Contents", []))


def _seed(world) -> None:
    """Rows beyond the fixture world: a space with resources and tariffs of its own."""
    from tests.uow_helpers import transaction

    with transaction() as session:
        make_space(session, name=f"Копия {uuid.uuid4().hex[:6]}", lat=55.7558, lon=37.6173, photos=2,
                   owner_id=world.owner_id)


def test_backup_then_restore_brings_back_every_table_with_its_rows(world, make_user, local_config, scratch_db):
    _seed(world)
    make_user("owner")
    before = time.time()
    result = do_backup(local_config)
    dump = Path(result.location)
    assert dump.is_file() and dump.parent == local_config.backup_dir
    assert dump.name == dump_name(SERVER.database, result.taken_at)
    assert not [p for p in local_config.backup_dir.iterdir() if p.name.startswith(".")]  # no temporary left
    manifest = json.loads(Path(str(dump) + ".json").read_text(encoding="utf-8"))
    assert manifest["tables"] == result.tables and manifest["size_bytes"] == dump.stat().st_size
    assert result.tables["public.space"] > 0 and result.tables["public.app_user"] > 0
    assert result.tables["public.tariff"] > 0 and result.tables["public.photo"] >= 2
    at, size = last_backup()
    assert before <= at <= time.time() and size == dump.stat().st_size
    assert float(get_rq_redis().get(backup.LAST_SUCCESS_KEY)) == at

    name = scratch_db()
    report = do_restore(str(dump), name, config=local_config)
    assert report.ok, report.problems
    assert report.migrations_at_head and report.versions == backup.migration_heads()
    assert {t.table for t in report.tables} == set(result.tables)
    # Independently of the report: every table of the source has as many rows in the copy.
    assert _counts(name) == _counts(SERVER.database) == result.tables


def test_restore_refuses_an_existing_database_without_force_and_the_apps_own_even_with_it(
        world, local_config, scratch_db):
    dump = do_backup(local_config).location
    name = scratch_db()
    assert do_restore(dump, name, config=local_config).ok
    engine = create_engine(SERVER.set(database=name), poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE marker (x int)"))
    engine.dispose()

    with pytest.raises(InvalidInput, match="уже существует") as refused:
        do_restore(dump, name, config=local_config)
    assert refused.value.field == "database"
    assert "public.marker" in _counts(name)  # untouched

    with pytest.raises(InvalidInput, match="рабочая база приложения"):
        do_restore(dump, SERVER.database, force=True, config=local_config)
    assert _counts(SERVER.database)["public.space"] > 0

    report = do_restore(dump, name, force=True, config=local_config)  # dropped, then restored afresh
    assert report.ok, report.problems
    assert "public.marker" not in _counts(name)


def test_bad_input_is_refused_and_creates_nothing(world, local_config, scratch_db, tmp_path):
    dump = do_backup(local_config).location
    name = scratch_db()
    for bad in ("Bad", "1abc", "a-b", "x" * 64, "", "postgres", "template1"):
        with pytest.raises(InvalidInput) as refused:
            do_restore(dump, bad, config=local_config)
        assert refused.value.field == "database"
    with pytest.raises(InvalidInput, match="не найдена"):
        do_restore(str(tmp_path / "missing.dump"), name, config=local_config)
    text_file = tmp_path / "notes.dump"
    text_file.write_text("это не архив", encoding="utf-8")
    with pytest.raises(InvalidInput, match="не архив pg_dump"):
        do_restore(str(text_file), name, config=local_config)
    # A copy that differs from its manifest (a flipped byte) is refused before anything is made.
    damaged = tmp_path / Path(dump).name
    data = bytearray(Path(dump).read_bytes())
    data[-10] ^= 0xFF
    damaged.write_bytes(bytes(data))
    Path(str(damaged) + ".json").write_bytes(Path(dump + ".json").read_bytes())
    with pytest.raises(InvalidInput, match="контрольная сумма"):
        do_restore(str(damaged), name, config=local_config)
    assert not _exists(name)


def test_a_dump_pg_restore_fails_on_leaves_no_half_restored_database(local_config, scratch_db, tmp_path):
    """A dump whose table of contents reads but whose data does not load (a corrupted COPY
    row): the new database is dropped again."""
    source = scratch_db()
    engine = _admin()
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{source}"'))
    engine.dispose()
    engine = create_engine(SERVER.set(database=source), poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE probe (n int); INSERT INTO probe VALUES (101), (202), (303)"))
    engine.dispose()
    plain = tmp_path / "probe.dump"
    subprocess.run(["pg_dump", "--format=custom", "--compress=0", f"--file={plain}"],
                   env=pg_environment(SERVER, source), check=True)
    data = plain.read_bytes()
    assert data.count(b"202\n") == 1
    plain.write_bytes(data.replace(b"202\n", b"2x2\n"))
    target = scratch_db()
    with pytest.raises(InvalidInput, match="удалена"):
        do_restore(str(plain), target, config=local_config)
    assert not _exists(target)


def test_a_failed_backup_alerts_records_the_failure_and_fails_the_job(world, local_config, monkeypatch):
    redis = get_rq_redis()
    redis.delete(alerts.ALERTS_LIST, backup.LAST_FAILURE_KEY, *redis.keys("telegram:alert-seen:*"))
    bad = dataclasses.replace(local_config, database_url=str(SERVER.set(database=f"wtb_missing_{uuid.uuid4().hex[:8]}")))
    before = time.time()
    with pytest.raises(Exception):
        do_backup(bad)
    failed_at = float(redis.get(backup.LAST_FAILURE_KEY))
    assert before <= failed_at <= time.time()
    queued = alerts.take_alerts(10)
    assert len(queued) == 1 and queued[0]["kind"] == "backup", queued
    assert "Резервная копия базы не создана" in queued[0]["text"]
    assert not local_config.backup_dir.exists() or not list(local_config.backup_dir.iterdir())

    # pg_dump itself failing (here: a pg_dump that refuses) is a failure alike, and the RQ job
    # re-raises it so that RQ records the job as failed.
    bin_dir = local_config.backup_dir.parent / "bin"
    bin_dir.mkdir()
    (bin_dir / "pg_dump").write_text("#!/bin/sh\necho 'pg_dump: error: нарочно' >&2\nexit 1\n")
    (bin_dir / "pg_dump").chmod(0o755)
    settings = get_settings()
    monkeypatch.setattr(settings, "backup_dir", local_config.backup_dir)
    monkeypatch.setattr(settings, "backup_pg_bin_dir", str(bin_dir))
    monkeypatch.setattr(settings, "backup_s3_bucket", "")
    redis.delete(*redis.keys("telegram:alert-seen:*"))
    with pytest.raises(backup.BackupError, match="нарочно"):
        jobs.ops.run_backup()
    queued = alerts.take_alerts(10)
    assert len(queued) == 1 and "pg_dump завершился с кодом 1" in queued[0]["text"], queued
    assert not list(local_config.backup_dir.iterdir())  # the half-written dump is gone


def test_s3_round_trip_lists_applies_retention_and_restores_from_a_key(world, s3, scratch_db):
    client, config = s3
    now = datetime.now(timezone.utc)
    old = [now - timedelta(days=400), now - timedelta(days=60, hours=2), now - timedelta(days=60, hours=1),
           now - timedelta(days=1)]
    for moment in old:
        name = dump_name(SERVER.database, moment)
        client.put_object(Bucket="backups", Key=f"cospace/db/{name}", Body=b"PGDMP old")
        client.put_object(Bucket="backups", Key=f"cospace/db/{name}.json", Body=b"{}")
    client.put_object(Bucket="backups", Key="cospace/db/readme.txt", Body=b"not a dump")

    result = do_backup(config)
    assert result.location == f"cospace/db/{result.name}"
    # Deleted: the 400-day-old dump and the older of the two in one month 60 days back.
    assert result.deleted == [dump_name(SERVER.database, old[0]), dump_name(SERVER.database, old[1])]
    kept = [dump_name(SERVER.database, m) for m in old[2:]] + [result.name]
    assert _keys(client, "cospace/db/") == sorted(
        [f"cospace/db/{n}" for n in kept] + [f"cospace/db/{n}.json" for n in kept] + ["cospace/db/readme.txt"])
    assert backup.backup_store(config).names() == kept
    stored = client.head_object(Bucket="backups", Key=result.location)
    assert stored["ContentLength"] == result.size_bytes == last_backup()[1]

    name = scratch_db()
    report = do_restore(result.location, name, config=config)
    assert report.ok, report.problems
    assert report.has_manifest and _counts(name) == result.tables
    with pytest.raises(InvalidInput, match="не найдена"):
        do_restore("cospace/db/coworking-x-20200101T000000Z.dump", scratch_db(), config=config)


def test_media_sync_uploads_new_and_changed_files_only(s3, local_config):
    client, config = s3
    assert do_sync_media(local_config).configured is False  # no bucket: nothing, and no error
    media = config.media_root
    (media / "spaces" / "1").mkdir(parents=True)
    (media / "spaces" / "1" / "a.jpg").write_bytes(b"a" * 10)
    (media / "spaces" / "1" / "b.jpg").write_bytes(b"b" * 20)
    (media / "c.txt").write_bytes(b"c")
    (media / "spaces" / "1" / ".upload-x").write_bytes(b"half")  # LocalStorage's temporary: skipped

    first = do_sync_media(config)
    assert sorted(first.uploaded) == ["cospace/media/c.txt", "cospace/media/spaces/1/a.jpg",
                                      "cospace/media/spaces/1/b.jpg"]
    assert _keys(client, "cospace/media/") == sorted(first.uploaded)
    again = do_sync_media(config)
    assert again.uploaded == [] and again.unchanged == 3

    (media / "spaces" / "1" / "a.jpg").write_bytes(b"A" * 11)  # another size
    b = media / "spaces" / "1" / "b.jpg"
    b.write_bytes(b"B" * 20)  # the same size, written later
    later = time.time() + 5
    os.utime(b, (later, later))
    (media / "d.txt").write_bytes(b"new")
    changed = do_sync_media(config)
    assert sorted(changed.uploaded) == ["cospace/media/d.txt", "cospace/media/spaces/1/a.jpg",
                                        "cospace/media/spaces/1/b.jpg"]
    assert changed.unchanged == 1
    body = client.get_object(Bucket="backups", Key="cospace/media/spaces/1/b.jpg")["Body"].read()
    assert body == b"B" * 20


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coworking_app.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT), **env}, timeout=300)


def test_the_cli_prints_the_dump_last_and_restore_answers_with_exit_codes(world, tmp_path, scratch_db):
    env = {"BACKUP_DIR": str(tmp_path / "cli-backups"), "BACKUP_S3_BUCKET": ""}
    done = _cli("backup", env=env)
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert Path(last).is_file() and Path(last).parent == tmp_path / "cli-backups"

    name = scratch_db()
    restored = _cli("restore", Path(last).name, "--database", name, env=env)  # a bare name: from BACKUP_DIR
    assert restored.returncode == 0, restored.stderr
    assert "public.space" in restored.stdout and "проверена" in restored.stdout.splitlines()[-1]

    again = _cli("restore", last, "--database", name, env=env)
    assert again.returncode == 2 and "уже существует" in again.stderr
    bad = _cli("restore", last, "--database", "Не-имя", env=env)
    assert bad.returncode == 2 and "Имя базы" in bad.stderr
    missing = _cli("restore", str(tmp_path / "nothing.dump"), "--database", scratch_db(), env=env)
    assert missing.returncode == 2 and "не найдена" in missing.stderr
    failed = _cli("backup", env={**env, "DATABASE_URL": str(SERVER.set(database="wtb_missing_db"))})
    assert failed.returncode == 1 and "Резервная копия не создана" in failed.stderr
