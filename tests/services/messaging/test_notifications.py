"""Notifications: written with the booking change, delivered by a real RQ worker to the
file outbox, SendGrid (a local fake server) or SMTP (a local aiosmtpd server)."""

from __future__ import annotations

import email
import json
import threading
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rq import Queue
from sqlalchemy import select

from coworking_app.db import get_rq_redis
from coworking_app.services.messaging import notifications as svc, templates
from coworking_app.services.messaging.mailer import TransientMailError
from coworking_app.settings import get_settings
from coworking_app.uow import UnitOfWork, run_use_case
from jobs.booking import hold_created
from jobs.notifications import deliver
from models import Notification, User
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, pay_test
from tests.mail_helpers import burst_worker
from tests.uow_helpers import transaction


def _rows(booking_id: int) -> list[Notification]:
    with transaction() as s:
        return list(s.scalars(select(Notification).where(Notification.booking_id == booking_id)
                              .order_by(Notification.id)))


def test_paying_gives_one_in_app_notice_and_one_email_with_the_receipt(client, world, outbox):
    Queue("default", connection=get_rq_redis()).empty()
    b = make_bookable(name="Коворкинг «Почта»")
    renter_id, auth = signed_in()
    day = in_days(3)
    r = client.post(f"{API}/bookings", headers=auth, json=body(b.desk_id, local(day, 10), local(day, 12), 1))
    booking_id = r.json()["id"]
    assert _rows(booking_id) == []  # the hold's notice is the follow-up job's
    assert hold_created(booking_id) == "notified"
    pay_test(client, auth, booking_id)

    rows = _rows(booking_id)
    paid = [n for n in rows if n.type == "booking_paid"]
    assert sorted(n.channel for n in paid) == ["email", "in_app"]
    assert [n.type for n in rows if n.user_id == b.owner_id and n.channel == "in_app"] == ["owner_new_booking"]
    feed = client.get(f"{API}/notifications", headers=auth).json()
    assert feed["unread"] == 2 and feed["items"][0]["title"] == f"Бронь № {booking_id} оплачена"

    burst_worker({"MAIL_OUTBOX_DIR": str(outbox)})
    mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in outbox.glob("*.eml")]
    with transaction() as s:
        renter_email = s.get(User, renter_id).email
    paid_mails = [m for m in mails if m["To"] == renter_email and "оплачена" in m["Subject"]]
    assert len(paid_mails) == 1
    text = paid_mails[0].get_body(("plain",)).get_content()
    assert "Коворкинг «Почта»" in text
    [pdf] = [part for part in paid_mails[0].iter_attachments()]
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content().startswith(b"%PDF")
    assert all(n.status == "sent" for n in _rows(booking_id) if n.channel == "email")
    # Running the delivery again sends nothing more.
    for n in _rows(booking_id):
        if n.channel == "email":
            assert deliver(n.id).startswith("skipped")
    assert len(list(outbox.glob("*.eml"))) == len(mails)

    # Read one, then all.
    first = feed["items"][0]["id"]
    assert client.post(f"{API}/notifications/{first}/read", headers=auth).json() == {"unread": 1}
    assert client.post(f"{API}/notifications/read-all", headers=auth).json() == {"unread": 0}
    other = headers_for(b.owner_id)
    assert client.post(f"{API}/notifications/{first}/read", headers=other).status_code == 404


def test_hold_notice_follows_the_hold_and_is_skipped_once_paid(client, world):
    b = make_bookable()
    _renter, auth = signed_in()
    day = in_days(3)
    first = client.post(f"{API}/bookings", headers=auth,
                        json=body(b.desk_id, local(day, 10), local(day, 11), 1)).json()["id"]
    second = client.post(f"{API}/bookings", headers=auth,
                         json=body(b.desk_id, local(day, 12), local(day, 13), 1)).json()["id"]
    assert _rows(first) == [] and _rows(second) == []
    pay_test(client, auth, second)  # paid before its follow-up job ran

    assert hold_created(first) == "notified"
    assert hold_created(first) == "notified"  # run twice (a retried job): still one notice each
    assert sorted((n.type, n.channel) for n in _rows(first)) == [
        ("booking_created", "email"), ("booking_created", "in_app")]
    [in_app] = [n for n in _rows(first) if n.channel == "in_app"]
    assert in_app.title == f"Бронь № {first} ждёт оплаты" and "Оплатите до" in in_app.body
    assert hold_created(second) == "skipped: booking is confirmed"
    assert {n.type for n in _rows(second)} == {"booking_paid", "owner_new_booking"}


class _FakeSendGrid(BaseHTTPRequestHandler):
    statuses: list[int] = []
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        payload = json.loads(self.rfile.read(length))
        status = self.statuses.pop(0) if self.statuses else 202
        if status == 202:
            self.received.append(payload)
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"" if status == 202 else b'{"errors": [{"message": "try later"}]}')

    def log_message(self, *args):
        pass


def test_sendgrid_outage_is_retried_and_delivers_exactly_once(client, world, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeSendGrid)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _FakeSendGrid.statuses, _FakeSendGrid.received = [503], []
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.test")
    monkeypatch.setenv("SENDGRID_API_BASE", f"http://127.0.0.1:{server.server_port}")
    get_settings.cache_clear()
    try:
        b = make_bookable()
        _renter, auth = signed_in()
        day = in_days(3)
        r = client.post(f"{API}/bookings", headers=auth, json=body(b.desk_id, local(day, 10), local(day, 11), 1))
        hold_created(r.json()["id"])
        [row] = [n for n in _rows(r.json()["id"]) if n.channel == "email"]
        with pytest.raises(TransientMailError):
            deliver(row.id)  # 503: recorded, raised for RQ to retry
        with transaction() as s:
            failed_once = s.get(Notification, row.id)
            assert (failed_once.status, failed_once.attempts) == ("pending", 1)
            assert "503" in failed_once.last_error
        assert deliver(row.id) == "sent"  # the retry
        assert deliver(row.id).startswith("skipped")  # a duplicate job
        assert len(_FakeSendGrid.received) == 1
        sent = _FakeSendGrid.received[0]
        assert sent["subject"].startswith("Бронь №") and sent["personalizations"][0]["to"][0]["email"]
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        server.shutdown()


def test_muted_booking_email_still_reaches_the_cabinet(client, world):
    b = make_bookable()
    renter_id, auth = signed_in()
    r = client.put(f"{API}/me/notification-preferences", headers=auth,
                   json={"email": {"booking": False}, "in_app": {}, "offers": False})
    assert r.status_code == 200 and r.json()["email"]["booking"] is False
    assert r.json()["email"]["owner"] is True and r.json()["offers"] is False
    day = in_days(3)
    booking = client.post(f"{API}/bookings", headers=auth,
                          json=body(b.desk_id, local(day, 10), local(day, 11), 1)).json()
    hold_created(booking["id"])
    rows = [n for n in _rows(booking["id"]) if n.user_id == renter_id]
    assert [n.channel for n in rows] == ["in_app"]
    bad = client.put(f"{API}/me/notification-preferences", headers=auth, json={"email": "yes"})
    assert bad.status_code == 422 and "email" in bad.text


def test_rollback_writes_no_notice_and_dedupe_holds(world):
    b = make_bookable()
    renter_id, _auth = signed_in()
    with UnitOfWork() as uow:
        s, fx = uow.session, uow.effects
        user = s.get(User, renter_id)
        first = svc.do_notify(s, fx, user, "booking_confirmed", {"id": 1, "space": "X", "resource": "Y",
                                                                 "when": "завтра"}, dedupe="test-dedupe-1")
        again = svc.do_notify(s, fx, user, "booking_confirmed", {"id": 1, "space": "X", "resource": "Y",
                                                                 "when": "завтра"}, dedupe="test-dedupe-1")
        assert len(first) == 2 and again == []
    with pytest.raises(RuntimeError):
        with UnitOfWork() as uow:
            svc.do_notify(uow.session, uow.effects, uow.session.get(User, renter_id), "booking_confirmed",
                          {"id": 2, "space": "X", "resource": "Y", "when": "завтра"}, dedupe="test-dedupe-2")
            raise RuntimeError("the booking change failed")
    with transaction() as s:
        assert not s.scalars(select(Notification).where(Notification.dedupe_key.like("test-dedupe-2%"))).all()
    assert b.space_id


def test_english_users_get_english_mail():
    subject, text, html = templates.render("booking_cancelled", "en", {
        "id": 7, "space": "Loft <b>", "when": "tomorrow", "reason": "", "refund": "100 ₽",
        "link": "/cabinet/bookings"})
    assert subject == "Booking #7 cancelled" and "Refund: 100 ₽" in text
    assert "Loft &lt;b&gt;" in html  # escaped in HTML




def test_smtp_transport_delivers_through_a_local_server(client, world, monkeypatch):
    from aiosmtpd.controller import Controller

    class Inbox:
        messages: list[bytes] = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            self.messages.append(envelope.content)
            return "250 OK"

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    get_settings.cache_clear()
    try:
        b = make_bookable(name="Коворкинг «SMTP»")
        _renter, auth = signed_in()
        day = in_days(3)
        r = client.post(f"{API}/bookings", headers=auth, json=body(b.desk_id, local(day, 10), local(day, 11), 1))
        hold_created(r.json()["id"])
        [row] = [n for n in _rows(r.json()["id"]) if n.channel == "email"]
        assert deliver(row.id) == "sent"
        [raw] = inbox.messages
        mail = email.message_from_bytes(raw, policy=policy.default)
        assert "ждёт оплаты" in mail["Subject"]
        assert "Коворкинг «SMTP»" in mail.get_body(("plain",)).get_content()
        assert mail.get_body(("html",)) is not None
    finally:
        controller.stop()
        monkeypatch.undo()
        get_settings.cache_clear()


def test_reminders_are_scheduled_with_the_confirmation_and_cancelled_with_the_booking(client, world):
    from datetime import datetime, timedelta, timezone

    from jobs.notifications import remind

    registry = Queue("default", connection=get_rq_redis()).scheduled_job_registry
    b = make_bookable(hours={d: {"open": "00:00", "close": "24:00"}
                             for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    _renter, auth = signed_in()
    day = in_days(3)
    booking = client.post(f"{API}/bookings", headers=auth,
                          json=body(b.desk_id, local(day, 10), local(day, 11), 1)).json()
    ids = {f"reminder-{booking['id']}-24h", f"reminder-{booking['id']}-1h"}
    assert not ids & set(registry.get_job_ids())  # not before it is confirmed
    pay_test(client, auth, booking["id"])
    assert ids <= set(registry.get_job_ids())

    # The job itself: one reminder, once.
    start_iso = local(day, 10).astimezone(timezone.utc).isoformat()
    assert remind(booking["id"], "24h", start_iso) == "sent 2"
    assert remind(booking["id"], "24h", start_iso) == "sent 0"
    titles = [n["title"] for n in client.get(f"{API}/notifications", headers=auth).json()["items"]]
    assert f"Напоминание: бронь № {booking['id']} через 24 часа" in titles

    client.post(f"{API}/bookings/{booking['id']}/cancel", headers=auth)
    assert not ids & set(registry.get_job_ids())
    assert remind(booking["id"], "1h", start_iso) == "skipped: booking is cancelled"

    # Booked 30 minutes ahead: no 1-hour (nor 24-hour) reminder.
    now = datetime.now(timezone.utc)
    soon = (now + timedelta(minutes=30 + (30 - now.minute % 30) % 30)).replace(second=0, microsecond=0)
    late = client.post(f"{API}/bookings", headers=auth, json={
        "resource_id": b.desk_id, "start": soon.isoformat(), "end": (soon + timedelta(hours=1)).isoformat(),
        "seats": 1})
    assert late.status_code == 201, late.text
    pay_test(client, auth, late.json()["id"])
    assert not {f"reminder-{late.json()['id']}-1h", f"reminder-{late.json()['id']}-24h"} & set(registry.get_job_ids())


def test_a_completed_booking_asks_for_a_review(client, world):
    b = make_bookable()
    renter_id, auth = signed_in()
    day = in_days(2)
    booking = client.post(f"{API}/bookings", headers=auth,
                          json=body(b.desk_id, local(day, 10), local(day, 11), 1)).json()
    pay_test(client, auth, booking["id"])
    from coworking_app.services.booking.bookings import do_complete_past

    assert run_use_case(lambda s, fx: do_complete_past(s, fx, now=local(day, 12))) >= 1
    types = [n.type for n in _rows(booking["id"]) if n.user_id == renter_id and n.channel == "in_app"]
    assert types.count("booking_review_request") == 1


def test_offers_reach_only_opted_in_past_guests_and_unsubscribe_works(client, world, outbox):
    """An owner's offer goes to the space's own past guests who opted in (services/messaging/offers.py)."""
    from models import City
    from tests.admin_helpers import insert_booking

    b = make_bookable()  # a Moscow space
    with transaction() as s:
        moscow = s.scalars(select(City).where(City.slug == "moscow")).one().id
        spb = s.scalars(select(City).where(City.slug == "saint-petersburg")).one().id
    people = {}
    for name, prefs in {"opted_moscow": {"offers": True, "offers_city_id": moscow},
                        "opted_any": {"offers": True},
                        "opted_spb": {"offers": True, "offers_city_id": spb},
                        "not_opted": {"offers": False},
                        "opted_stranger": {"offers": True}}.items():
        user_id, auth = signed_in()
        r = client.put(f"{API}/me/notification-preferences", headers=auth,
                       json={"email": {}, "in_app": {}, **prefs})
        assert r.status_code == 200, r.text
        people[name] = (user_id, auth)
        if name != "opted_stranger":  # the others stayed at the space once
            last_week = in_days(-7)
            insert_booking(b, user_id, start=local(last_week, 10), end=local(last_week, 12), status="completed")
    owner = headers_for(b.owner_id)
    r = client.post(f"{API}/offers", headers=owner, json={
        "title": "Минус 20 % в декабре", "text": "Все открытые места со скидкой по будням.",
        "promo_code": "DEC20", "space_id": b.space_id})
    assert r.status_code == 201, r.text
    assert r.json()["recipients"] == 3

    def got_offer(name: str) -> bool:
        items = client.get(f"{API}/notifications", headers=people[name][1]).json()["items"]
        return any(i["type"] == "special_offer" for i in items)

    assert got_offer("opted_moscow") and got_offer("opted_any") and got_offer("opted_spb")
    assert not got_offer("not_opted") and not got_offer("opted_stranger")

    user_id = people["opted_moscow"][0]
    with transaction() as s:
        row = s.scalars(select(Notification).where(Notification.user_id == user_id,
                                                   Notification.type == "special_offer",
                                                   Notification.channel == "email")).one()
        link = row.payload["unsubscribe"]
    assert deliver(row.id) == "sent"
    [eml] = [p for p in outbox.glob("*.eml")
             if "Минус 20" in email.message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"]
             and email.message_from_bytes(p.read_bytes(), policy=policy.default)["List-Unsubscribe"]]
    mail = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert str(mail["List-Unsubscribe"]).strip() == f"<{link}>" and mail["List-Unsubscribe-Post"]
    assert "DEC20" in mail.get_body(("plain",)).get_content()

    # One click, no sign-in; a forged token changes nothing.
    path = link.split("/api/v1", 1)[1]
    assert client.get(f"{API}{path[:-3]}abc").status_code == 404
    r = client.get(f"{API}{path}")
    assert r.status_code == 200 and "отписались" in r.text
    prefs = client.get(f"{API}/me/notification-preferences", headers=people["opted_moscow"][1]).json()
    assert prefs["offers"] is False and prefs["email"]["booking"] is True
    # Renters cannot send offers; owners only for their own spaces.
    assert client.post(f"{API}/offers", headers=people["not_opted"][1], json={
        "title": "Спам", "text": "Очень выгодно, покупайте сейчас", "space_id": b.space_id}).status_code == 403
    other = make_bookable()
    assert client.post(f"{API}/offers", headers=headers_for(other.owner_id), json={
        "title": "Чужое", "text": "Предложение для чужого пространства", "space_id": b.space_id}).status_code == 404


def test_account_mail_goes_out_through_the_same_transports(client, world, outbox, clean_limits, make_user):
    from jobs.accounts import send_sign_up_mail
    from tests.account_helpers import sign_up_mail

    r = client.post(f"{API}/auth/register", json={"email": "mail-check@example.com",
                                                  "password": "Correct-Horse-42", "full_name": "Почтовый Тест"})
    assert r.status_code == 202, r.text
    request_id = sign_up_mail("mail-check@example.com").id
    assert send_sign_up_mail(request_id) == "sent"
    assert send_sign_up_mail(request_id) == "skipped: already sent"
    # A verification link of an account made at once (demo data, tests): a notification row.
    _id, address, _password = make_user()
    with transaction() as s:
        row_id = s.scalars(select(Notification.id).join(User, User.id == Notification.user_id).where(
            User.email == address, Notification.type == "verify_email")).one()
    assert deliver(row_id) == "sent"
    texts = {}
    for eml in outbox.glob("*.eml"):
        message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        texts[message["To"]] = message.get_body(("plain",)).get_content()
    assert "/signup/confirm?token=" in texts["mail-check@example.com"]
    assert "/verify-email?token=" in texts[address]


def test_password_change_and_a_new_device_are_announced(client, world, clean_limits, make_user):
    from datetime import timedelta

    from coworking_app.services.accounts.identity import ClientInfo
    from coworking_app.services.accounts.passwords import do_change_password
    from coworking_app.services.accounts.sessions import do_start_session

    user_id, _email, _password = make_user()
    with UnitOfWork() as uow:
        s, fx = uow.session, uow.effects
        user = s.get(User, user_id)
        user.created_at = user.created_at - timedelta(days=1)  # not a fresh sign-up
        do_start_session(s, fx, user, ClientInfo(ip="10.0.0.1", user_agent="Firefox on Linux"))
        do_start_session(s, fx, user, ClientInfo(ip="10.0.0.2", user_agent="Firefox on Linux"))  # same device
        do_change_password(s, fx, user, current_password="Correct-Horse-42", new_password="Another-Horse-43")
    with transaction() as s:
        types = [n.type for n in s.scalars(select(Notification).where(
            Notification.user_id == user_id, Notification.channel == "in_app"))]
    assert types.count("new_sign_in") == 1 and types.count("password_changed") == 1


def test_account_mail_follows_the_users_language(client, world, clean_limits, make_user):
    from tests.account_helpers import run_account_jobs, sign_up_mail

    user_id, address, _password = make_user()
    auth = headers_for(user_id)
    assert client.patch(f"{API}/me", headers=auth, json={"language": "en"}).status_code == 200
    assert client.post(f"{API}/auth/password-reset/request", json={"email": address}).status_code == 202
    run_account_jobs()
    with transaction() as s:
        subjects = list(s.scalars(select(Notification.title).join(User, User.id == Notification.user_id)
                                  .where(User.email == address, Notification.channel == "email")))
    assert "Reset your CoSpace password" in subjects and "Подтвердите email в CoSpace" in subjects
    # Someone signs up with the address: its owner is told, in their language.
    assert client.post(f"{API}/auth/register", json={"email": address, "password": "Correct-Horse-42",
                                                     "full_name": "Someone Else"}).status_code == 202
    assert sign_up_mail(address).subject == "Someone tried to sign up to CoSpace with your address"