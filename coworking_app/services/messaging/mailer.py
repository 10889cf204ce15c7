"""Sending email: SendGrid when SENDGRID_API_KEY is set, SMTP when SMTP_HOST is set, else
a file outbox (`var/outbox/*.eml`, the development default). One small adapter each; the
delivery job (jobs/notifications.py) decides about retries from the error class."""

from __future__ import annotations

import base64
import smtplib
import socket
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from coworking_app.settings import get_settings


class MailError(Exception):
    """Sending failed for good (a bad address, a refused key): not retried."""


class TransientMailError(MailError):
    """Sending failed for now (5xx, timeout, connection refused): retried with backoff."""


@dataclass
class Attachment:
    filename: str
    content: bytes
    mime: str = "application/pdf"


@dataclass
class Mail:
    to: str
    subject: str
    text: str
    html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # e.g. List-Unsubscribe

    def as_email(self, sender: str) -> EmailMessage:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, self.to, self.subject
        message["Date"] = format_datetime(datetime.now(timezone.utc))
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
        for name, value in self.headers.items():
            message[name] = value
        message.set_content(self.text)
        if self.html:
            message.add_alternative(self.html, subtype="html")
        for item in self.attachments:
            main, _, sub = item.mime.partition("/")
            message.add_attachment(item.content, maintype=main, subtype=sub, filename=item.filename)
        return message


def file_outbox() -> Path | None:
    """The folder mail is written to when no transport is configured (development:
    var/outbox, one .eml per mail); None when mail really goes out."""
    settings = get_settings()
    if settings.sendgrid_api_key or settings.smtp_host:
        return None
    return Path(settings.mail_outbox_dir)


def send(mail: Mail) -> str:
    """Sends one mail through the configured transport; returns where it went."""
    if file_outbox() is not None:
        return _send_file(mail)
    if get_settings().sendgrid_api_key:
        return _send_sendgrid(mail)
    return _send_smtp(mail)


def _send_file(mail: Mail) -> str:
    settings = get_settings()
    outbox = file_outbox()
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    path = outbox / f"{stamp}-{abs(hash((mail.to, mail.subject))) % 10**8:08d}.eml"
    path.write_bytes(bytes(mail.as_email(settings.mail_from)))
    return f"file:{path}"


def _send_smtp(mail: Mail) -> str:
    settings = get_settings()
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(mail.as_email(settings.mail_from))
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"recipient refused: {exc}") from exc
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise TransientMailError(f"SMTP {exc.smtp_code}") from exc
        raise MailError(f"SMTP {exc.smtp_code}") from exc
    except (smtplib.SMTPException, OSError, socket.timeout) as exc:
        raise TransientMailError(f"SMTP: {exc}") from exc
    return f"smtp:{settings.smtp_host}"


def _send_sendgrid(mail: Mail) -> str:
    from python_http_client.exceptions import HTTPError
    from sendgrid import SendGridAPIClient
    from sendgrid.helpers.mail import (
        Attachment as SgAttachment,
        Disposition,
        FileContent,
        FileName,
        FileType,
        Header,
        Mail as SgMail,
    )

    settings = get_settings()
    message = SgMail(from_email=settings.mail_from, to_emails=mail.to, subject=mail.subject,
                     plain_text_content=mail.text, html_content=mail.html or None)
    for name, value in mail.headers.items():
        message.add_header(Header(name, value))
    for item in mail.attachments:
        message.add_attachment(SgAttachment(
            FileContent(base64.b64encode(item.content).decode()), FileName(item.filename),
            FileType(item.mime), Disposition("attachment")))
    client = SendGridAPIClient(settings.sendgrid_api_key,
                               host=settings.sendgrid_api_base or "https://api.sendgrid.com")
    try:
        response = client.send(message)
    except HTTPError as exc:
        status = getattr(exc, "status_code", 0) or 0
        if status >= 500 or status == 429:
            raise TransientMailError(f"SendGrid {status}") from exc
        raise MailError(f"SendGrid {status}") from exc
    except (OSError, TimeoutError) as exc:
        raise TransientMailError(f"SendGrid: {exc}") from exc
    return f"sendgrid:{response.status_code}"
