"""A tiny local stand-in for the YooKassa API v3, enough for the real `yookassa` SDK.

Implements POST /v3/payments, GET /v3/payments/{id}, POST /v3/payments/{id}/capture and
/cancel, POST /v3/refunds, GET /v3/refunds/{id}, and the lists GET /v3/payments and
GET /v3/refunds (filters `status`, `created_at.gte`, `limit`; newest first, at most
`page_size` per page, `next_cursor` while more remain) with YooKassa's wire format: JSON both
ways, HTTP basic auth "<shop id>:<secret key>", amounts as decimal strings
({"value": "1500.00", "currency": "RUB"}), errors as {"type": "error", "code", ...}.
Idempotency as YooKassa documents it: every POST needs an `Idempotence-Key`; a request
repeating a key gets the saved answer again, the same key with another body gets 400.
Receipts (54-FZ) are checked as a shop with receipts switched on sees it: the customer's
email or phone, items whose amounts add up to the payment's, known vat codes, item texts
of at most 128 characters.

The payer is played by the test: `pay(id)` (succeeded, or waiting_for_capture for a
payment made with capture off), `decline(id)` (canceled); `outside_payment(amount)` is a
payment made without us (YooKassa's dashboard), `forget(id)` drops one. Failures are injected per path
prefix under /v3 (`fail("/refunds", 500)`, `fail("", 500)` for everything); like an outage before
YooKassa executed anything, they are not saved under the key.

    with FakeYooKassa() as fake:
        fake.api_url  # "http://127.0.0.1:<port>/v3" -> YOOKASSA_API_BASE
        fake.requests  # every request received, in order
"""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import parse_qsl
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SHOP_ID = "506751"
SECRET_KEY = "test_Fh8hUAVVBGUGbjmlzba6TB0iyUbos_lueTHE-axOwM0"
_AMOUNT = re.compile(r"^\d{1,10}\.\d{2}$")
_PAYMENT = re.compile(r"^/v3/payments/([^/]+)(/capture|/cancel)?$")
_REFUND = re.compile(r"^/v3/refunds/([^/]+)$")


@dataclass
class Recorded:
    method: str
    path: str
    body: dict
    raw_body: str
    idempotence_key: str | None
    authorization: str | None
    status: int = 0  # what was answered
    response: dict = field(default_factory=dict)
    replayed: bool = False
    query: dict = field(default_factory=dict)  # GET parameters


@dataclass
class _Failure:
    status: int
    times: int | None  # None = until healed


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _error(code: str, description: str, parameter: str | None = None) -> dict:
    body = {"type": "error", "id": str(uuid.uuid4()), "code": code, "description": description}
    if parameter:
        body["parameter"] = parameter
    return body


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _value(amount: Any) -> Decimal | None:
    if not isinstance(amount, dict) or not _AMOUNT.match(str(amount.get("value", ""))):
        return None
    if not re.match(r"^[A-Z]{3}$", str(amount.get("currency", ""))):
        return None
    return Decimal(amount["value"])


class FakeYooKassa:
    """Threaded fake YooKassa server on 127.0.0.1 and a free port."""

    def __init__(self, shop_id: str = SHOP_ID, secret_key: str = SECRET_KEY) -> None:
        self.credentials = "Basic " + base64.b64encode(f"{shop_id}:{secret_key}".encode()).decode()
        self.lock = threading.Lock()
        self._requests: list[Recorded] = []
        self._saved: dict[str, tuple[str, str, int, dict]] = {}  # key -> (path, body, status, answer)
        self._failures: dict[str, _Failure] = {}
        self.payments: dict[str, dict] = {}  # in the order made
        self.refunds: dict[str, dict] = {}
        self.page_size = 100  # YooKassa's largest `limit`; tests lower it to see several pages
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                fake._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True,
                                       kwargs={"poll_interval": 0.05})

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v3"

    def start(self) -> "FakeYooKassa":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> "FakeYooKassa":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- test controls ------------------------------------------------------------------------

    def fail(self, path: str = "", status: int = 500, *, times: int | None = None) -> None:
        """Answer `status` to requests whose path starts with /v3`path` ("" = all)."""
        with self.lock:
            self._failures["/v3" + path] = _Failure(status, times)

    def heal(self) -> None:
        with self.lock:
            self._failures.clear()

    @property
    def requests(self) -> list[Recorded]:
        with self.lock:
            return list(self._requests)

    def calls(self, method: str, path_prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    def payment(self, payment_id: str) -> dict:
        with self.lock:
            return json.loads(json.dumps(self.payments[payment_id]))

    def refund(self, refund_id: str) -> dict:
        with self.lock:
            return json.loads(json.dumps(self.refunds[refund_id]))

    def pay(self, payment_id: str) -> dict:
        """The payer confirms on YooKassa's page."""
        with self.lock:
            p = self.payments[payment_id]
            assert p["status"] == "pending", p["status"]
            p["paid"] = True
            p["payment_method"] = {"type": "bank_card", "id": payment_id, "saved": False,
                                   "card": {"first6": "555555", "last4": "4477"}}
            if p["_capture"]:
                self._succeed(p)
            else:
                p["status"] = "waiting_for_capture"
            return self._public(p)

    def decline(self, payment_id: str, reason: str = "insufficient_funds") -> dict:
        with self.lock:
            p = self.payments[payment_id]
            p.update(status="canceled", paid=False,
                     cancellation_details={"party": "payment_network", "reason": reason})
            return self._public(p)

    def tamper(self, payment_id: str, **changes: Any) -> None:
        """Change what the API says about a payment (e.g. another amount)."""
        with self.lock:
            self.payments[payment_id].update(changes)

    # --- the API ------------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length).decode("utf-8") if length else ""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        path, _, query = h.path.partition("?")
        record = Recorded(method=h.command, path=path,
                          body=body if isinstance(body, dict) else {}, raw_body=raw,
                          idempotence_key=h.headers.get("Idempotence-Key"),
                          authorization=h.headers.get("Authorization"),
                          query=dict(parse_qsl(query, keep_blank_values=True)))
        if body is None:
            status, answer, replayed = 400, _error("invalid_request", "Body is not JSON"), False
        else:
            status, answer, replayed = self._answer(record)
        record.status, record.response, record.replayed = status, answer, replayed
        with self.lock:
            self._requests.append(record)
        data = json.dumps(answer).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json;charset=UTF-8")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _answer(self, r: Recorded) -> tuple[int, dict, bool]:
        if r.authorization != self.credentials:
            return 401, _error("invalid_credentials", "Authentication by given credentials failed"), False
        with self.lock:
            for prefix, failure in list(self._failures.items()):
                if r.path.startswith(prefix):
                    if failure.times is not None:
                        failure.times -= 1
                        if failure.times <= 0:
                            del self._failures[prefix]
                    return failure.status, _error("internal_server_error", "Internal server error"), False
            if r.method == "POST":
                if not r.idempotence_key or len(r.idempotence_key) > 64:
                    return 400, _error("invalid_request", "Idempotence key is required (1-64 characters)",
                                       "Idempotence-Key"), False
                saved = self._saved.get(r.idempotence_key)
                if saved is not None:
                    path, raw, status, answer = saved
                    if (path, raw) != (r.path, r.raw_body):
                        return 400, _error("invalid_request",
                                           "Idempotence key duplicated with another request",
                                           "Idempotence-Key"), False
                    return status, answer, True
            status, answer = self._execute(r)
            if r.method == "POST" and status < 500:  # YooKassa keeps answers (but not 500s) for 24 h
                self._saved[r.idempotence_key] = (r.path, r.raw_body, status, answer)
            return status, answer, False

    def _execute(self, r: Recorded) -> tuple[int, dict]:
        if r.method == "POST" and r.path == "/v3/payments":
            return self._create_payment(r.body)
        if r.method == "POST" and r.path == "/v3/refunds":
            return self._create_refund(r.body)
        if r.method == "GET" and r.path == "/v3/payments":
            return self._list([self._public(p) for p in self.payments.values()], r.query)
        if r.method == "GET" and r.path == "/v3/refunds":
            return self._list([dict(x) for x in self.refunds.values()], r.query)
        match = _PAYMENT.match(r.path)
        if match and (r.method == "GET") == (match.group(2) is None):
            p = self.payments.get(match.group(1))
            if p is None:
                return 404, _error("not_found", "Payment not found")
            if match.group(2) == "/capture":
                return self._capture(p, r.body)
            if match.group(2) == "/cancel":
                if p["status"] != "waiting_for_capture":
                    return 400, _error("invalid_request", f"Payment is {p['status']}, can't cancel")
                p.update(status="canceled", paid=False,
                         cancellation_details={"party": "merchant", "reason": "canceled_by_merchant"})
            return 200, self._public(p)
        match = _REFUND.match(r.path)
        if match and r.method == "GET":
            refund = self.refunds.get(match.group(1))
            return (200, dict(refund)) if refund else (404, _error("not_found", "Refund not found"))
        return 404, _error("not_found", f"Unknown path {r.method} {r.path}")

    @staticmethod
    def _check_receipt(receipt: Any, total: Decimal, currency: str) -> tuple[int, dict] | None:
        if not isinstance(receipt, dict):
            return 400, _error("invalid_request", "Receipt is missing or illegal", "receipt")
        customer = receipt.get("customer") or {}
        if not (customer.get("email") or customer.get("phone")):
            return 400, _error("invalid_request", "Customer email or phone is required",
                               "receipt.customer")
        items = receipt.get("items")
        if not isinstance(items, list) or not items:
            return 400, _error("invalid_request", "Receipt items are required", "receipt.items")
        lines = Decimal(0)
        for item in items:
            value = _value(item.get("amount"))
            try:
                quantity = Decimal(str(item.get("quantity")))
            except InvalidOperation:
                quantity = Decimal(0)
            text = item.get("description")
            if (value is None or item["amount"]["currency"] != currency or quantity <= 0
                    or not isinstance(text, str) or not 1 <= len(text) <= 128
                    or item.get("vat_code") not in range(1, 13)
                    or not item.get("payment_subject") or not item.get("payment_mode")):
                return 400, _error("invalid_request", "Illegal receipt item", "receipt.items")
            lines += value * quantity
        if lines != total:
            return 400, _error("invalid_request", "Receipt items do not add up to the amount",
                               "receipt.items")
        return None

    def _create_payment(self, b: dict) -> tuple[int, dict]:
        total = _value(b.get("amount"))
        if total is None or total <= 0:
            return 400, _error("invalid_request", "Illegal amount", "amount")
        currency = b["amount"]["currency"]
        confirmation = b.get("confirmation") or {}
        if confirmation.get("type") != "redirect" or not confirmation.get("return_url"):
            return 400, _error("invalid_request", "Redirect confirmation needs return_url", "confirmation")
        if len(b.get("description") or "") > 128:
            return 400, _error("invalid_request", "Description is too long", "description")
        refused = self._check_receipt(b.get("receipt"), total, currency)
        if refused:
            return refused
        payment_id = str(uuid.uuid4())
        p = {
            "id": payment_id, "status": "pending", "paid": False, "amount": b["amount"],
            "confirmation": {"type": "redirect", "return_url": confirmation["return_url"],
                             "confirmation_url": "https://yoomoney.test/checkout/payments/v2/"
                                                 f"contract?orderId={payment_id}"},
            "created_at": _now(), "description": b.get("description"),
            "metadata": b.get("metadata") or {}, "recipient": {"account_id": SHOP_ID, "gateway_id": "1"},
            "refundable": False, "test": True, "_capture": bool(b.get("capture")),
            "_receipt": b.get("receipt"), "_refunded": "0.00",
        }
        self.payments[payment_id] = p
        return 200, self._public(p)

    def _succeed(self, p: dict) -> None:
        p.update(status="succeeded", paid=True, refundable=True, captured_at=_now(),
                 refunded_amount={"value": p["_refunded"], "currency": p["amount"]["currency"]},
                 income_amount=p["amount"])

    def _capture(self, p: dict, b: dict) -> tuple[int, dict]:
        if p["status"] != "waiting_for_capture":
            return 400, _error("invalid_request", f"Payment is {p['status']}, can't capture")
        wanted = _value(b.get("amount")) if b.get("amount") else _value(p["amount"])
        if wanted is None or wanted > _value(p["amount"]):
            return 400, _error("invalid_request", "Illegal capture amount", "amount")
        p["amount"] = {"value": f"{wanted:.2f}", "currency": p["amount"]["currency"]}
        self._succeed(p)
        return 200, self._public(p)

    def _create_refund(self, b: dict) -> tuple[int, dict]:
        p = self.payments.get(str(b.get("payment_id")))
        if p is None:
            return 404, _error("not_found", "Payment not found", "payment_id")
        if p["status"] != "succeeded":
            return 400, _error("invalid_request", "Payment is not succeeded", "payment_id")
        wanted = _value(b.get("amount"))
        left = _value(p["amount"]) - Decimal(p["_refunded"])
        if wanted is None or wanted <= 0 or wanted > left:
            return 400, _error("invalid_request", "Illegal refund amount", "amount")
        refused = self._check_receipt(b.get("receipt"), wanted, b["amount"]["currency"])
        if refused:
            return refused
        refund = {"id": str(uuid.uuid4()), "payment_id": p["id"], "status": "succeeded",
                  "amount": b["amount"], "created_at": _now(), "description": b.get("description"),
                  "metadata": b.get("metadata") or {}}
        self.refunds[refund["id"]] = refund
        p["_refunded"] = f"{Decimal(p['_refunded']) + wanted:.2f}"
        p["refunded_amount"] = {"value": p["_refunded"], "currency": p["amount"]["currency"]}
        return 200, dict(refund)

    def _list(self, objects: list[dict], q: dict) -> tuple[int, dict]:
        """YooKassa's list: newest first, `next_cursor` (here: the offset) while more remain."""
        try:
            limit = min(int(q.get("limit", 10)), self.page_size)
            offset = int(q.get("cursor", 0))
            since = _moment(q["created_at.gte"]) if q.get("created_at.gte") else None
        except ValueError:
            return 400, _error("invalid_request", "Illegal list parameters")
        chosen = [o for o in reversed(objects)
                  if (not q.get("status") or o["status"] == q["status"])
                  and (since is None or _moment(o["created_at"]) >= since)]
        page = chosen[offset:offset + limit]
        answer = {"type": "list", "items": page}
        if offset + limit < len(chosen):
            answer["next_cursor"] = str(offset + limit)
        return 200, answer

    # --- money made or lost outside the shop's own calls -----------------------------------------

    def outside_payment(self, amount: str, currency: str = "RUB") -> str:
        """A succeeded payment nobody asked us for; its id."""
        with self.lock:
            payment_id = str(uuid.uuid4())
            p = {"id": payment_id, "status": "pending", "paid": False,
                 "amount": {"value": amount, "currency": currency}, "created_at": _now(),
                 "description": "Оплата из личного кабинета", "metadata": {},
                 "recipient": {"account_id": SHOP_ID, "gateway_id": "1"}, "refundable": False,
                 "test": True, "_capture": True, "_receipt": None, "_refunded": "0.00"}
            self.payments[payment_id] = p
            self._succeed(p)
            return payment_id

    def forget(self, payment_id: str) -> None:
        with self.lock:
            del self.payments[payment_id]

    @staticmethod
    def _public(p: dict) -> dict:
        return {k: v for k, v in p.items() if not k.startswith("_")}
