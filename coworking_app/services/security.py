"""Secrets: password hashing, random tokens and their digests, API access tokens (JWT)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import jwt
from pwdlib import PasswordHash

from coworking_app.settings import get_settings

_hasher = PasswordHash.recommended()  # Argon2id with pwdlib's current parameters
JWT_ALGORITHM = "HS256"
_DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant work whether or not the user exists, so timing does not reveal accounts."""
    if not password_hash:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    try:
        return _hasher.verify(password, password_hash)
    except Exception:  # a malformed stored hash is a failed login, never a 500
        return False


def new_token() -> str:
    """A random URL-safe token (256 bits) to hand to the user once."""
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What we store instead of the token: SHA-256, keyed with SECRET_KEY."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


class InvalidAccessToken(Exception):
    pass


def issue_access_token(user_id: int, session_id: int, now: datetime | None = None) -> tuple[str, int]:
    """(jwt, lifetime in seconds) for the API; bound to the sign-in session row."""
    settings = get_settings()
    now = now or datetime.now(timezone.utc)
    lifetime = settings.access_token_minutes * 60
    claims = {
        "sub": str(user_id),
        "sid": session_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=lifetime)).timestamp()),
        "typ": "access",
    }
    return jwt.encode(claims, settings.secret_key, algorithm=JWT_ALGORITHM), lifetime


def read_access_token(token: str) -> tuple[int, int]:
    """(user_id, session_id) of a valid, unexpired access token; else InvalidAccessToken."""
    user_id, session_id, expires = _verified_claims(token, get_settings().secret_key)
    if expires <= time.time():  # checked on every use, as PyJWT does on the first
        raise InvalidAccessToken("Signature has expired")
    return user_id, session_id


@lru_cache(maxsize=4096)
def _verified_claims(token: str, key: str) -> tuple[int, int, int]:
    """The signature and claims of one token, checked once per process: a client sends the
    same token with every request for its 15 minutes, and decoding it costs about 60 µs of
    CPU (measured). Only valid tokens are kept (a refusal raises); the expiry is checked
    again by the caller on every use."""
    try:
        claims = jwt.decode(
            token, key, algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "iat", "sub", "sid"]},
        )
        if claims.get("typ") != "access":
            raise InvalidAccessToken("not an access token")
        return int(claims["sub"]), int(claims["sid"]), int(claims["exp"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidAccessToken(str(exc)) from exc
