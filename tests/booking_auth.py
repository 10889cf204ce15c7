"""Fast signed-in accounts for booking tests.

Registering and signing in through /auth/login hash and verify an Argon2 password
(~0.45 s per account); booking tests need dozens of accounts, so these are inserted
directly and get a real API session (the same AuthSession + access token the login
endpoint issues) without the password round trip. Login itself is covered by the
accounts tests."""

from __future__ import annotations

import uuid

from coworking_app.services.accounts.sessions import do_sign_in_api
from coworking_app.uow import run_use_case
from models import User
from tests.uow_helpers import transaction


def headers_for(user_id: int) -> dict[str, str]:
    """Authorization headers of a new API session of an existing user."""
    pair = run_use_case(lambda s, fx: do_sign_in_api(s, fx, s.get(User, user_id)))
    return {"Authorization": f"Bearer {pair.access_token}"}


def signed_in(role: str = "renter") -> tuple[int, dict[str, str]]:
    """(user id, Authorization headers) of a fresh active account with `role`."""
    with transaction() as s:
        user = User(email=f"bk-{uuid.uuid4().hex[:12]}@example.com", full_name="Иван Арендатор",
                    password_hash="!no-password-login", roles=[role])
        s.add(user)
        s.flush()
        user_id = user.id
    return user_id, headers_for(user_id)
