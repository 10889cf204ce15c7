"""One settings object for the whole app, read from the environment and `.env`."""

from __future__ import annotations

import fcntl
import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The key this project once shipped as its development default: public, so refused
# everywhere (development generates its own, see local_secret_key).
DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"
LOCAL_ENV_FILE = PROJECT_ROOT / ".env"  # git-ignored


def local_secret_key(env_file: Path | None = None) -> str:
    """The development SECRET_KEY: read from the git-ignored `.env`, or generated there on
    first use (random, 48 bytes). Every process of a checkout (`make run`'s server workers,
    the RQ worker, the CLI) gets the same key; the file lock keeps two first starts from
    writing two keys."""
    path = env_file or LOCAL_ENV_FILE
    with open(path, "a+", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        file.seek(0)
        text = file.read()
        for line in text.splitlines():
            name, _, value = line.partition("=")
            if name.strip() == "SECRET_KEY" and value.strip().strip("'\"") \
                    and value.strip().strip("'\"") != DEV_SECRET_KEY:
                return value.strip().strip("'\"")
        key = secrets.token_urlsafe(48)
        file.write(("" if not text or text.endswith("\n") else "\n")
                   + "# Generated on first run (development); keep it secret, never commit it.\n"
                   + f"SECRET_KEY={key}\n")
        file.flush()
        os.fsync(file.fileno())
    os.chmod(path, 0o600)
    return key


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = Field(
        "development", alias="APP_ENV"
    )
    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/coworking"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # RQ queues and the cache live in their own Redis databases so that flushing
    # one never touches the Reflex state (REDIS_URL).
    rq_redis_url: str = "redis://127.0.0.1:6379/1"
    cache_redis_url: str = "redis://127.0.0.1:6379/2"
    # Signs tokens and keys token digests. Empty in development: a random key is generated
    # into `.env` on first use (local_secret_key); required everywhere else.
    secret_key: str = ""
    port: int = 3000
    public_url: str = ""
    # Origins besides PUBLIC_URL's whose pages may call the API and open the websocket
    # with the user's cookies (CORS), comma-separated, e.g. "https://admin.example.com".
    cors_extra_origins: str = ""
    # Map tiles are fetched by the server (GET /tiles/z/x/y.png) from this template: the
    # map frame is sandboxed, so the browser could not send OpenStreetMap the Referer its
    # tile policy requires (README, Architecture).
    tile_upstream_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    media_root: Path = PROJECT_ROOT / "var" / "media"
    media_url: str = "/media"
    space_cache_ttl_seconds: int = 300
    # Per process: above it, requests wait or open short-lived overflow connections (up to
    # 2 x API_THREADS in all, at least 5 more: db.get_engine). `reflex run --env prod` starts
    # cores + 1 processes (GRANIAN_WORKERS, README): 3 x (10 + 6) on 2 cores stays under PostgreSQL's 100
    # connections with room for the RQ worker, cron and psql.
    db_pool_size: int = 10
    # Worker threads per API process for the (synchronous) routes, and as many again for the
    # booking route (api/deps.in_worker_thread); more requests wait on the event loop, which
    # costs nothing. Many threads fighting for one GIL cost CPU (docs/booking.md).
    api_threads: int = Field(default=8, ge=1, le=200)
    # Names this instance in an `X-Instance` header on every HTTP answer, when set (several
    # identical instances behind a load balancer: which one answered; Kubernetes: the pod).
    instance_id: str = Field(default="", pattern=r"^[A-Za-z0-9._-]{0,63}$")

    # Accounts (see docs/accounts.md).
    session_days: int = 14  # sliding expiry of a sign-in session (UI cookie and API refresh)
    access_token_minutes: int = 15  # lifetime of an API access token (JWT)
    require_email_verification: bool = False  # block booking until the email is verified
    require_2fa_for_staff: bool = False  # operators and admins must enrol TOTP
    login_attempts_per_window: int = 10  # sign-in attempts per account ...
    login_attempts_per_ip: int = 100  # ... and per client address (NAT, offices) ...
    login_window_seconds: int = 900  # ... within this window, then 429 with Retry-After
    signups_per_ip_per_hour: int = 20  # sign-up requests per client address
    password_resets_per_ip_per_hour: int = 50  # reset requests per client address (5 per email)
    # Reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For is believed: the
    # client is the rightmost address in it that is not one of them. Empty: the TCP peer.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    password_reset_minutes: int = 60
    email_verification_hours: int = 72
    max_upload_bytes: int = 5 * 1024 * 1024  # one photo

    # Photo storage: the local MEDIA_ROOT unless S3_BUCKET is set (MinIO or any S3 store).
    s3_bucket: str = ""
    s3_endpoint_url: str = ""  # e.g. http://minio:9000; empty = AWS
    s3_region: str = "us-east-1"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_public_url: str = ""  # where browsers fetch objects; default <endpoint>/<bucket>

    # Backups (docs/operations.md): `cli backup` (daily by `rq cron`) writes pg_dump
    # archives to BACKUP_DIR, or to BACKUP_S3_BUCKET under BACKUP_S3_PREFIX when that is set
    # (then MEDIA_ROOT is also copied there every 4 hours). Credentials: the two keys below,
    # else boto3's usual lookup (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profiles, roles).
    backup_dir: Path = PROJECT_ROOT / "var" / "backups"
    backup_s3_bucket: str = ""
    backup_s3_endpoint_url: str = ""  # e.g. http://minio:9000; empty = AWS
    backup_s3_prefix: str = "cospace/"  # dumps under <prefix>db/, media under <prefix>media/
    backup_s3_region: str = "us-east-1"
    backup_s3_access_key_id: str = ""
    backup_s3_secret_access_key: str = ""
    backup_pg_bin_dir: str = ""  # where pg_dump/pg_restore are; empty = PATH
    backup_timeout_seconds: int = Field(default=3 * 3600, ge=60, le=24 * 3600)

    # Booking and payments (see docs/booking.md).
    booking_hold_seconds: int = 15 * 60  # an unpaid booking holds its seats this long
    # A waitlist offer (services/booking/waitlist.py) holds the freed seats this long.
    waitlist_hold_seconds: int = Field(default=30 * 60, ge=60, le=24 * 3600)
    waitlist_max_entries: int = Field(default=20, ge=1, le=1000)  # waiting entries per person
    booking_horizon_days: int = 365  # how far ahead one may book
    stripe_secret_key: str = ""  # sk_...; empty = the built-in offline test provider
    stripe_webhook_secret: str = ""  # whsec_... for POST /api/v1/payments/stripe/webhook
    stripe_api_base: str = ""  # tests point the real library at a local fake server
    stripe_webhook_tolerance_seconds: int = 300  # older signed timestamps are refused
    # The offline test provider (no money moves) in production too; off by default there.
    allow_test_payments: bool = False
    # Which provider takes a new payment (docs/booking.md, Payments): PAYMENT_PROVIDER_BY_CURRENCY
    # first ("RUB=yookassa,EUR=stripe"), then PAYMENT_PROVIDER; both empty: Stripe when its key
    # is set, else the test provider. A payment keeps its provider: refunds go back through it.
    payment_provider: Literal["", "stripe", "yookassa", "test"] = ""
    payment_provider_by_currency: Annotated[dict[str, str], NoDecode] = {}
    # YooKassa (ЮKassa): shop id and secret key (HTTP basic auth of its API v3).
    yookassa_shop_id: str = ""
    yookassa_secret_key: str = ""
    yookassa_api_base: str = ""  # empty = https://api.yookassa.ru/v3; tests: a local fake server
    # Addresses (IPs or CIDRs, comma-separated) notifications may come from (behind
    # TRUSTED_PROXIES: the client address they name); empty = any (each one is checked
    # against the API anyway). YooKassa's addresses: docs/booking.md, Payments.
    yookassa_notify_ips: Annotated[list[str], NoDecode] = []
    # The 54-FZ receipt's payment mode: "full_payment" (полный расчёт) or "full_prepayment"
    # (предоплата 100 %, with the calculated VAT rates 20/120 ...): docs/booking.md.
    yookassa_payment_mode: Literal["full_payment", "full_prepayment"] = "full_payment"

    # Finance (see docs/finance.md). Commission: basis points of a booking's price before
    # VAT (1500 = 15 %), unless an admin set another for the owner; the platform's VAT is
    # inside its commission.
    platform_commission_bp: int = Field(default=1500, ge=0, le=10000)
    platform_vat_bp: int = Field(default=2000, ge=0, le=5000)
    payout_minimum_minor: int = Field(default=100_000, ge=0)  # smaller payouts roll over
    invoice_due_days: int = Field(default=14, ge=1, le=90)  # then the invoice is overdue
    company_invitation_days: int = Field(default=7, ge=1, le=60)
    # What a new company may owe (unbilled + invoiced, unpaid) until an admin sets its own limit.
    company_credit_limit_minor: int = Field(default=5_000_000, ge=0)
    # The platform as the supplier on invoices (счёт на оплату). The defaults are a made-up
    # company with valid check digits: set the real details in production.
    supplier_name: str = "ООО «Коспейс»"
    supplier_inn: str = "7709123453"
    supplier_kpp: str = "770901001"
    supplier_address: str = "101000, г. Москва, ул. Мясницкая, д. 1"
    supplier_bank: str = "АО «Тестовый банк»"
    supplier_bik: str = "044525974"
    supplier_account: str = "40702810500000012345"
    supplier_corr_account: str = "30101810145250000974"

    # Operator panel (see docs/admin.md): the zone whose days reports and KPIs count in.
    report_timezone: str = "Europe/Moscow"
    export_sync_max_rows: int = 5000  # larger exports run as an RQ job with progress

    # Email (see docs/notifications.md): SendGrid if a key is set, else SMTP if a host is
    # set, else .eml files in MAIL_OUTBOX_DIR (development).
    mail_from: str = "CoSpace <noreply@cospace.local>"
    mail_outbox_dir: Path = PROJECT_ROOT / "var" / "outbox"
    sendgrid_api_key: str = ""
    sendgrid_api_base: str = ""  # tests point the real library at a local fake server
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    # Market data (docs/market.md): the crawler's child process posts its batches to
    # MARKET_API_URL (default: this app's own API at 127.0.0.1:PORT); it may crawl private and
    # loopback addresses only in development and test, or with MARKET_ALLOW_PRIVATE_HOSTS.
    market_api_url: str = ""
    market_allow_private_hosts: bool = False
    market_contact_url: str = ""  # named in the crawler's User-Agent (default: PUBLIC_URL)
    market_crawl_timeout_seconds: int = Field(default=3600, ge=10, le=6 * 3600)
    market_max_pages: int = Field(default=500, ge=1, le=100_000)
    # Telegram (docs/telegram.md). Only the bot process (`python -m coworking_app.bot`) talks
    # to Telegram; the others write its messages to the database and never need the token.
    # An empty token: no bot, nothing fails. Methods are called at {base}/bot{token}/{method}.
    telegram_bot_token: str = ""
    telegram_bot_username: str = Field(default="cospace_bot", pattern=r"^[A-Za-z0-9_]{3,64}$")
    telegram_api_base: str = "https://api.telegram.org"
    telegram_webhook_url: str = ""  # set: Telegram posts updates there instead of long polling
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = Field(default=8443, ge=1, le=65535)
    telegram_alert_chat_id: int | None = None  # operators' chat for critical errors
    telegram_outbox_poll_seconds: float = Field(default=1.0, ge=0.05, le=60)

    # Operations (docs/operations.md). /metrics wants `Authorization: Bearer METRICS_TOKEN`
    # when it is set; production refuses to start without one.
    metrics_token: str = ""
    # false: no /metrics and no per-request measurement or request log line (bench/ops.py
    # compares the two to price the metrics; nobody needs it off in production).
    metrics_enabled: bool = True
    # Sentry: empty DSN, off. Errors always go; traces of a sample of requests and jobs.
    sentry_dsn: str = ""
    sentry_traces_sample_rate: float = Field(default=0.05, ge=0.0, le=1.0)
    release: str = Field(default="", alias="APP_RELEASE")  # e.g. the git commit; Sentry's release
    # Logs on stdout: one JSON object a line (production default) or text for people.
    log_format: Literal["json", "text", ""] = ""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("telegram_alert_chat_id", mode="before")
    @classmethod
    def _empty_chat_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("trusted_proxies", "yookassa_notify_ips", mode="before")
    @classmethod
    def _split_networks(cls, value: object, info: ValidationInfo) -> object:
        """A comma-separated list of IP addresses or networks (TRUSTED_PROXIES, YOOKASSA_NOTIFY_IPS)."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        for item in value or []:
            try:
                ipaddress.ip_network(str(item).strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"{info.field_name.upper()}: {item!r} is not an IP address or network") from exc
        return value

    @field_validator("payment_provider_by_currency", mode="before")
    @classmethod
    def _split_currency_providers(cls, value: object) -> object:
        if isinstance(value, str):
            pairs = [part.split("=", 1) for part in value.split(",") if part.strip()]
            if any(len(pair) != 2 for pair in pairs):
                raise ValueError("PAYMENT_PROVIDER_BY_CURRENCY: expected CURRENCY=provider pairs, "
                                 "e.g. RUB=yookassa,EUR=stripe")
            value = {currency.strip().upper(): name.strip() for currency, name in pairs}
        for currency, name in dict(value or {}).items():
            if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
                raise ValueError(f"PAYMENT_PROVIDER_BY_CURRENCY: {currency!r} is not a currency code")
            if name not in ("stripe", "yookassa", "test"):
                raise ValueError(f"PAYMENT_PROVIDER_BY_CURRENCY: unknown provider {name!r} "
                                 "(stripe, yookassa or test)")
        return value

    @model_validator(mode="after")
    def _refuse_known_secret(self) -> "Settings":
        if self.secret_key in ("", DEV_SECRET_KEY):
            if self.environment != "development":
                raise ValueError(
                    f"SECRET_KEY must be set to a random value when APP_ENV={self.environment} "
                    "(a development checkout generates its own into .env)"
                )
            # Never the public placeholder: a key of this checkout's own, kept in .env.
            self.secret_key = local_secret_key()
        if self.environment != "development" and len(self.secret_key) < 32:
            raise ValueError("SECRET_KEY must be at least 32 characters (it signs tokens)")
        return self

    @model_validator(mode="after")
    def _require_metrics_token(self) -> "Settings":
        if self.environment == "production" and len(self.metrics_token) < 16:
            raise ValueError("METRICS_TOKEN must be set (16+ characters) in production: "
                             "/metrics shows traffic and business figures")
        return self

    @model_validator(mode="after")
    def _check_origins(self) -> "Settings":
        self.allowed_origins  # PUBLIC_URL and CORS_EXTRA_ORIGINS must be http(s) origins
        return self

    @property
    def logs_as_json(self) -> bool:
        return self.log_format == "json" or (not self.log_format and self.environment == "production")

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://localhost:{self.port}"

    @property
    def market_api(self) -> str:
        """Where the crawler posts its batches (this app's API unless MARKET_API_URL)."""
        return (self.market_api_url or f"http://127.0.0.1:{self.port}/api/v1").rstrip("/")

    @property
    def allowed_origins(self) -> list[str]:
        """Origins whose pages may use the app with the user's cookies: PUBLIC_URL's (or
        http://localhost:PORT), its other loopback name (localhost <-> 127.0.0.1, so both
        work in development) and CORS_EXTRA_ORIGINS."""
        own = origin_of(self.base_url)
        origins = [own]
        for a, b in (("//localhost", "//127.0.0.1"), ("//127.0.0.1", "//localhost")):
            if a + ":" in own or own.endswith(a):
                origins.append(own.replace(a, b, 1))
        origins += [origin_of(o) for o in self.cors_extra_origins.split(",") if o.strip()]
        return list(dict.fromkeys(origins))


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, lower-case, without a default port or a path."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) origin: {url!r}")
    default = {"http": 80, "https": 443}[parts.scheme]
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{host}{port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
