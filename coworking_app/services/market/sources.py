"""Crawl sources: competitors' sites an operator manages (name, start URL, kind, selectors,
schedule, enabled). Only operators and admins see or change them."""

from __future__ import annotations

import ipaddress
from typing import Any, Literal
from urllib.parse import urlsplit

from cssselect import SelectorError
from parsel import Selector
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlmodel import Session

from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.common.errors import Conflict, InvalidInput, NotFound
from coworking_app.services.common.fields import Line
from coworking_app.settings import get_settings
from models import MarketSource, Role, SourceKind, User
from coworking_app.i18n import tr

SELECTOR_MAX = 300
ITEM_FIELDS = ("external_id", "name", "address", "price", "lat", "lon", "terms")
REQUIRED_ITEM_FIELDS = ("external_id", "name", "price")
MAX_SOURCES = 200


class ItemSelectors(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: Line(SELECTOR_MAX, min_length=1)
    name: Line(SELECTOR_MAX, min_length=1)
    price: Line(SELECTOR_MAX, min_length=1)
    address: Line(SELECTOR_MAX, min_length=1) | None = None
    lat: Line(SELECTOR_MAX, min_length=1) | None = None
    lon: Line(SELECTOR_MAX, min_length=1) | None = None
    terms: Line(SELECTOR_MAX, min_length=1) | None = None


class Selectors(BaseModel):
    """A css source's selectors in Scrapy's syntax (`::text`, `::attr(x)`): `link` and
    `next` on listing pages, `item` fields on detail pages."""

    model_config = ConfigDict(extra="forbid")

    link: Line(SELECTOR_MAX, min_length=1)
    next: Line(SELECTOR_MAX, min_length=1) | None = None
    item: ItemSelectors


class SourceInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line(100, min_length=2)
    start_url: Line(2000, min_length=8)
    kind: Literal["jsonld", "css"]
    selectors: Selectors | None = None
    schedule: Literal["daily", "weekly"] | None = None
    enabled: bool = True


class SourcePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line(100, min_length=2) | None = None
    start_url: Line(2000, min_length=8) | None = None
    kind: Literal["jsonld", "css"] | None = None
    selectors: Selectors | None = None
    schedule: Literal["daily", "weekly"] | None = None
    enabled: bool | None = None


class SourceOut(BaseModel):
    id: int
    name: str
    start_url: str
    kind: str
    selectors: dict | None
    schedule: str | None
    enabled: bool
    last_run: dict | None = Field(default=None, description="The newest run: id, status, finished_at")


def check_staff(user: User | None) -> User:
    return check_role(user, Role.operator, Role.admin)


def private_hosts_allowed() -> bool:
    """Crawling 127.0.0.1 and private networks: development and test always (the tests
    crawl local fixture sites), production only with MARKET_ALLOW_PRIVATE_HOSTS=true."""
    settings = get_settings()
    return settings.market_allow_private_hosts or settings.environment in ("development", "test")


def is_public_address(host: str) -> bool:
    """False for loopback, private, link-local, multicast, reserved and unspecified
    addresses (the crawler checks every resolved address the same way)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return True  # a name: the crawler checks what it resolves to
    return address.is_global and not address.is_multicast


def check_start_url(url: str) -> str:
    """An absolute http(s) URL with a host, not an address on our own networks unless
    allowed (the SSRF rule; names are checked again by the crawler once resolved)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInput("start_url", tr("это не адрес страницы: нужен полный адрес, например https://example.ru/spaces"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("start_url", tr("нужен полный адрес, начинающийся с http:// или https://"))
    if parts.username or parts.password:
        raise InvalidInput("start_url", tr("адрес не должен содержать логин и пароль"))
    if port == 0:
        raise InvalidInput("start_url", tr("неверный порт"))
    host = parts.hostname.lower()
    local = host == "localhost" or host.endswith(".localhost") or not is_public_address(host)
    if local and not private_hosts_allowed():
        raise InvalidInput("start_url", tr("адреса внутренних сетей обходить нельзя"))
    return url


def check_selector(field: str, css: str) -> None:
    """A selector Scrapy can run (CSS with ::text / ::attr(x))."""
    try:
        Selector(text="<html></html>").css(css)
    except (SelectorError, ValueError):
        raise InvalidInput(field, tr("селектор не разобрать: проверьте скобки, кавычки и ::text / ::attr(имя)")) from None


def check_selectors(kind: str, selectors: Selectors | None) -> dict | None:
    if kind != SourceKind.css.value:
        if selectors is not None:
            raise InvalidInput("selectors", tr("селекторы задаются только для источников вида css"))
        return None
    if selectors is None:
        raise InvalidInput("selectors", tr("для источника вида css нужны селекторы: link и item с external_id, name и price"))
    check_selector("selectors.link", selectors.link)
    if selectors.next:
        check_selector("selectors.next", selectors.next)
    for name in ITEM_FIELDS:
        value = getattr(selectors.item, name)
        if value:
            check_selector(f"selectors.item.{name}", value)
    return selectors.model_dump(exclude_none=True)


def _check_name_free(session: Session, name: str, source_id: int | None = None) -> None:
    taken = session.scalar(select(MarketSource.id).where(func.lower(MarketSource.name) == name.lower(),
                                                         MarketSource.id != (source_id or 0)))
    if taken:
        raise Conflict("name", tr("источник с таким названием уже есть"))


def list_sources(session: Session, user: User | None) -> list[MarketSource]:
    check_staff(user)
    return list(session.scalars(select(MarketSource).order_by(MarketSource.name)))


def access_source(session: Session, user: User | None, source_id: int, *, for_update: bool = False) -> MarketSource:
    check_staff(user)
    source = session.get(MarketSource, source_id, with_for_update=for_update)
    if source is None:
        raise NotFound(tr("Источник не найден"))
    return source


def do_create_source(session: Session, user: User | None, data: SourceInput) -> MarketSource:
    staff = check_staff(user)
    name = data.name.strip()
    _check_name_free(session, name)
    if session.scalar(select(func.count()).select_from(MarketSource)) >= MAX_SOURCES:
        raise Conflict("name", tr("источников уже {MAX_SOURCES}: удалите ненужные", MAX_SOURCES=MAX_SOURCES))
    source = MarketSource(name=name, start_url=check_start_url(data.start_url), kind=data.kind,
                          selectors=check_selectors(data.kind, data.selectors), schedule=data.schedule,
                          enabled=data.enabled, created_by=staff.id)
    session.add(source)
    session.flush()
    return source


def do_update_source(session: Session, user: User | None, source_id: int, data: SourcePatch) -> MarketSource:
    source = access_source(session, user, source_id, for_update=True)
    given: dict[str, Any] = data.model_dump(exclude_unset=True)
    if "name" in given:
        if given["name"] is None:
            raise InvalidInput("name", tr("название не может быть пустым"))
        source.name = given["name"].strip()
        _check_name_free(session, source.name, source.id)
    if "start_url" in given:
        if given["start_url"] is None:
            raise InvalidInput("start_url", tr("адрес не может быть пустым"))
        source.start_url = check_start_url(given["start_url"])
    if "kind" in given and given["kind"] is None:
        raise InvalidInput("kind", tr("укажите вид: jsonld или css"))
    kind = given.get("kind") or source.kind
    if "selectors" in given:
        source.selectors = check_selectors(kind, data.selectors)
    elif kind != source.kind:  # a new kind: a css source needs selectors, another drops them
        source.selectors = check_selectors(kind, None) if kind == SourceKind.css.value else None
    source.kind = kind
    if "schedule" in given:
        source.schedule = given["schedule"]
    if "enabled" in given:
        if given["enabled"] is None:
            raise InvalidInput("enabled", tr("укажите true или false"))
        source.enabled = given["enabled"]
    session.flush()
    return source


def do_delete_source(session: Session, user: User | None, source_id: int) -> None:
    """The source goes with its runs and listings (ON DELETE CASCADE)."""
    source = access_source(session, user, source_id, for_update=True)
    session.delete(source)
    session.flush()
