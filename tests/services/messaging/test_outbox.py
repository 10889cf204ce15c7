"""Account mail (services/messaging/outbox.py): the email row is written with the change that needs
it, its delivery job is queued only once that change commits, and the mail goes out even
to a person who muted email notices. The transports themselves: test_notifications.py."""

from __future__ import annotations

import email
from contextlib import contextmanager
from email import policy

import pytest
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select

from coworking_app.db import get_rq_redis
from coworking_app.services.messaging import outbox
from coworking_app.services.messaging.mailer import Mail
from coworking_app.settings import get_settings
from coworking_app.uow import UnitOfWork
from models import Notification, User
from tests.booking_auth import signed_in


@contextmanager
def _work():
    """One unit of work, as an adapter runs a use case: (session, effects), committed on
    success (then its effects sent), rolled back on an error."""
    with UnitOfWork() as uow:
        yield uow.session, uow.effects


@pytest.fixture()
def mailbox(world, monkeypatch, tmp_path):
    """Mail as .eml files in a folder of this test (no SendGrid or SMTP configured)."""
    settings = get_settings()
    for name in ("sendgrid_api_key", "smtp_host"):
        monkeypatch.setattr(settings, name, "")
    monkeypatch.setattr(settings, "mail_outbox_dir", str(tmp_path))
    get_rq_redis().flushdb()
    return tmp_path


def _queue(user_id: int, kind: str = "password_reset") -> int:
    with _work() as (s, fx):
        row = outbox.do_queue_email(s, fx, s.get(User, user_id), subject="Сброс пароля",
                                    body="Ссылка для сброса: http://localhost:3000/reset?token=abc", kind=kind)
        return row.id


def test_the_mail_is_queued_after_commit_and_delivered_once(mailbox):
    user_id = signed_in()[0]
    notice_id = _queue(user_id)
    with _work() as (s, fx):
        row = s.get(Notification, notice_id)
        assert (row.channel, row.status, row.type, row.title) == ("email", "pending", "password_reset", "Сброс пароля")
    job = Job.fetch(f"notification-{notice_id}", connection=get_rq_redis())
    assert (job.func_name, job.args) == ("jobs.notifications.deliver", (notice_id,))
    assert job.retries_left == 5 and job.retry_intervals == [10, 60, 300, 1800, 7200]

    assert job.perform() == "sent"
    assert job.perform() == "skipped: already sent"  # a job run twice sends one mail
    [sent] = list(mailbox.glob("*.eml"))
    message = email.message_from_bytes(sent.read_bytes(), policy=policy.default)
    with _work() as (s, fx):
        assert message["To"] == s.get(User, user_id).email
        assert s.get(Notification, notice_id).status == "sent"
    assert message["Subject"] == "Сброс пароля"
    assert "reset?token=abc" in message.get_body(("plain",)).get_content()


def test_a_rolled_back_change_leaves_no_mail_and_no_job(mailbox):
    user_id = signed_in()[0]
    notice_ids = []
    with pytest.raises(RuntimeError), _work() as (s, fx):
        row = outbox.do_queue_email(s, fx, s.get(User, user_id), subject="Подтвердите адрес", body="…",
                                    kind="email_verification")
        notice_ids.append(row.id)
        raise RuntimeError("the change that needed the mail failed")
    [notice_id] = notice_ids
    with _work() as (s, fx):
        assert s.get(Notification, notice_id) is None
    with pytest.raises(NoSuchJobError):
        Job.fetch(f"notification-{notice_id}", connection=get_rq_redis())


def test_security_mail_reaches_a_person_who_muted_email_notices(mailbox):
    user_id = signed_in()[0]
    with _work() as (s, fx):
        s.get(User, user_id).notification_prefs = {"email": False, "in_app": True}
    notice_id = _queue(user_id)
    assert Job.fetch(f"notification-{notice_id}", connection=get_rq_redis()).perform() == "sent"
    assert len(list(mailbox.glob("*.eml"))) == 1
    with _work() as (s, fx):  # each mail its own row: two resets are two mails
        second = _queue(user_id)
        keys = s.scalars(select(Notification.dedupe_key).where(Notification.id.in_([notice_id, second]))).all()
        assert len(set(keys)) == 2


def test_a_line_break_in_a_subject_never_becomes_a_header_of_its_own():
    """The fast MIME writer hands anything with a line break to the email package, which
    refuses it: no Bcc smuggled in through a space name in a subject."""
    mail = Mail(to="renter@example.com", subject="Бронь\nBcc: thief@example.com", text="текст")
    assert not mail.ascii_envelope("CoSpace <noreply@cospace.ru>")
    with pytest.raises(ValueError):
        mail.as_bytes("CoSpace <noreply@cospace.ru>")
    plain = Mail(to="renter@example.com", subject="Бронь подтверждена", text="текст").as_bytes(
        "CoSpace <noreply@cospace.ru>")
    headers = plain.split(b"\n\n", 1)[0].decode()
    assert "Bcc" not in headers and headers.count("Subject:") == 1
