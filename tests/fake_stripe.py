"""A tiny local stand-in for the Stripe API, enough for the real `stripe` library.

Implements POST /v1/checkout/sessions and POST /v1/refunds with Stripe's wire format:
form-encoded requests (``a[b][0][c]=v``), JSON answers, ``Authorization: Bearer sk_...``
and idempotency as Stripe does it: a request repeating an ``Idempotency-Key`` gets the
saved answer again (header ``Idempotent-Replayed: true``), the same key with different
parameters gets 400 ``idempotency_error``.

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


def _error(kind: str, message: str, **extra: Any) -> dict:
    return {"error": {"type": kind, "message": message, **extra}}


class FakeStripe:
    """Threaded fake Stripe server on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        self.state = _State()
        self.lock = threading.Lock()
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
        path = h.path.split("?", 1)[0]
        record = Recorded(method=h.command, path=path,
                          params=decode_form(parse_qsl(raw, keep_blank_values=True)),
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
        return 404, _error("invalid_request_error",
                           f"Unrecognized request URL ({r.method}: {r.path}).")

    def _create_session(self, p: dict) -> tuple[int, dict]:
        items = p.get("line_items") or []
        if p.get("mode") != "payment" or not items:
            return 400, _error("invalid_request_error", "mode=payment and line_items are required")
        try:
            amount = sum(int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1))
                         for i in items)
            currency = items[0]["price_data"]["currency"]
        except (KeyError, TypeError, ValueError):
            return 400, _error("invalid_request_error", "bad line_items")
        session_id = f"cs_test_{secrets.token_hex(12)}"
        session = {
            "id": session_id, "object": "checkout.session", "livemode": False,
            "mode": "payment", "status": "open", "payment_status": "unpaid",
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

    def _create_refund(self, p: dict) -> tuple[int, dict]:
        if not p.get("payment_intent"):
            return 400, _error("invalid_request_error", "payment_intent is required",
                               param="payment_intent")
        try:
            amount = int(p["amount"])
        except (KeyError, ValueError):
            return 400, _error("invalid_request_error", "amount is required", param="amount")
        refund = {
            "id": f"re_{secrets.token_hex(12)}", "object": "refund", "amount": amount,
            "currency": "rub", "status": "succeeded", "payment_intent": p["payment_intent"],
            "metadata": p.get("metadata") or {}, "created": int(time.time()),
        }
        self.state.refunds[refund["id"]] = refund
        return 200, refund

    # --- helpers for tests ------------------------------------------------------------------

    def session(self, session_id: str) -> dict:
        with self.lock:
            return dict(self.state.sessions[session_id])
