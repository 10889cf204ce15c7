"""The API's edge: what it accepts (path ids from the shared field types, JSON parsed
strictly by the route class every router uses) and what it answers when it refuses (the
error bodies as models, so the OpenAPI documents them, and the `responses=` each router
declares). The handlers that produce these bodies are in api/__init__.py."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Path, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from coworking_app.services.common import fields

PathId = Annotated[fields.Id, Path()]  # /spaces/{space_id}: 1..2^31-1
PathBigId = Annotated[fields.BigId, Path()]  # messages


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class FieldErrors(BaseModel):
    """422 (and 409, 413, 415): which field, and why, in Russian."""

    detail: list[FieldError]


class Message(BaseModel):
    detail: str


class AuthRefusal(BaseModel):
    """401: a message, or (second factor needed) the field to fill."""

    detail: str | list[FieldError]


class TooManyRequests(BaseModel):
    detail: str
    retry_after: int


class ServerError(BaseModel):
    detail: str
    request_id: str


_RESPONSES: dict[int, dict[str, Any]] = {
    400: {"model": Message, "description": "The body could not be read (a broken multipart form)"},
    401: {"model": AuthRefusal, "description": "Not signed in, or the token is invalid or expired"},
    403: {"model": Message, "description": "Signed in, but not allowed"},
    404: {"model": Message, "description": "No such object, or not visible to the caller"},
    409: {"model": FieldErrors, "description": "Clashes with the current state of the data"},
    413: {"model": FieldErrors, "description": "A body or file over the limit"},
    415: {"model": FieldErrors, "description": "A file of a type we do not accept"},
    422: {"model": FieldErrors, "description": "Refused input: `loc` names the field, `msg` says why"},
    429: {"model": TooManyRequests, "description": "Too many attempts; wait `retry_after` seconds"},
    500: {"model": ServerError, "description": "Unexpected error; quote `request_id` to support"},
    502: {"model": Message, "description": "The payment provider failed"},
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entries for these status codes (500 always)."""
    return {code: _RESPONSES[code] for code in sorted({*codes, 500})}


# What every router may answer; routes add their own codes (404 for an id, 409, 429, ...).
PUBLIC = responses(422)
SIGNED_IN = responses(401, 403, 404, 422)


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise json.JSONDecodeError("number out of range", text, 0)
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:  # more digits than Python converts
        raise json.JSONDecodeError("number too long", text, 0) from exc


def parse_json(body: bytes) -> Any:
    """JSON as RFC 8259 defines it: UTF-8, no NaN or Infinity, no number that overflows a
    float. Python's json module accepts all three; anything else here is a 422."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError("not UTF-8", "", exc.start) from exc
    return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float,
                      parse_int=_int)


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


class EdgeRoute(APIRoute):
    """Every API route: its handler reads the body through StrictJSONRequest."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict
