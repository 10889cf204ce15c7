"""Batched follow-up work (coworking_app/batches.py, jobs/batches.py): a booking pushes its
id onto the "holds" list and one drain job serves many bookings; following up and sending
twice writes and sends nothing twice; an email that fails for now is retried on its own;
what Redis loses, the cron sweeps find again in the database."""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rq import Queue
from rq.job import Job
from sqlalchemy import select, text

from coworking_app import batches
from coworking_app.db import get_rq_redis
from coworking_app.services.booking import bookings as svc
from coworking_app.services.messaging.delivery import do_requeue_lost_emails
from coworking_app.settings import get_settings
from coworking_app.uow import UnitOfWork, run_use_case
from jobs import DEFAULT_QUEUE
from jobs.batches import LISTS, kick_all
from jobs.booking import follow_up_holds
from jobs.notifications import deliver, deliver_batch
from models import Booking, Notification
from tests.booking_auth import signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, pay_test
from tests.conftest import ROOT, TEST_ENV
from tests.uow_helpers import transaction


@pytest.fixture()
def redis_lists():
    """No ids, drain jobs or queued jobs left by earlier tests."""
    connection = get_rq_redis()

    def clean() -> None:
        Queue(DEFAULT_QUEUE, connection=connection).empty()
        for name in LISTS:
            connection.delete(batches.list_key(name), batches.marker_key(name))

    clean()
    yield connection
    clean()


def _holds(client, count: int) -> tuple[list[int], dict]:
    b = make_bookable()
    _renter, auth = signed_in()
    day = in_days(4)
    ids = []
    for n in range(count):
        r = client.post(f"{API}/bookings", headers=auth, json=body(b.desk_id, local(day, 9 + n), local(day, 10 + n)))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids, auth


def _notices(booking_id: int) -> list[tuple[str, str, str]]:
    with transaction() as s:
        return sorted(s.execute(select(Notification.type, Notification.channel, Notification.status)
                                .where(Notification.booking_id == booking_id)).all())


def _items(connection, name: str) -> list[int]:
    return [int(x) for x in connection.lrange(batches.list_key(name), 0, -1)]


def _drain_jobs(connection, name: str) -> list[str]:
    queue = Queue(DEFAULT_QUEUE, connection=connection)
    return [job_id for job_id in queue.get_job_ids() if job_id.startswith(f"batch-{name}-")]


def test_bookings_push_their_ids_and_one_drain_job_follows_them_all_up(client, redis_lists, outbox):
    connection = redis_lists
    ids, _auth = _holds(client, 3)
    # Each booking's commit pushed its id; only the first queued a drain job.
    assert _items(connection, "holds") == ids
    [drain_id] = _drain_jobs(connection, "holds")
    assert connection.get(batches.marker_key("holds")).decode() == drain_id
    job = Job.fetch(drain_id, connection=connection)
    assert (job.func_name, job.args) == ("jobs.batches.drain", ("holds",))
    assert all(_notices(booking_id) == [] for booking_id in ids)

    env = {**TEST_ENV, **os.environ, "MAIL_OUTBOX_DIR": str(outbox), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "rq.cli", "worker", "-w", "rq.worker.SimpleWorker", "--burst",
                    "--url", TEST_ENV["RQ_REDIS_URL"], DEFAULT_QUEUE], cwd=ROOT, env=env, check=True,
                   timeout=120, capture_output=True)

    for booking_id in ids:
        assert _notices(booking_id) == [("booking_created", "email", "sent"),
                                        ("booking_created", "in_app", "sent")]
    mails = [m for m in (email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in outbox.glob("*.eml"))
             if "ждёт оплаты" in m["Subject"]]
    assert sorted(m["Subject"] for m in mails) == sorted(f"Бронь № {i} ждёт оплаты" for i in ids)
    assert "Оплатите до" in mails[0].get_body(("plain",)).get_content()
    assert mails[0].get_body(("html",)) is not None
    # Both lists drained, their drain jobs gone, nothing left queued.
    assert _items(connection, "holds") == _items(connection, "emails") == []
    assert connection.get(batches.marker_key("holds")) is None
    assert connection.get(batches.marker_key("emails")) is None
    assert Queue(DEFAULT_QUEUE, connection=connection).count == 0
    # One release job for the holds' 5-second step of expiry times, scheduled then.
    with transaction() as s:
        expiries = set(s.scalars(select(Booking.expires_at).where(Booking.id.in_(ids))))
    registry = Queue(DEFAULT_QUEUE, connection=connection).scheduled_job_registry
    for expires_at in expiries:
        at = svc.hold_release_at(expires_at)
        assert expires_at < at <= expires_at + timedelta(seconds=svc.HOLD_RELEASE_STEP)
        assert f"release-holds-{int(at.timestamp())}" in registry.get_job_ids()


def test_following_up_and_sending_twice_writes_and_sends_nothing_twice(client, redis_lists, outbox):
    connection = redis_lists
    (first, second, paid), auth = _holds(client, 3)
    pay_test(client, auth, paid)
    assert follow_up_holds([first, second, paid, 2**31 - 1]) == {
        first: "notified", second: "notified", paid: "skipped: booking is confirmed",
        2**31 - 1: "skipped: no such booking"}
    assert follow_up_holds([first, second]) == {first: "notified", second: "notified"}
    assert _notices(first) == _notices(second) == [("booking_created", "email", "pending"),
                                                   ("booking_created", "in_app", "sent")]
    assert {t for t, _c, _s in _notices(paid)} == {"booking_paid", "owner_new_booking"}  # no "pay by"

    emails = _items(connection, "emails")
    with transaction() as s:
        hold_emails = set(s.scalars(select(Notification.id).where(
            Notification.booking_id.in_([first, second]), Notification.channel == "email")))
    assert hold_emails <= set(emails)
    assert deliver_batch(emails) == {"sent": len(set(emails)), "retry": 0, "failed": 0}
    assert deliver_batch(emails) == {"sent": 0, "retry": 0, "failed": 0}  # a batch run twice
    assert all(deliver(notice_id).startswith("skipped") for notice_id in hold_emails)
    assert len(list(outbox.glob("*.eml"))) == len(set(emails))

    # An overdue hold gets no notice; its release job is scheduled at once.
    with transaction() as s:
        expires_at = s.get(Booking, first).expires_at
    late = expires_at + timedelta(seconds=1)
    outcome = run_use_case(lambda s, fx: svc.do_follow_up_holds(s, fx, [first], now=late))
    assert outcome == {first: "overdue: released"}


class _FakeSendGrid(BaseHTTPRequestHandler):
    statuses: list[int] = []
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        status = self.statuses.pop(0) if self.statuses else 202
        if status == 202:
            self.received.append(payload)
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"" if status == 202 else b'{"errors": [{"message": "no"}]}')

    def log_message(self, *args):
        pass


def test_an_email_that_fails_for_now_is_retried_on_its_own(client, redis_lists, monkeypatch):
    connection = redis_lists
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeSendGrid)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _FakeSendGrid.statuses, _FakeSendGrid.received = [503, 202, 400], []
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.test")
    monkeypatch.setenv("SENDGRID_API_BASE", f"http://127.0.0.1:{server.server_port}")
    get_settings.cache_clear()
    try:
        ids, _auth = _holds(client, 3)
        follow_up_holds(ids)
        emails = sorted(_items(connection, "emails"))
        assert len(emails) == 3
        # Sent in order of their ids: 503 (for now), 202, 400 (for good).
        assert deliver_batch(emails) == {"sent": 1, "retry": 1, "failed": 1}
        with transaction() as s:
            rows = {n.id: n for n in s.scalars(select(Notification).where(Notification.id.in_(emails)))}
            retried, sent, failed = (rows[i] for i in emails)
            assert (retried.status, retried.attempts) == ("pending", 1) and "503" in retried.last_error
            assert (sent.status, sent.attempts, sent.last_error) == ("sent", 1, None)
            assert (failed.status, failed.attempts) == ("failed", 1) and "400" in failed.last_error
        # The one that failed for now has a job of its own: in 10 s, then RQ's retries.
        registry = Queue(DEFAULT_QUEUE, connection=connection).scheduled_job_registry
        assert f"notification-{retried.id}" in registry.get_job_ids()
        job = Job.fetch(f"notification-{retried.id}", connection=connection)
        assert (job.func_name, job.args) == ("jobs.notifications.deliver", (retried.id,))
        assert job.retries_left == 4 and job.retry_intervals == [60, 300, 1800, 7200]
        assert deliver(retried.id) == "sent"
        assert deliver_batch(emails) == {"sent": 0, "retry": 0, "failed": 0}
        assert len(_FakeSendGrid.received) == 2  # each email once
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        server.shutdown()


def test_what_redis_loses_the_sweeps_find_again(client, redis_lists):
    connection = redis_lists
    (lost, other), _auth = _holds(client, 2)
    # Redis restarted without its data: the ids and the drain job are gone.
    connection.delete(batches.list_key("holds"), batches.marker_key("holds"))
    Queue(DEFAULT_QUEUE, connection=connection).empty()
    with transaction() as s:
        assert lost not in svc.holds_without_follow_up(s)  # under a minute old: may still come
        s.execute(text("UPDATE booking SET created_at = created_at - interval '2 minutes' WHERE id = :id"),
                  {"id": lost})
    with transaction() as s:
        found = svc.holds_without_follow_up(s)
    assert lost in found and other not in found
    assert follow_up_holds(found)[lost] == "notified"
    with transaction() as s:
        assert lost not in svc.holds_without_follow_up(s)
        # Past its expiry the hold is released by the sweep (as when its release job is lost).
        expires_at = s.get(Booking, lost).expires_at
    with UnitOfWork() as uow:
        assert svc.do_expire_holds(uow.session, uow.effects, now=expires_at + timedelta(seconds=1),
                                   booking_id=lost) == 1

    # The hold's email id was lost too: the email sweep queues it again after two minutes.
    with transaction() as s:
        [email_id] = s.scalars(select(Notification.id).where(
            Notification.booking_id == lost, Notification.type == "booking_created",
            Notification.channel == "email"))
    connection.delete(batches.list_key("emails"), batches.marker_key("emails"))
    Queue(DEFAULT_QUEUE, connection=connection).empty()
    now = datetime.now(timezone.utc)
    with UnitOfWork() as uow:
        do_requeue_lost_emails(uow.session, uow.effects, now=now)
        assert email_id not in uow.effects.batched.get("emails", [])  # too recent
    with UnitOfWork() as uow:
        # (No limit: the whole suite's database may hold over 1000 older unsent rows, taken first.)
        assert do_requeue_lost_emails(uow.session, uow.effects, now=now + timedelta(minutes=3), limit=10**6) >= 1
        assert email_id in uow.effects.batched["emails"]
    assert email_id in _items(connection, "emails")
    assert len(_drain_jobs(connection, "emails")) == 1


def test_a_drain_job_that_is_gone_or_done_is_replaced(client, redis_lists):
    connection = redis_lists
    ids, _auth = _holds(client, 1)
    [first] = _drain_jobs(connection, "holds")
    # Its job deleted with the queue: the next push queues a new one.
    Queue(DEFAULT_QUEUE, connection=connection).empty()
    more, _auth = _holds(client, 1)
    [second] = _drain_jobs(connection, "holds")
    assert second != first and connection.get(batches.marker_key("holds")).decode() == second
    assert _items(connection, "holds") == ids + more
    # Nothing pushed and no job at all: the cron's kick queues one.
    Queue(DEFAULT_QUEUE, connection=connection).empty()
    kick_all()
    [third] = _drain_jobs(connection, "holds")
    assert third not in (first, second)
    kick_all()  # one is queued: no second
    assert _drain_jobs(connection, "holds") == [third]
    # A drain job takes batches, refreshing its marker, and hands over after its time.
    assert [int(x) for x in batches.take(connection, "holds", 1, third)] == ids
    batches.handoff(connection, DEFAULT_QUEUE, "holds", third)
    [fourth] = [j for j in _drain_jobs(connection, "holds") if j != third]
    assert connection.get(batches.marker_key("holds")).decode() == fourth
    assert [int(x) for x in batches.take(connection, "holds", 5, fourth)] == more
    # Empty: the marker goes with the last look, so the next push queues a new job.
    assert batches.take(connection, "holds", 5, fourth) == []
    assert connection.get(batches.marker_key("holds")) is None
