"""Schemathesis against the app's own OpenAPI: every operation, as an anonymous client, a
renter, an owner and an admin. Passes only with no server error (5xx) and no answer the
OpenAPI does not document (status code, content type, body schema).

Bounded in time: a fixed seed, few examples per operation and role (SCHEMATHESIS_EXAMPLES,
default 6) and no stateful phase. It runs on users and a space of its own, from a client
address of its own (so its failed sign-ins count against nobody else's limits), and
conftest.py moves it to the end of the run: as an admin it blocks and re-roles users and
hides spaces. Admin writes that name an object by id go to its own objects (or to an id
that does not exist), never to rows other tests made; the renter and the owner aim at their
own booking and space.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from coworking_app.api import create_api
from coworking_app.db import get_cache_redis
from coworking_app.services.accounts.signup import do_create_staff
from coworking_app.services.common.fields import MAX_ID
from models import Role
from tests.admin_helpers import insert_booking, msk_now
from tests.booking_helpers import make_bookable, new_user
from tests.uow_helpers import transaction

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
CLIENT_ADDRESS = ("192.0.2.16", 50000)  # TEST-NET-1: no other test signs in from here
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
KEEP_ALIVE = {"DELETE /api/v1/spaces/{space_id}"}  # the owner's space serves every later case
# Signing out (or changing the password) ends the token the run uses: sign in again after.
ENDS_SESSION = {"/api/v1/auth/logout", "/api/v1/auth/logout-everywhere", "/api/v1/me/password"}

# Coverage (schemathesis' deterministic boundary values: lengths, limits, NUL, wrong types)
# runs once per operation, as the role the operation is for; random fuzzing runs everywhere.
COVERAGE_TAGS = {
    "anonymous": ["health", "catalog", "spaces", "auth"],
    "renter": ["auth", "bookings", "reviews", "messages", "notifications", "telegram"],
    "owner": ["owner"],
    "admin": ["admin"],
}


# Values that broke the API before (issue 16): fuzzing puts them into the fields now and
# then; those a field's schema allows go into positive cases, the rest into negative ones.
EDGE_VALUES = ["\u0000", "a\u0000b", "\u0007", "\u009f", "9999-12-31", "0001-01-01",
               "9999-12-31T23:59:59+14:00", "%", "_", "' OR 1=1 --",
               0, -1, 2**31 - 1, 2**31, 2**53, 2**63, 10**11]


def _bindings(spec: dict) -> dict[str, dict]:
    """A dictionary binding for every query and path parameter and every top-level body
    field in the OpenAPI (schemathesis binds body fields by name only, across operations).
    Names that are an enum or a nested model (a $ref) anywhere keep their own values:
    schemathesis cannot check dictionary entries against those."""
    keys, skip = set(), set()
    for operations in spec["paths"].values():
        for operation in operations.values():
            fields = [(f"{p['in']}.{p['name']}", p["schema"]) for p in operation.get("parameters", [])
                      if p["in"] in ("query", "path")]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            schema = body.get("schema", {})
            if "$ref" in schema:
                schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
            fields += [(f"body.{name}", field) for name, field in schema.get("properties", {}).items()]
            for key, field in fields:
                (skip if "$ref" in str(field) else keys).add(key)
    return {key: {"dictionary": "edge", "probability": 0.25} for key in sorted(keys - skip)}


def _config(role: str, spec: dict) -> schemathesis.Config:
    coverage = {"unexpected-methods": [], "generate-duplicate-query-parameters": False}
    return schemathesis.Config.from_dict({
        "seed": 16,
        "dictionaries": {"edge": {"values": EDGE_VALUES}},
        "parameters": _bindings(spec),
        "generation": {"max-examples": EXAMPLES, "database": "none", "deterministic": True},
        "phases": {"stateful": {"enabled": False}, "coverage": {**coverage, "enabled": False}},
        "operations": [{"include-tag": tag, "phases": {"coverage": {**coverage, "enabled": True}}}
                       for tag in COVERAGE_TAGS[role]],
        "suppress-health-check": ["all"],
    })


class _FromOwnAddress:
    """The app as seen from CLIENT_ADDRESS."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "client": CLIENT_ADDRESS}
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def sandbox(world):
    """The run's own people, space and booking, and the tokens it signs in with."""
    space = make_bookable(name="Коворкинг «Схема»")
    renter_id, renter_email, password = new_user("renter")
    victim_id, _email, _password = new_user("renter")  # what admin writes on users touch
    admin_email = f"schema-admin-{renter_id}@example.com"
    with transaction() as s:
        do_create_staff(s, email=admin_email, password=password, full_name="Админ Схемы",
                        role=Role.admin)
    start = (msk_now() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    booking = insert_booking(space, renter_id, start=start, end=start + timedelta(hours=2))
    yield {
        "emails": {"renter": renter_email, "owner": space.owner_email, "admin": admin_email},
        "password": password,
        "ids": {"space_id": space.space_id, "resource_id": space.desk_id, "booking_id": booking.id,
                "user_id": victim_id},
        "tokens": {},
    }
    get_cache_redis().flushdb()  # the rate-limit counters its fuzzing left


# Loaded when pytest collects this module: the app answers its OpenAPI without a database.
_API = create_api()
_APP = _FromOwnAddress(_API)
schemas = {role: schemathesis.openapi.from_asgi("/api/v1/openapi.json", _APP, config=_config(role, _API.openapi()))
           for role in COVERAGE_TAGS}


def _token(client, sandbox, role: str) -> str:
    tokens = sandbox["tokens"]
    if role not in tokens:
        r = client.post("/api/v1/auth/login", json={"email": sandbox["emails"][role],
                                                    "password": sandbox["password"]})
        assert r.status_code == 200, r.text
        tokens[role] = r.json()["access_token"]
    return tokens[role]


def _aim(case, role: str, sandbox) -> None:
    """Point ids in the path at the run's own objects: every admin write (or at an id that
    does not exist, so it never touches what other tests made), and the renter's and the
    owner's requests to their own booking and space (the largest id still probes a 404)."""
    for name, value in list((case.path_parameters or {}).items()):
        if not (name.endswith("_id") and isinstance(value, int)):
            continue
        if role == "admin" and case.method.upper() in WRITES:
            case.path_parameters[name] = sandbox["ids"].get(name, MAX_ID)
        elif role in ("renter", "owner") and value != MAX_ID and name in sandbox["ids"] \
                and case.operation.label not in KEEP_ALIVE:
            case.path_parameters[name] = sandbox["ids"][name]


def _call(case, role: str, sandbox, client) -> None:
    headers = {}
    if role != "anonymous":
        headers["Authorization"] = f"Bearer {_token(client, sandbox, role)}"
        _aim(case, role, sandbox)
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    if case.operation.path in ENDS_SESSION and response.status_code < 300:
        sandbox["tokens"].pop(role, None)


@schemas["anonymous"].parametrize()
def test_anonymous_client(case, sandbox, client):
    _call(case, "anonymous", sandbox, client)


@schemas["renter"].parametrize()
def test_renter(case, sandbox, client):
    _call(case, "renter", sandbox, client)


@schemas["owner"].parametrize()
def test_owner(case, sandbox, client):
    _call(case, "owner", sandbox, client)


@schemas["admin"].parametrize()
def test_admin(case, sandbox, client):
    _call(case, "admin", sandbox, client)
