"""Background work around bookings: hold expiry by a real RQ worker with its scheduler,
receipt and credit-note PDFs, and calendar files (.ics and the private feed)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from urllib.parse import urlparse

import pytest
from icalendar import Calendar
from pypdf import PdfReader
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select

from coworking_app.db import get_rq_redis
from coworking_app.services.booking import bookings as svc
from coworking_app.services.payments.documents import money
from coworking_app.settings import get_settings
from coworking_app.uow import run_use_case
from jobs import DEFAULT_QUEUE
from jobs.booking import render_credit_note, render_receipt
from models import Booking, Document, Notification, Refund, User
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, pay_test
from tests.conftest import ROOT, TEST_ENV
from tests.uow_helpers import transaction


def _clean_queue() -> Queue:
    """Nothing queued or scheduled from earlier tests, and no stale scheduler lock."""
    queue = Queue(DEFAULT_QUEUE, connection=get_rq_redis())
    queue.empty()
    registry = queue.scheduled_job_registry
    for job_id in registry.get_job_ids():
        registry.remove(job_id, delete_job=True)
    get_rq_redis().delete(f"rq:scheduler-lock:{DEFAULT_QUEUE}")
    return queue


@pytest.fixture()
def short_hold(monkeypatch):
    monkeypatch.setenv("BOOKING_HOLD_SECONDS", "5")  # long enough to see the hold first on a busy machine
    get_settings.cache_clear()
    assert get_settings().booking_hold_seconds == 5
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture()
def rq_worker():
    """start() launches `rq worker --with-scheduler default` on the test Redis with the test
    environment; it is stopped (warm shutdown, then killed if need be) after the test."""
    procs: list[tuple[subprocess.Popen, object]] = []

    def start() -> subprocess.Popen:
        env = {**os.environ, **{key: os.environ.get(key, value) for key, value in TEST_ENV.items()},
               "PYTHONPATH": str(ROOT)}
        log = tempfile.TemporaryFile()
        proc = subprocess.Popen(
            # As `make run` and docker-compose start it: jobs run in the worker process.
            [sys.executable, "-m", "rq.cli", "worker", "-w", "rq.worker.SimpleWorker",
             "--url", get_settings().rq_redis_url, "--with-scheduler", DEFAULT_QUEUE],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        procs.append((proc, log))
        proc.log = log  # read by _worker_output when a test fails
        return proc

    yield start
    for proc, log in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        log.close()
    _clean_queue()


def _worker_output(proc: subprocess.Popen) -> str:
    proc.log.seek(0)
    return proc.log.read().decode(errors="replace")[-3000:]


def notices(booking_id: int) -> list[tuple[str, str]]:
    with transaction() as s:
        return sorted(s.execute(select(Notification.type, Notification.channel)
                                .where(Notification.booking_id == booking_id)).all())


def test_unpaid_hold_is_expired_by_the_rq_scheduler(client, short_hold, rq_worker):
    queue = _clean_queue()
    b = make_bookable()
    _uid, auth = signed_in()
    day = in_days(2)
    # The worker is up before the hold starts: on a loaded machine its start-up alone can
    # take longer than the 5 s hold, and a hold that expired first gets no "pay by" notice.
    worker = rq_worker()
    deadline = time.monotonic() + 60
    while not Worker.all(queue=queue) and time.monotonic() < deadline:
        assert worker.poll() is None, f"the RQ worker exited:\n{_worker_output(worker)}"
        time.sleep(0.1)
    r = client.post(f"{API}/bookings", headers=auth,
                    json=body(b.desk_id, local(day, 10), local(day, 12), seats=3))
    assert r.status_code == 201, r.text
    booking_id = r.json()["id"]

    def desk_free() -> set[int]:
        r = client.get(f"{API}/spaces/{b.space_id}/availability",
                       params={"date": day.isoformat(), "resource_id": b.desk_id})
        assert r.status_code == 200, r.text
        slots = r.json()["resources"][0]["slots"]
        return {s["free_seats"] for s in slots if local(day, 10) <= _at(s["start"]) < local(day, 12)}

    # The hold keeps 3 seats while it lasts (checked at once: on a loaded machine the worker
    # may take longer than the 5 s hold to write its follow-up).
    assert desk_free() == {7}
    # The request pushed the hold onto the batched "holds" list; the worker's drain job
    # writes the notice and schedules the release job of the hold's 5-second step of
    # expiry times.
    release_id = f"release-holds-{int(svc.hold_release_at(_at(r.json()['expires_at'])).timestamp())}"
    deadline = time.monotonic() + 20
    while not Job.exists(release_id, connection=get_rq_redis()) and time.monotonic() < deadline:
        assert worker.poll() is None, f"the RQ worker exited:\n{_worker_output(worker)}"
        time.sleep(0.1)
    assert Job.exists(release_id, connection=get_rq_redis()), _worker_output(worker)


    deadline = time.monotonic() + 20
    status = None
    while time.monotonic() < deadline:
        status = client.get(f"{API}/bookings/{booking_id}", headers=auth).json()["status"]
        if status == "expired":
            break
        assert worker.poll() is None, f"the RQ worker exited:\n{_worker_output(worker)}"
        time.sleep(0.25)
    assert status == "expired", f"still {status!r} after 20 s:\n{_worker_output(worker)}"
    # It was the scheduled release job that did it (with any other overdue hold).
    # (Only the worker runs here: no cron sweep, and a desk booking is never expired inline.)
    try:
        job = Job.fetch(release_id, connection=get_rq_redis())
    except NoSuchJobError:
        job = None  # already cleaned up by RQ; the history row below still names the system
    if job is not None:
        while job.get_status() != JobStatus.FINISHED and time.monotonic() < deadline:
            time.sleep(0.1)
        assert job.get_status() == JobStatus.FINISHED and job.return_value() >= 1

    with transaction() as s:
        events = svc.list_events(s, s.get(Booking, booking_id))
        last = events[-1]
        assert (last.action, last.to_status, last.actor_role, last.actor_id) == (
            "expire", "expired", "system", None)
    assert desk_free() == {10}
    assert notices(booking_id) == [("booking_created", "email"), ("booking_created", "in_app"),
                                   ("booking_hold_expired", "email"), ("booking_hold_expired", "in_app")]
    view = client.get(f"{API}/bookings/{booking_id}", headers=auth).json()
    assert "pay" not in view["actions"] and "cancel" not in view["actions"]
    assert client.post(f"{API}/bookings/{booking_id}/pay", headers=auth).status_code == 409


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_receipts_and_credit_notes(client):
    _clean_queue()
    b = make_bookable(name="Коворкинг «Тест»")
    renter_id, auth = signed_in()
    day = in_days(3)
    # Meeting room 1.5 h (2 250.00) + parking 1.5 h (150.00) = 2 400.00 RUB.
    payload = body(b.room_id, local(day, 10), local(day, 11, 30),
                   addons=[{"code": "parking", "quantity": 1}])
    first = client.post(f"{API}/bookings", headers=auth, json=payload).json()
    assert first["price"]["total"] == 240000
    payload = body(b.room_id, local(day, 14), local(day, 15, 30),
                   addons=[{"code": "parking", "quantity": 1}])
    second = client.post(f"{API}/bookings", headers=auth, json=payload).json()
    # No receipt before payment.
    assert render_receipt(first["id"]) is None
    assert client.get(f"{API}/bookings/{first['id']}/receipt.pdf", headers=auth).status_code == 404
    pay_test(client, auth, first["id"])
    pay_test(client, auth, second["id"])

    n1 = render_receipt(first["id"])
    n2 = render_receipt(second["id"])
    assert n2 == n1 + 1  # gap-free numbering
    assert render_receipt(first["id"]) == n1  # nothing new paid: the same receipt

    r = client.get(f"{API}/bookings/{first['id']}/receipt.pdf", headers=auth)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert f"receipt-R-{n1:06d}.pdf" in r.headers["content-disposition"]
    text = _pdf_text(r.content)
    assert money(240000, "RUB") == "2 400.00 RUB"
    assert "2 400.00 RUB" in text
    assert "Коворкинг «Тест»" in text
    assert f"R-{n1:06d}" in text
    assert "Переговорная «Альфа»" in text
    # Another renter cannot fetch it.
    _other, other_auth = signed_in()
    assert client.get(f"{API}/bookings/{first['id']}/receipt.pdf",
                      headers=other_auth).status_code == 404

    # The owner cancels: full refund, and a credit note for it.
    owner = headers_for(b.owner_id)
    r = client.post(f"{API}/bookings/{second['id']}/cancel", headers=owner,
                    json={"reason": "ремонт"})
    assert r.json() == {"status": "cancelled", "refund": {"amount": 240000, "currency": "RUB"}}
    with transaction() as s:
        (refund_id,) = s.scalars(select(Refund.id).where(Refund.booking_id == second["id"])).all()
    number = render_credit_note(refund_id)
    assert render_credit_note(refund_id) == number
    with transaction() as s:
        document = s.scalars(select(Document).where(Document.refund_id == refund_id)).one()
        doc_id, doc_number, pdf = document.id, document.number, document.pdf
    assert doc_number == number
    text = _pdf_text(pdf)
    assert "2 400.00 RUB" in text and f"CN-{number:06d}" in text and "отмена (100 %)" in text
    view = client.get(f"{API}/bookings/{second['id']}", headers=auth).json()
    assert view["credit_notes"] == [refund_id]
    r = client.get(f"{API}/bookings/{second['id']}/credit-notes/{refund_id}.pdf", headers=auth)
    assert r.status_code == 200 and r.content == pdf
    # Another booking's refund id under this booking's URL: not found.
    assert client.get(f"{API}/bookings/{first['id']}/credit-notes/{refund_id}.pdf",
                      headers=auth).status_code == 404

    # A renter cancelling 3 h before the start (flexible policy) gets half back.
    third = client.post(f"{API}/bookings", headers=auth,
                        json=body(b.desk_id, local(day, 10), local(day, 12))).json()
    pay_test(client, auth, third["id"])
    _booking, amount = run_use_case(lambda s, fx: svc.do_cancel_booking(
        s, fx, s.get(User, renter_id), third["id"], now=local(day, 10) - timedelta(hours=3)))
    assert amount == 30000
    with transaction() as s:
        (refund_id,) = s.scalars(select(Refund.id).where(Refund.booking_id == third["id"])).all()
    number = render_credit_note(refund_id)
    with transaction() as s:
        pdf = s.scalars(select(Document.pdf).where(Document.refund_id == refund_id)).one()
    assert money(30000, "RUB") in _pdf_text(pdf) and "300.00 RUB" in _pdf_text(pdf)


def test_calendar_file_and_private_feed(client):
    tz = "Asia/Novosibirsk"
    b = make_bookable(timezone=tz)
    user_id, auth = signed_in()
    day = in_days(3, tz)
    booking = client.post(f"{API}/bookings", headers=auth,
                          json=body(b.desk_id, local(day, 10, tz=tz), local(day, 12, tz=tz))).json()
    dropped = client.post(f"{API}/bookings", headers=auth,
                          json=body(b.desk_id, local(day, 14, tz=tz), local(day, 15, tz=tz))).json()
    assert client.post(f"{API}/bookings/{dropped['id']}/cancel", headers=auth).status_code == 200

    r = client.get(f"{API}/bookings/{booking['id']}.ics", headers=auth)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking['id']}@coworking"
    assert event["DTSTART"].params["TZID"] == tz
    start = event.decoded("DTSTART")
    assert start == local(day, 10, tz=tz) and start.utcoffset() == timedelta(hours=7)
    assert event.decoded("DTEND") - start == timedelta(hours=2)
    assert [str(c["TZID"]) for c in cal.walk("VTIMEZONE")] == [tz]
    _other, other_auth = signed_in()
    assert client.get(f"{API}/bookings/{booking['id']}.ics", headers=other_auth).status_code == 404
    assert client.get(f"{API}/bookings/{booking['id']}.ics").status_code == 401

    assert client.get(f"{API}/me/calendar").status_code == 401
    r = client.get(f"{API}/me/calendar", headers=auth)
    assert r.status_code == 200, r.text
    path = urlparse(r.json()["url"]).path
    assert path.startswith(f"{API}/calendar/{user_id}-") and path.endswith(".ics")
    r = client.get(path)  # no Authorization: the secret URL is the credential
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    feed = Calendar.from_ical(r.content)
    uids = [str(e["UID"]) for e in feed.walk("VEVENT")]
    assert uids == [f"booking-{booking['id']}@coworking"]  # the cancelled one is left out
    token = path.rsplit("-", 1)[1].removesuffix(".ics")
    assert client.get(f"{API}/calendar/{user_id}-{'0' * len(token)}.ics").status_code == 404
    assert client.get(f"{API}/calendar/{_other}-{token}.ics").status_code == 404
    assert client.get(f"{API}/calendar/{user_id}.ics").status_code == 404
