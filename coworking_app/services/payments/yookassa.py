"""YooKassa (ЮKassa) through its official SDK: payments with a redirect confirmation,
capture, refunds, 54-FZ receipts, and HTTP notifications checked against the API.

Payments are created with `capture: true`: the money is taken as soon as the payer
confirms, and `payments.do_payment_succeeded` (one rule, under the booking's row lock)
keeps it or refunds it. A two-step capture would need a second copy of that rule at
`payment.waiting_for_capture`, which could disagree with the first by the time the
capture lands (the seats may be taken in between); a `waiting_for_capture` that arrives
anyway (a payment made with capture off) is captured and then decided by the same rule.

YooKassa signs nothing: a notification only names an object. Its status, amount,
currency and metadata are read from the API (`check_yookassa_notification`), and its
sender's address must be in YOOKASSA_NOTIFY_IPS when that is set.

The SDK keeps one configuration per process in class attributes (`Configuration.configure`,
with `api_url` for another base, the supported way to reach a local fake). It sends no
request timeout, so the calls go through a subclass of its client whose HTTP adapter
adds one.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import object_session
from sqlmodel import Session
from urllib3 import Retry
from yookassa import Configuration
from yookassa import Payment as SdkPayment
from yookassa import Refund as SdkRefund
from yookassa.client import ApiClient
from yookassa.domain.exceptions import ApiError, NotFoundError

from coworking_app import metrics
from coworking_app.effects import Effects
from coworking_app.services.common.errors import InvalidInput, PermissionDenied
from coworking_app.services.payments.charge import Charge, ReceiptItem
from coworking_app.services.payments.payments import (
    Checkout,
    ProviderError,
    charge_of,
    do_payment_failed,
    do_payment_succeeded,
)
from coworking_app.settings import Settings, get_settings
from models import Payment, PaymentStatus, Refund, WebhookEvent
from coworking_app.i18n import N_, tr

log = logging.getLogger(__name__)

API_BASE = "https://api.yookassa.ru/v3"
TIMEOUT = (5, 30)  # seconds: connect, read
RETRIES, RETRY_BACKOFF = 2, 0.5  # seconds before the 2nd retry (the 1st is at once)
UNREACHABLE = N_("платёжная система недоступна, попробуйте позже")

# vat_rate_bp -> vat_code for "full_payment" and for "full_prepayment" (the calculated
# rates 10/110, 20/120 ...), YooKassa's table "Коды ставок НДС" (54-FZ tag 1199). 0 is a
# seller without VAT ("без НДС"), not the 0 % export rate (code 2).
VAT_CODES: dict[int, tuple[int, int]] = {
    0: (1, 1), 500: (7, 9), 700: (8, 10), 1000: (3, 5), 2000: (4, 6), 2200: (11, 12),
}
ITEM_TEXT_MAX = 128  # a receipt item's description (tag 1030)
EVENTS = ("payment.succeeded", "payment.waiting_for_capture", "payment.canceled", "refund.succeeded")
_OBJECT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # the id goes into an API path


# --- the SDK's client, with a timeout and our retries -------------------------------------------------------


class _TimeoutAdapter(HTTPAdapter):
    def send(self, request, stream=False, timeout=None, **kwargs):
        return super().send(request, stream=stream, timeout=timeout or TIMEOUT, **kwargs)


class _Client(ApiClient):
    def get_session(self) -> requests.Session:
        """Our retry policy instead of the SDK's (3 retries with a 1.8 s back-off: 11 s on a
        refused connection): 2 retries, safe since every POST carries its idempotence key, of a
        connection that failed, a 202 ("still processing") and a 500 (YooKassa's advice:
        the outcome is unknown, repeat with the same key)."""
        session = requests.Session()
        retries = Retry(total=RETRIES, backoff_factor=RETRY_BACKOFF, allowed_methods=["GET", "POST"],
                        status_forcelist=[202, 500], raise_on_status=False)
        for prefix in ("https://", "http://"):
            session.mount(prefix, _TimeoutAdapter(max_retries=retries))
        return session


class _Payments(SdkPayment):
    def __init__(self) -> None:
        self.client = _Client()


class _Refunds(SdkRefund):
    def __init__(self) -> None:
        self.client = _Client()


def _call(operation: str, function: Callable[..., Any], *args: Any,
          message: str = UNREACHABLE) -> Any:
    """One SDK call; every failure becomes ProviderError (502) with a Russian message.
    NotFoundError passes through for the callers that ask whether an object exists."""
    try:
        with metrics.external_call("yookassa", operation):
            return function(*args)
    except NotFoundError:
        raise
    except ApiError as exc:  # YooKassa answered and refused
        log.warning("yookassa %s refused: %s", operation, exc.content)
        raise ProviderError(message) from exc
    except Exception as exc:  # the SDK reports a network error as AttributeError on None
        log.exception("yookassa %s failed", operation)
        raise ProviderError(message) from exc


# --- money and receipts ----------------------------------------------------------------------


def api_amount(minor: int, currency: str) -> dict[str, str]:
    """Minor units as YooKassa's amount: {"value": "1500.00", "currency": "RUB"}."""
    whole, cents = divmod(minor, 100)
    return {"value": f"{whole}.{cents:02d}", "currency": currency.upper()}


def minor_units(value: Any) -> int | None:
    """YooKassa's decimal amount back in minor units; None for anything else."""
    try:
        number = Decimal(str(value)) * 100
    except (InvalidOperation, ValueError, TypeError):
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number)


def vat_code(rate_bp: int, payment_mode: str) -> int:
    codes = VAT_CODES.get(rate_bp)
    if codes is None:
        raise ProviderError(tr("ставка НДС {value:g} % не поддерживается чеками ЮKassa (возможны 0, 5, 7, 10, 20 и 22 %)", value=rate_bp / 100))
    return codes[1] if payment_mode == "full_prepayment" else codes[0]


def receipt_of(*, email: str, items: tuple[ReceiptItem, ...], currency: str, payment_mode: str) -> dict:
    """A 54-FZ receipt: one service line per item (payments and refunds alike)."""
    return {
        "customer": {"email": email},
        "items": [{
            "description": item.text[:ITEM_TEXT_MAX],
            "quantity": "1",
            "amount": api_amount(item.minor, currency),
            "vat_code": vat_code(item.vat_rate_bp, payment_mode),
            "payment_subject": "service",
            "payment_mode": payment_mode,
        } for item in items],
    }


def receipt(*, email: str, text: str, minor: int, currency: str, rate_bp: int,
            payment_mode: str) -> dict:
    """A receipt of one service line for `minor`."""
    return receipt_of(email=email, items=(ReceiptItem(text, minor, rate_bp),), currency=currency,
                      payment_mode=payment_mode)


# --- the provider ----------------------------------------------------------------------------


class YooKassaProvider:
    """payments.PaymentProvider for YooKassa; also captures and reads objects back."""

    name = "yookassa"

    def __init__(self, shop_id: str, secret_key: str, api_base: str = "",
                 payment_mode: str = "full_payment") -> None:
        Configuration.configure(shop_id, secret_key, api_url=(api_base or API_BASE).rstrip("/"))
        self.payment_mode = payment_mode

    @classmethod
    def from_settings(cls, settings: Settings) -> "YooKassaProvider":
        if not (settings.yookassa_shop_id and settings.yookassa_secret_key):
            raise ProviderError(tr("ЮKassa не настроена: задайте YOOKASSA_SHOP_ID и YOOKASSA_SECRET_KEY"))
        return cls(settings.yookassa_shop_id, settings.yookassa_secret_key,
                   settings.yookassa_api_base, settings.yookassa_payment_mode)

    def create_checkout(self, *, payment: Payment, charge: Charge) -> Checkout:
        params = {
            "amount": api_amount(charge.total(payment), payment.currency),
            "capture": True,
            "confirmation": {"type": "redirect", "return_url": f"{get_settings().base_url}{charge.return_path}"},
            "description": charge.description[:ITEM_TEXT_MAX],
            "metadata": charge.metadata,
            "receipt": receipt_of(email=charge.email, items=charge.items_for(charge.total(payment)),
                                  currency=payment.currency, payment_mode=self.payment_mode),
        }
        answer = _call("payment_create", _Payments.create, params, payment.idempotency_key)
        url = answer.confirmation.confirmation_url if answer.confirmation else None
        return Checkout(session_id=answer.id, url=url or "", payment_intent=answer.id)

    def refund(self, *, payment: Payment, amount: int, idempotency_key: str) -> str:
        if not payment.provider_payment_id:
            raise ProviderError(tr("у платежа нет номера в ЮKassa, возврат невозможен"))
        # The interface passes rows, not the session: the charge is read through the payment's own.
        charge = charge_of(object_session(payment), payment)
        params = {
            "payment_id": payment.provider_payment_id,
            "amount": api_amount(amount, payment.currency),
            "description": charge.refund_text,
            "metadata": charge.metadata,
            "receipt": receipt_of(email=charge.email, items=charge.items_for(amount), currency=payment.currency,
                                  payment_mode=self.payment_mode),
        }
        answer = _call("refund_create", _Refunds.create, params, idempotency_key,
                       message=tr("возврат не прошёл: платёжная система недоступна"))
        if answer.status == "canceled":
            log.warning("yookassa refund %s canceled: %s", answer.id, answer.cancellation_details)
            raise ProviderError(tr("возврат не прошёл: ЮKassa отклонила его"))
        return answer.id

    def expire_checkout(self, session_id: str) -> None:
        """Nothing to do: YooKassa cancels only payments waiting for capture; a pending one
        lapses by itself, and a payment of a superseded amount is refunded."""
        return None

    def capture(self, payment: Payment, amount: int | None = None) -> dict:
        """Takes a payment waiting for capture (its whole amount: `amount` when it pays
        several rows, a series'); the API's payment."""
        answer = _call("payment_capture", _Payments.capture, payment.provider_payment_id,
                       {"amount": api_amount(amount or payment.amount_minor, payment.currency)},
                       f"capture-{payment.id}")
        return dict(answer)

    def find_payment(self, provider_id: str) -> dict | None:
        try:
            return dict(_call("payment_get", _Payments.find_one, provider_id))
        except NotFoundError:
            return None

    def find_refund(self, provider_id: str) -> dict | None:
        try:
            return dict(_call("refund_get", _Refunds.find_one, provider_id))
        except NotFoundError:
            return None

    def succeeded_since(self, kind: str, since: datetime) -> list[dict]:
        """Every succeeded payment (`kind` "payment") or refund ("refund") created since
        `since`, following `next_cursor` page by page (services/finance/reconciliation.py)."""
        sdk, operation = (_Payments, "payment_list") if kind == "payment" else (_Refunds, "refund_list")
        params = {"status": "succeeded", "limit": 100,
                  "created_at.gte": since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")}
        found: list[dict] = []
        while True:
            page = _call(operation, sdk.list, params, message=tr("ЮKassa недоступна: не удалось получить её записи"))
            found.extend(dict(item) for item in page.items or [])
            if not page.next_cursor:
                return found
            params = {**params, "cursor": page.next_cursor}


# --- notifications -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """A notification as the API confirms it: what the object really is now."""

    kind: str  # payment | refund
    object_id: str
    event: str  # the event the notification claimed
    found: dict | None = None  # the object as the API returns it; None: the API does not know it


def _allowed_sender(client_ip: str, networks: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    address = getattr(address, "ipv4_mapped", None) or address
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


def check_yookassa_notification(payload: bytes, client_ip: str) -> Notice:
    """The sender's address (YOOKASSA_NOTIFY_IPS, 403), the body (400), then the named
    object read from the API, whose word alone counts (502 when it cannot be asked)."""
    settings = get_settings()
    if settings.yookassa_notify_ips and not _allowed_sender(client_ip, settings.yookassa_notify_ips):
        raise PermissionDenied(tr("Уведомления ЮKassa принимаются только с её адресов"))
    if not (settings.yookassa_shop_id and settings.yookassa_secret_key):
        raise InvalidInput("body", tr("Уведомления ЮKassa не настроены"))
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("body", tr("Уведомление не в формате JSON")) from exc
    obj = body.get("object") if isinstance(body, dict) else None
    if (not isinstance(body, dict) or body.get("type") != "notification"
            or not isinstance(body.get("event"), str) or not isinstance(obj, dict)):
        raise InvalidInput("body", tr("Это не уведомление ЮKassa"))
    object_id = obj.get("id")
    if not isinstance(object_id, str) or not _OBJECT_ID.match(object_id):
        raise InvalidInput("object.id", tr("Некорректный номер объекта в уведомлении"))
    event = body["event"][:80]
    kind = event.partition(".")[0]
    if event not in EVENTS:
        return Notice(kind=kind, object_id=object_id, event=event)
    provider = YooKassaProvider.from_settings(settings)
    found = provider.find_payment(object_id) if kind == "payment" else provider.find_refund(object_id)
    return Notice(kind=kind, object_id=object_id, event=event, found=found)


def _remember(session: Session, key: str, kind: str) -> bool:
    """True the first time this (event, object) is applied (WebhookEvent's primary key)."""
    return session.execute(
        insert(WebhookEvent).values(id=key[:255], provider="yookassa", type=kind[:80])
        .on_conflict_do_nothing(index_elements=["id"]).returning(WebhookEvent.id)
    ).first() is not None


def do_handle_yookassa_notification(session: Session, effects: Effects, notice: Notice, *,
                                    now: datetime | None = None) -> str:
    """Applies what the API said about the notified object, once per object and status.
    Returns what happened ("paid", "duplicate", "not_confirmed", ...)."""
    if notice.event not in EVENTS:
        return "ignored"
    if notice.found is None:
        log.warning("yookassa notification %s for %s, which the API does not know",
                    notice.event, notice.object_id)
        return f"unknown_{notice.kind}"
    if notice.kind == "refund":
        return _apply_refund(session, notice.found)
    return _apply_payment(session, effects, notice.found, now=now)


def _apply_payment(session: Session, effects: Effects, found: dict, *, now: datetime | None) -> str:
    status = str(found.get("status") or "")
    if status not in ("succeeded", "waiting_for_capture", "canceled"):
        return "not_confirmed"  # still pending: the notification was early, or forged
    provider_id = str(found["id"])
    # One row, or a series' rows sharing the payment (the first is the one in its metadata).
    rows = list(session.scalars(select(Payment).where(
        Payment.provider == YooKassaProvider.name, Payment.provider_payment_id == provider_id)
        .order_by(Payment.id).with_for_update()))
    if not rows:
        log.warning("yookassa payment %s is not one of ours", provider_id)
        return "unknown_payment"
    payment, total = rows[0], sum(row.amount_minor for row in rows)
    if not _remember(session, f"payment.{status}:{provider_id}", f"payment.{status}"):
        return "duplicate"
    money = found.get("amount") or {}
    if (minor_units(money.get("value")) != total
            or str(money.get("currency", "")).upper() != payment.currency
            or str((found.get("metadata") or {}).get("payment_id")) != str(payment.id)):
        log.error("yookassa payment %s does not match our payment %s", provider_id, payment.id)
        return "amount_mismatch"
    if status == "canceled":
        reason = (found.get("cancellation_details") or {}).get("reason") or "canceled"
        for row in rows:
            do_payment_failed(session, row, f"yookassa: {reason}")
        return "failed"
    if status == "waiting_for_capture":
        if payment.status == PaymentStatus.succeeded.value:
            return "paid"
        found = YooKassaProvider.from_settings(get_settings()).capture(payment, total)
        if found.get("status") != "succeeded":
            return "not_confirmed"
    for row in rows:
        do_payment_succeeded(session, effects, row, provider_payment_id=provider_id, now=now)
    return "paid"


def _apply_refund(session: Session, found: dict) -> str:
    status = str(found.get("status") or "")
    refund = session.scalars(select(Refund).where(
        Refund.provider_refund_id == str(found["id"])).with_for_update()).first()
    if refund is None:  # made in YooKassa's own dashboard: reconciliation's business
        log.warning("yookassa refund %s is not one of ours", found["id"])
        return "unknown_refund"
    if status != "succeeded":
        if status == "canceled":
            log.error("yookassa refund %s (our %s) was canceled", found["id"], refund.id)
            return "refund_canceled"
        return "not_confirmed"
    if not _remember(session, f"refund.succeeded:{found['id']}", "refund.succeeded"):
        return "duplicate"
    refund.status = "succeeded"
    return "refund_confirmed"
