"""Secrets: password hashing, random tokens and their digests, API access tokens (JWT),
and who the client is (its address behind trusted proxies)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
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


def new_public_id() -> str:
    """A random id to name a row in tokens (128 bits): unlike a serial id it cannot be
    guessed or counted."""
    return secrets.token_urlsafe(16)


def new_code() -> str:
    """Six random digits for a person to type (the sign-up code in the mail)."""
    return f"{secrets.randbelow(10**6):06d}"


def digest(token: str) -> str:
    """What we store instead of the token: SHA-256, keyed with SECRET_KEY."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


class InvalidAccessToken(Exception):
    pass


def issue_access_token(user_id: int, session_id: str, now: datetime | None = None) -> tuple[str, int]:
    """(jwt, lifetime in seconds) for the API; bound to the sign-in session row by its
    random public id (`sid`), never by its serial id."""
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


def read_access_token(token: str) -> tuple[int, str]:
    """(user_id, session public id) of a valid, unexpired access token; else InvalidAccessToken."""
    user_id, session_id, expires = _verified_claims(token, get_settings().secret_key)
    if expires <= time.time():  # checked on every use, as PyJWT does on the first
        raise InvalidAccessToken("Signature has expired")
    return user_id, session_id


@lru_cache(maxsize=4096)
def _verified_claims(token: str, key: str) -> tuple[int, str, int]:
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
        sid = claims["sid"]
        if not isinstance(sid, str) or not 0 < len(sid) <= 64:
            raise InvalidAccessToken("bad session id")
        return int(claims["sub"]), sid, int(claims["exp"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidAccessToken(str(exc)) from exc


# --- the client's address ---------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip().strip('"')
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address


def client_address(peer: str, forwarded_for: str | list[str] = "") -> str:
    """The address to count a client by: the TCP peer, unless the peer is one of
    TRUSTED_PROXIES; then the rightmost X-Forwarded-For hop that is not a trusted proxy
    (each proxy appends the address it saw, so everything left of the first untrusted hop
    was written by the client and proves nothing). The one rule for the API and the UI."""
    trusted = _networks(tuple(get_settings().trusted_proxies))
    address = _parse_ip(peer or "")
    if address is None:
        return (peer or "")[:64]
    if not trusted or not any(address in net for net in trusted):
        return str(address)
    if isinstance(forwarded_for, list):
        forwarded_for = ",".join(forwarded_for)
    for hop in reversed([h for h in (forwarded_for or "").split(",") if h.strip()]):
        hop_address = _parse_ip(hop)
        if hop_address is None:  # garbage where an address should be: stop at the last good hop
            break
        address = hop_address
        if not any(hop_address in net for net in trusted):
            break
    return str(address)
