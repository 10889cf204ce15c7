"""A local fake of the Telegram Bot API for tests: an HTTP server on 127.0.0.1 with the
official server's layout (`/bot<token>/<method>`), which records every call the bot makes,
serves the updates a test pushes through `getUpdates`, answers sent messages with message
objects, and fails the calls a test asks it to (429 with retry_after, 403 blocked)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl

TOKEN = "123456:TEST-fake-token"
BOT = {"id": 123456, "is_bot": True, "first_name": "CoSpace", "username": "cospace_test_bot",
       "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}
_JSON_FIELDS = {"reply_markup", "media", "commands", "allowed_updates", "message_ids", "entities"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value not in (None, "") else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    def buttons(self) -> list[dict]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    def button(self, label: str) -> dict:
        found = [b for b in self.buttons() if label in b.get("text", "")]
        assert found, f"no button {label!r} in {[b.get('text') for b in self.buttons()]}"
        return found[0]


@dataclass
class Failure:
    method: str
    status: int
    description: str
    parameters: dict | None = None
    chat_id: int | None = None


class FakeBotApi:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._updates: list[dict] = []
        self._failures: list[Failure] = []
        self._next_update = 1
        self._next_message = 1000
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- the test's side ------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "FakeBotApi":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _push(self, update: dict) -> None:
        with self._cond:
            update["update_id"] = self._next_update
            self._next_update += 1
            self._updates.append(update)
            self._cond.notify_all()

    def _message_id(self) -> int:
        with self._cond:
            self._next_message += 1
            return self._next_message

    @staticmethod
    def _user(chat_id: int, name: str) -> dict:
        return {"id": chat_id, "is_bot": False, "first_name": name, "username": f"user{chat_id}"}

    def send_text(self, chat_id: int, text: str, name: str = "Анна", *, from_id: int | None = None) -> None:
        """A message in the chat (a group's when `chat_id` is negative; `from_id` is then its author)."""
        chat = ({"id": chat_id, "type": "private", "first_name": name} if chat_id > 0
                else {"id": chat_id, "type": "group", "title": "Группа"})
        message = {"message_id": self._message_id(), "date": int(time.time()), "chat": chat,
                   "from": self._user(from_id or abs(chat_id), name), "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        self._push({"message": message})

    def send_location(self, chat_id: int, lat: float, lon: float, name: str = "Анна") -> None:
        self._push({"message": {"message_id": self._message_id(), "date": int(time.time()),
                                "chat": {"id": chat_id, "type": "private", "first_name": name},
                                "from": self._user(chat_id, name),
                                "location": {"latitude": lat, "longitude": lon}}})

    def press(self, chat_id: int, data: str, message_id: int = 1, name: str = "Анна") -> None:
        """A press of an inline button with `data` under the bot's message `message_id`."""
        self._push({"callback_query": {
            "id": str(self._message_id()), "from": self._user(chat_id, name), "chat_instance": "ci",
            "data": data, "message": {"message_id": message_id, "date": int(time.time()),
                                      "chat": {"id": chat_id, "type": "private"},
                                      "from": BOT, "text": "…"}}})

    def fail(self, method: str, status: int, description: str, *, parameters: dict | None = None,
             chat_id: int | None = None) -> None:
        """The next call of `method` (to `chat_id`, if given) fails with this answer."""
        with self._cond:
            self._failures.append(Failure(method, status, description, parameters, chat_id))

    def wait_for(self, method: str, where: Callable[[Call], bool] = lambda c: True, *,
                 after: int = 0, timeout: float = 15.0) -> Call:
        """The first call of `method` (from index `after` on) matching `where`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for call in self.calls[after:]:
                    if call.method == method and where(call):
                        return call
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.text[:60]) for c in self.calls[after:]][-15:]
                    raise AssertionError(f"no {method} call within {timeout}s; last calls: {seen}")
                self._cond.wait(left)

    def mark(self) -> int:
        """The index the next call gets (for wait_for(after=...))."""
        with self._cond:
            return len(self.calls)

    def of(self, method: str, after: int = 0) -> list[Call]:
        with self._cond:
            return [c for c in self.calls[after:] if c.method == method]

    # --- the bot's side -----------------------------------------------------------------------

    def _answer(self, method: str, params: dict) -> tuple[int, dict]:
        chat_id = params.get("chat_id")
        with self._cond:
            for failure in self._failures:
                if failure.method == method and (failure.chat_id is None or str(failure.chat_id) == str(chat_id)):
                    self._failures.remove(failure)
                    body = {"ok": False, "error_code": failure.status, "description": failure.description}
                    if failure.parameters:
                        body["parameters"] = failure.parameters
                    return failure.status, body
        if method == "getMe":
            return 200, {"ok": True, "result": BOT}
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._take_updates(params)}
        if method in ("sendMessage", "editMessageText", "sendDocument", "sendPhoto", "editMessageReplyMarkup"):
            return 200, {"ok": True, "result": self._message(params)}
        if method == "sendMediaGroup":
            media = params.get("media") or []
            return 200, {"ok": True, "result": [self._message(params) for _ in media]}
        return 200, {"ok": True, "result": True}

    def _message(self, params: dict) -> dict:
        chat_id = int(params.get("chat_id") or 0)
        message_id = int(params.get("message_id") or self._message_id())
        return {"message_id": message_id, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
                "from": BOT, "text": str(params.get("text") or "")}

    def _take_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 1.0)
        deadline = time.monotonic() + wait
        with self._cond:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - time.monotonic()))
            return list(self._updates[:100])

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                parts = self.path.strip("/").split("/")
                if len(parts) != 2 or parts[0] != f"bot{TOKEN}":
                    self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                    return
                method = parts[1]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                params, files = _parse(self.headers.get("Content-Type") or "", body)
                if method != "getUpdates":
                    with fake._cond:
                        fake.calls.append(Call(method, params, time.monotonic(), files))
                        fake._cond.notify_all()
                status, answer = fake._answer(method, params)
                self._reply(status, answer)

            do_GET = do_POST

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the bot stopped mid long poll
                    pass

        return Handler


def _parse(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename():
                files[name] = payload
                params.setdefault("_filenames", {})[name] = part.get_filename()
            else:
                params[name] = payload.decode()
    elif content_type.startswith("application/json"):
        params = json.loads(body or b"{}")
    else:
        params = dict(parse_qsl(body.decode()))
    for key in _JSON_FIELDS & params.keys():
        if isinstance(params[key], str):
            try:
                params[key] = json.loads(params[key])
            except ValueError:
                pass
    return params, files
