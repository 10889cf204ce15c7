"""A tiny local stand-in for the Stripe API, enough for the real `stripe` library.

Implements POST /v1/checkout/sessions, POST /v1/refunds and GET /v1/balance_transactions
with Stripe's wire format: form-encoded requests (``a[b][0][c]=v``, in the query string for
GET), JSON answers, ``Authorization: Bearer sk_...``
and idempotency as Stripe does it: a request repeating an ``Idempotency-Key`` gets the
saved answer again (header ``Idempotent-Replayed: true``), the same key with different
parameters gets 400 ``idempotency_error``.

Money moves as in Stripe: `pay(session_id)` plays the customer paying a checkout (a
succeeded PaymentIntent, its charge and a `charge` balance transaction; the session
complete, as the webhook carries it), a refund adds a `refund` balance transaction, and
`charge(amount)` is a payment made outside our checkout. The balance transactions list
newest first with Stripe's list format (``object: list``, ``url``, ``has_more``,
``starting_after``, ``limit``, ``created[gte]``, ``expand[]=data.source``), at most
`page_size` per page, so the library's auto-paging is exercised.

Tests can inject failures per path (``server.fail("/v1/refunds", 500)``); injected failures
model an outage before Stripe executed anything, so they are not saved under the key and a
later retry with the same key can succeed.

    with FakeStripe() as fake:
        fake.base_url  # "http://127.0.0.1:<port>" -> STRIPE_API_BASE
        fake.requests  # every request received, in order
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

_KEY_PART = re.compile(r"\[([^\]]*)\]")


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracket notation back into nested dicts and lists (numeric keys -> list)."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head = key.split("[", 1)[0]
        parts = [head] + _KEY_PART.findall(key[len(head):])
        node = root
        for part, nxt in zip(parts, parts[1:]):
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, Any]  # decoded form body
    raw_body: str
    idempotency_key: str | None
    authorization: str | None
    status: int = 0  # what was answered
    response: dict = field(default_factory=dict)
    replayed: bool = False


@dataclass
class _Failure:
    status: int
    body: dict
    times: int | None  # None = until cleared


@dataclass
class _State:
    requests: list[Recorded] = field(default_factory=list)
    idempotent: dict[tuple[str, str], tuple[str, int, dict]] = field(default_factory=dict)
    failures: dict[str, _Failure] = field(default_factory=dict)
    sessions: dict[str, dict] = field(default_factory=dict)
    refunds: dict[str, dict] = field(default_factory=dict)
    payment_intents: dict[str, dict] = field(default_factory=dict)
    charges: dict[str, dict] = field(default_factory=dict)
    balance_transactions: list[dict] = field(default_factory=list)  # oldest first
    subscriptions: dict[str, dict] = field(default_factory=dict)


def _error(kind: str, message: str, **extra: Any) -> dict:
    return {"error": {"type": kind, "message": message, **extra}}


class FakeStripe:
    """Threaded fake Stripe server on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        self.state = _State()
        self.lock = threading.Lock()
        self.page_size = 100  # Stripe's largest `limit`; tests lower it to see several pages
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                fake._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True,
                                       kwargs={"poll_interval": 0.05})

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeStripe":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> "FakeStripe":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- test controls ----------------------------------------------------------------------

    def fail(self, path: str, status: int = 500, *, body: dict | None = None,
             times: int | None = None) -> None:
        """Answer `status` on `path` (`times` requests, or until `heal`)."""
        if body is None:
            body = (_error("card_error", "Your card was declined.", code="card_declined")
                    if status == 402
                    else _error("api_error", "Something went wrong on Stripe's end."))
        with self.lock:
            self.state.failures[path] = _Failure(status, body, times)

    def heal(self, path: str | None = None) -> None:
        with self.lock:
            if path is None:
                self.state.failures.clear()
            else:
                self.state.failures.pop(path, None)

    @property
    def requests(self) -> list[Recorded]:
        with self.lock:
            return list(self.state.requests)

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    # --- the API ----------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length).decode("utf-8") if length else ""
        path, _, query = h.path.partition("?")
        form = query if h.command == "GET" else raw
        record = Recorded(method=h.command, path=path,
                          params=decode_form(parse_qsl(form, keep_blank_values=True)),
                          raw_body=raw, idempotency_key=h.headers.get("Idempotency-Key"),
                          authorization=h.headers.get("Authorization"))
        status, body, replayed = self._answer(record)
        record.status, record.response, record.replayed = status, body, replayed
        with self.lock:
            self.state.requests.append(record)
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
        if record.idempotency_key:
            h.send_header("Idempotency-Key", record.idempotency_key)
        if replayed:
            h.send_header("Idempotent-Replayed", "true")
        h.end_headers()
        h.wfile.write(data)

    def _answer(self, r: Recorded) -> tuple[int, dict, bool]:
        auth = r.authorization or ""
        if not auth.startswith("Bearer sk_"):
            return 401, _error("invalid_request_error", "Invalid API Key provided"), False
        with self.lock:
            failure = self.state.failures.get(r.path)
            if failure is not None:
                if failure.times is not None:
                    failure.times -= 1
                    if failure.times <= 0:
                        del self.state.failures[r.path]
                return failure.status, failure.body, False
            saved_key = (auth, r.idempotency_key) if r.idempotency_key else None
            if saved_key and saved_key in self.state.idempotent:
                body_then, status, body = self.state.idempotent[saved_key]
                if body_then != r.raw_body:
                    return 400, _error(
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with."), False
                return status, body, True
            status, body = self._execute(r)
            if saved_key and status == 200:  # Stripe saves no result for a refused request
                self.state.idempotent[saved_key] = (r.raw_body, status, body)
            return status, body, False

    def _execute(self, r: Recorded) -> tuple[int, dict]:
        if r.method == "POST" and r.path == "/v1/checkout/sessions":
            return self._create_session(r.params)
        if r.method == "POST" and r.path == "/v1/refunds":
            return self._create_refund(r.params)
        if r.method == "GET" and r.path == "/v1/balance_transactions":
            return self._list_balance_transactions(r.params)
        if r.method == "POST" and r.path.startswith("/v1/subscriptions/"):
            return self._update_subscription(r.path.rsplit("/", 1)[-1], r.params)
        return 404, _error("invalid_request_error",
                           f"Unrecognized request URL ({r.method}: {r.path}).")

    def _create_session(self, p: dict) -> tuple[int, dict]:
        items = p.get("line_items") or []
        mode = p.get("mode")
        if mode not in ("payment", "subscription") or not items:
            return 400, _error("invalid_request_error", "mode (payment or subscription) and line_items are required")
        recurring = all("recurring" in (i.get("price_data") or {}) for i in items)
        if (mode == "subscription") != recurring:
            return 400, _error("invalid_request_error", "subscription mode needs recurring prices, payment mode none")
        if mode == "subscription" and "payment_intent_data" in p:
            return 400, _error("invalid_request_error", "payment_intent_data is not allowed in subscription mode",
                               param="payment_intent_data")
        try:
            amount = sum(int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1))
                         for i in items)
            currency = items[0]["price_data"]["currency"]
        except (KeyError, TypeError, ValueError):
            return 400, _error("invalid_request_error", "bad line_items")
        session_id = f"cs_test_{secrets.token_hex(12)}"
        session = {
            "id": session_id, "object": "checkout.session", "livemode": False,
            "mode": mode, "status": "open", "payment_status": "unpaid", "subscription": None, "invoice": None,
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "amount_total": amount, "amount_subtotal": amount, "currency": currency,
            "metadata": p.get("metadata") or {},
            "client_reference_id": p.get("client_reference_id"),
            "payment_intent": None,
            "success_url": p.get("success_url"), "cancel_url": p.get("cancel_url"),
            "created": int(time.time()), "expires_at": int(time.time()) + 24 * 3600,
        }
        self.state.sessions[session_id] = session
        return 200, session

    def _update_subscription(self, subscription_id: str, p: dict) -> tuple[int, dict]:
        sub = self.state.subscriptions.get(subscription_id)
        if sub is None:
            return 404, _error("invalid_request_error", f"No such subscription: '{subscription_id}'")
        if "cancel_at_period_end" in p:
            sub["cancel_at_period_end"] = p["cancel_at_period_end"] == "true"
        return 200, dict(sub)

    def _create_refund(self, p: dict) -> tuple[int, dict]:
        if not p.get("payment_intent"):
            return 400, _error("invalid_request_error", "payment_intent is required",
                               param="payment_intent")
        try:
            amount = int(p["amount"])
        except (KeyError, ValueError):
            return 400, _error("invalid_request_error", "amount is required", param="amount")
        intent = self.state.payment_intents.get(p["payment_intent"])
        refund = {
            "id": f"re_{secrets.token_hex(12)}", "object": "refund", "amount": amount,
            "currency": intent["currency"] if intent else "rub", "status": "succeeded",
            "payment_intent": p["payment_intent"], "charge": intent["latest_charge"] if intent else None,
            "metadata": p.get("metadata") or {}, "created": int(time.time()),
        }
        self.state.refunds[refund["id"]] = refund
        self._add_transaction("refund", refund["id"], -amount, refund["currency"])
        return 200, refund

    def _add_transaction(self, kind: str, source: str, amount: int, currency: str) -> dict:
        txn = {"id": f"txn_{secrets.token_hex(12)}", "object": "balance_transaction", "type": kind,
               "source": source, "amount": amount, "currency": currency, "fee": 0, "net": amount,
               "status": "pending", "created": int(time.time()), "available_on": int(time.time()) + 2 * 86400}
        self.state.balance_transactions.append(txn)
        return txn

    def _new_payment(self, amount: int, currency: str, metadata: dict) -> dict:
        """A succeeded PaymentIntent with its charge and the charge's balance transaction."""
        intent_id, charge_id = f"pi_{secrets.token_hex(12)}", f"ch_{secrets.token_hex(12)}"
        intent = {"id": intent_id, "object": "payment_intent", "amount": amount, "amount_received": amount,
                  "currency": currency, "status": "succeeded", "latest_charge": charge_id,
                  "metadata": metadata, "created": int(time.time())}
        charge = {"id": charge_id, "object": "charge", "amount": amount, "amount_captured": amount,
                  "amount_refunded": 0, "captured": True, "paid": True, "status": "succeeded",
                  "currency": currency, "payment_intent": intent_id, "metadata": metadata,
                  "created": int(time.time())}
        self.state.payment_intents[intent_id] = intent
        self.state.charges[charge_id] = charge
        charge["balance_transaction"] = self._add_transaction("charge", charge_id, amount, currency)["id"]
        return intent

    def _list_balance_transactions(self, p: dict) -> tuple[int, dict]:
        try:
            limit = min(int(p.get("limit", 10)), self.page_size)
            since = int((p.get("created") or {}).get("gte", 0))
        except (TypeError, ValueError, AttributeError):
            return 400, _error("invalid_request_error", "bad limit or created")
        expand = p.get("expand") or []
        newest_first = [t for t in reversed(self.state.balance_transactions) if t["created"] >= since]
        after = p.get("starting_after")
        if after:
            ids = [t["id"] for t in newest_first]
            if after not in ids:
                return 400, _error("invalid_request_error", f"No such balance transaction: '{after}'",
                                   param="starting_after")
            newest_first = newest_first[ids.index(after) + 1:]
        page = [dict(t) for t in newest_first[:limit]]
        if "data.source" in expand:
            for txn in page:
                source = self.state.charges.get(txn["source"]) or self.state.refunds.get(txn["source"])
                txn["source"] = dict(source) if source else txn["source"]
        return 200, {"object": "list", "url": "/v1/balance_transactions",
                     "has_more": len(newest_first) > limit, "data": page}

    # --- helpers for tests ------------------------------------------------------------------

    def session(self, session_id: str) -> dict:
        with self.lock:
            return dict(self.state.sessions[session_id])

    def pay(self, session_id: str) -> dict:
        """The customer pays the checkout: the session as Stripe reports it then (the body
        of `checkout.session.completed`), its PaymentIntent and charge made."""
        with self.lock:
            session = self.state.sessions[session_id]
            intent = self._new_payment(session["amount_total"], session["currency"], session["metadata"])
            if session["mode"] == "subscription":  # Stripe pays the first invoice; the session names both
                sub_id = f"sub_{secrets.token_hex(12)}"
                self.state.subscriptions[sub_id] = {
                    "id": sub_id, "object": "subscription", "status": "active", "cancel_at_period_end": False,
                    "metadata": session["metadata"], "amount": session["amount_total"],
                    "currency": session["currency"]}
                session.update(status="complete", payment_status="paid", subscription=sub_id,
                               invoice=f"in_{secrets.token_hex(12)}")
            else:
                session.update(status="complete", payment_status="paid", payment_intent=intent["id"])
            return dict(session)

    def subscription(self, subscription_id: str) -> dict:
        with self.lock:
            return dict(self.state.subscriptions[subscription_id])

    def renew(self, subscription_id: str) -> dict:
        """Stripe charges the subscription's next month: the paid invoice (the body of
        `invoice.paid`), its payment and charge made."""
        with self.lock:
            sub = self.state.subscriptions[subscription_id]
            intent = self._new_payment(sub["amount"], sub["currency"], sub["metadata"])
            return {"id": f"in_{secrets.token_hex(12)}", "object": "invoice", "billing_reason": "subscription_cycle",
                    "subscription": subscription_id, "status": "paid", "amount_paid": sub["amount"],
                    "currency": sub["currency"], "payment_intent": intent["id"]}

    def charge(self, amount: int, currency: str = "rub", metadata: dict | None = None) -> str:
        """A payment made outside our checkout (e.g. in Stripe's dashboard); its PaymentIntent id."""
        with self.lock:
            return self._new_payment(amount, currency, metadata or {})["id"]

    def change_charge(self, payment_intent: str, amount: int) -> None:
        """What Stripe says a payment took (e.g. another amount than ours)."""
        with self.lock:
            charge = self.state.charges[self.state.payment_intents[payment_intent]["latest_charge"]]
            charge.update(amount=amount, amount_captured=amount)

    def forget(self, payment_intent: str) -> None:
        """Stripe has no record of the payment (nor of its balance transaction)."""
        with self.lock:
            charge_id = self.state.payment_intents.pop(payment_intent)["latest_charge"]
            self.state.charges.pop(charge_id)
            self.state.balance_transactions = [t for t in self.state.balance_transactions
                                               if t["source"] != charge_id]
