"""A small HTTP/1.1 load client for the benchmarks: asyncio streams, one keep-alive
connection per simulated client, all clients in one thread.

Why not httpx in threads (what the benches used first): on this 2-core machine the client
shares the CPU with the server it measures. httpx with 16 threads spends about 1 ms of CPU
per request and fights for the GIL; against a FastAPI route that returns `{}` it measured
p95 38 ms at 980 requests/s, against 5.5 ms at 5400 requests/s for this client. That is
client time, and it was being reported as server latency. This client does what wrk-style
tools do: writes the request bytes, reads the status line, headers and the body
(Content-Length or chunked), and times the whole round trip.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import time
from dataclasses import dataclass


@dataclass
class Answer:
    status: int
    body: bytes
    ms: float

    def json(self):
        return jsonlib.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Connection:
    """One keep-alive connection. Not safe for concurrent use: one request at a time."""

    def __init__(self, host: str, port: int, headers: dict[str, str] | None = None) -> None:
        self.host, self.port = host, port
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._headers = f"host: {host}:{port}\r\n{extra}".encode("latin-1")
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except OSError:
                pass
            self._writer = None

    async def request(self, method: str, path: str, *, json=None) -> Answer:
        body = b"" if json is None else jsonlib.dumps(json).encode()
        kind = b"content-type: application/json\r\n" if json is not None else b""
        head = (f"{method} {path} HTTP/1.1\r\n".encode("latin-1") + self._headers + kind
                + b"content-length: %d\r\n\r\n" % len(body))
        if self._writer is None:
            await self._connect()
        started = time.perf_counter()
        self._writer.write(head + body)
        status, payload, keep = await self._read_response()
        ms = (time.perf_counter() - started) * 1000
        if not keep:
            await self.close()
        return Answer(status, payload, ms)

    async def _read_response(self) -> tuple[int, bytes, bool]:
        reader = self._reader
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, keep = None, False, True
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and value.strip().lower() == b"close":
                keep = False
        if chunked:
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            return status, b"".join(parts), keep
        if length is None:
            return status, await reader.read(), False
        return status, await reader.readexactly(length), keep
