"""/admin/market: the operators' market data (services/market, docs/market.md), one state per
tab: the crawl sources (the table, the create/edit form, "Обойти сейчас", a test on one
page), the runs (progress refreshed while one is queued or running, the errors of a run) and
the competitors' listings (filters, pages, Excel, a map). No queries here."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime

import reflex as rx
from pydantic import ValidationError

from coworking_app.formatting import (
    MARKET_CANCELLATION_LABELS,
    MARKET_KIND_LABELS,
    MARKET_RUN_STATUS_LABELS,
    MARKET_SCHEDULE_LABELS,
    MARKET_TRIGGER_LABELS,
    UNIT_LABELS,
    format_money,
    format_moment,
    plural,
)
from coworking_app.maps import MapPin, publish, render_map
from coworking_app.services.admin.analytics import report_zone
from coworking_app.services.catalog import catalog
from coworking_app.services.market import crawls, ingest, listings, normalize, runs, sources
from state.inputs import parse_id, parse_step
from state.page import Outcome, PageState
from coworking_app.i18n import Labels, N_, tr

ITEM_FIELDS = sources.ITEM_FIELDS  # external_id, name, address, price, lat, lon, terms
SELECTOR_KEYS = ("link", "next", *ITEM_FIELDS)
# The service's field (InvalidInput.field, or a pydantic error's location) -> the form's field.
FORM_FIELDS = {"name": "name", "start_url": "start_url", "kind": "kind", "schedule": "schedule",
               "enabled": "enabled", "selectors": "selectors", "selectors.item": "selectors",
               "selectors.link": "sel_link", "selectors.next": "sel_next",
               **{f"selectors.item.{k}": f"sel_{k}" for k in ITEM_FIELDS}}
EMPTY_FORM = {"name": "", "start_url": "", "kind": "jsonld", "schedule": "none",
              **{f"sel_{k}": "" for k in SELECTOR_KEYS}}
# What "Проверить на странице" shows of an extracted item, in this order.
TEST_LABELS = Labels({"external_id": N_("ID на сайте"), "name": N_("Название"), "url": N_("Страница"), "address": N_("Адрес"),
               "lat": N_("Широта"), "lon": N_("Долгота"), "prices": N_("Цены на странице"), "terms": N_("Условия"),
               "min_duration": N_("Минимальный срок"), "amenities": N_("Удобства")})
ACTIVE = runs.ACTIVE  # queued or running: the one definition in services/market/runs.py
RUNS_SHOWN = 30
MAP_PINS = 300


def _when(value: datetime | None) -> str:
    return format_moment(value, report_zone()) if value else "—"


def _sentence(message: str) -> str:
    """A service's message ("селектор не разобрать: ...") as a sentence on its own."""
    return message[:1].upper() + message[1:]


def _form_field(done: Outcome) -> str:
    """Where the form shows a refusal: the field the service or the input model names."""
    key = done.field
    if done.from_model and isinstance(done.reason, ValidationError) and done.reason.errors():
        key = ".".join(str(part) for part in done.reason.errors()[0].get("loc", ()))
    return FORM_FIELDS.get(key, "")


def _source_body(form: dict[str, str], enabled: bool) -> dict:
    """The form as the services' input (SourceInput / SourcePatch): empty selectors left out,
    so that a required one is refused as missing."""
    text = {k: v.strip() for k, v in form.items()}
    selectors = None
    if text["kind"] == "css":
        selectors = {k: text[f"sel_{k}"] for k in ("link", "next") if text[f"sel_{k}"]}
        selectors["item"] = {k: text[f"sel_{k}"] for k in ITEM_FIELDS if text[f"sel_{k}"]}
    return {"name": text["name"], "start_url": text["start_url"], "kind": text["kind"], "selectors": selectors,
            "schedule": None if text["schedule"] == "none" else text["schedule"], "enabled": enabled}


# --- sources ----------------------------------------------------------------------------------


@dataclass
class SourceRow:
    id: int = 0
    name: str = ""
    start_url: str = ""
    kind: str = ""
    schedule: str = ""
    enabled: bool = True
    last_status: str = ""  # queued | running | finished | failed | "" (never crawled)
    last_label: str = ""
    last_when: str = ""


def _source_row(source, last) -> SourceRow:
    return SourceRow(
        id=source.id, name=source.name, start_url=source.start_url,
        kind=MARKET_KIND_LABELS.get(source.kind, source.kind),
        schedule=MARKET_SCHEDULE_LABELS.get(source.schedule or "", source.schedule or ""), enabled=source.enabled,
        last_status=last.status if last else "",
        last_label=MARKET_RUN_STATUS_LABELS.get(last.status, last.status) if last else tr("не обходился"),
        last_when=_when(last.finished_at or last.started_at or last.created_at) if last else "")


def _shown(value) -> str:
    """An extracted value as text: prices as the page wrote them, lists joined."""
    if isinstance(value, list):
        parts = []
        for part in value:
            if isinstance(part, dict):
                part = part.get("text") or " ".join(str(part[k]) for k in ("amount", "currency", "unit_code")
                                                    if part.get(k) is not None)
            parts.append(str(part))
        return "; ".join(p for p in parts if p)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _read_price(item: dict) -> str:
    """What the import would make of the item's prices (ingest.read_prices), or why not."""
    try:
        prices = ingest.read_prices([ingest.PriceIn.model_validate(p) for p in item.get("prices") or []])
    except (normalize.PriceError, ValidationError) as exc:
        return tr("не прочитать: ") + getattr(exc, "reason", tr("цена в неожиданном виде"))
    return ", ".join(tr("{format_money} за {get}", format_money=format_money(p['amount_minor'], p['currency']), get=UNIT_LABELS.get(u, u))
                     for u, p in prices.items())


def _test_fields(item: dict) -> list[list[str]]:
    """[label, value, "1" when nothing was found] per field, then how the price reads."""
    fields = [[label, _shown(item.get(key)) or tr("не найдено"), "" if _shown(item.get(key)) else "1"]
              for key, label in TEST_LABELS.items()]
    price = _read_price(item)
    return [*fields, [tr("Цена для сравнения"), price, "1" if price.startswith(tr("не ")) else ""]]


class MarketSourcesState(PageState):
    rows: list[SourceRow] = []
    allowed: bool = True
    loading: bool = True
    error: str = ""
    busy_id: int = 0
    # the create/edit form (editing = the source's id, 0 for a new one)
    form_open: bool = False
    editing: int = 0
    form: dict[str, str] = dict(EMPTY_FORM)
    enabled: bool = True
    error_field: str = ""  # the form's field the refusal is about ("": the form as a whole)
    form_error: str = ""
    saving: bool = False
    # "Удалить" asks first
    deleting: int = 0
    deleting_name: str = ""
    # "Проверить на странице"
    test_id: int = 0
    test_name: str = ""
    test_url: str = ""
    test_error: str = ""
    testing: bool = False
    tested: bool = False
    test_items: list[list[list[str]]] = []

    @rx.event
    async def load(self):
        self.loading = True
        yield
        await self._reload()
        self.loading = False

    @rx.event
    async def refresh(self):
        await self._reload()

    async def _reload(self) -> None:
        def work(s, _fx, u):
            newest = runs.newest_runs(s, u)
            return [_source_row(src, newest.get(src.id)) for src in sources.list_sources(s, u)]
        done = await self._act(work)
        self.allowed = not done.denied
        self.error = "" if done.ok or done.denied else done.message
        if done.ok:
            self.rows = done.value

    def _row(self, source_id) -> SourceRow | None:
        source_id = parse_id(source_id)
        return next((r for r in self.rows if r.id == source_id), None)

    # the form

    @rx.event
    def open_new(self):
        self.form, self.enabled, self.editing = dict(EMPTY_FORM), True, 0
        self.error_field = self.form_error = ""
        self.form_open = True

    @rx.event
    async def open_edit(self, source_id: int):
        source_id = parse_id(source_id)
        if source_id is None:
            return
        done = await self._act(lambda s, _fx, u: sources.access_source(s, u, source_id).model_dump())
        if not done.ok:
            yield done.toast()
            return
        src = done.value
        chosen = src.get("selectors") or {}
        item = chosen.get("item") or {}
        self.form = {"name": src["name"], "start_url": src["start_url"], "kind": src["kind"],
                     "schedule": src["schedule"] or "none",
                     **{f"sel_{k}": str(chosen.get(k) or "") for k in ("link", "next")},
                     **{f"sel_{k}": str(item.get(k) or "") for k in ITEM_FIELDS}}
        self.enabled, self.editing = bool(src["enabled"]), source_id
        self.error_field = self.form_error = ""
        self.form_open = True

    @rx.event
    def close_form(self):
        self.form_open, self.editing = False, 0

    @rx.event
    def set_form(self, name: str, value: str):
        if name not in EMPTY_FORM:
            return
        value = str(value)[:2000]
        if name == "kind" and value not in MARKET_KIND_LABELS:
            return
        if name == "schedule" and value not in ("none", "daily", "weekly"):
            return
        self.form = {**self.form, name: value}
        if name == self.error_field or (name == "kind" and self.error_field.startswith("sel")):
            self.error_field = self.form_error = ""  # fixed: the old complaint goes

    @rx.event
    def set_enabled(self, value: bool):
        self.enabled = bool(value)

    @rx.event
    async def save(self):
        body, source_id = _source_body(dict(self.form), self.enabled), self.editing
        self.saving, self.error_field, self.form_error = True, "", ""
        yield
        try:
            if source_id:
                done = await self._act(lambda s, _fx, u: sources.do_update_source(
                    s, u, source_id, sources.SourcePatch.model_validate(body)).name)
            else:
                done = await self._act(lambda s, _fx, u: sources.do_create_source(
                    s, u, sources.SourceInput.model_validate(body)).name)
            if not done.ok:
                self.error_field, self.form_error = _form_field(done), _sentence(done.message)
                return
            self.form_open, self.editing = False, 0
            yield rx.toast.success(tr("Источник «{value}» сохранён", value=done.value) if source_id else
                                   tr("Источник «{value}» добавлен", value=done.value))
            await self._reload()
            yield MarketListingsState.refresh
        finally:
            self.saving = False

    # the row's buttons

    @rx.event
    async def crawl(self, source_id: int):
        row = self._row(source_id)
        if row is None:
            return
        source_id, name = row.id, row.name
        self.busy_id = source_id
        yield
        try:
            done = await self._act(lambda s, fx, u: runs.do_request_crawl(s, fx, u, source_id).id)
            if not done.ok:
                yield done.toast()
                return
            yield rx.toast.success(tr("Обход «{name}» поставлен в очередь (запуск № {value})", name=name, value=done.value))
            await self._reload()
            yield MarketRunsState.refresh
        finally:
            self.busy_id = 0

    @rx.event
    def ask_delete(self, source_id: int):
        row = self._row(source_id)
        if row is not None:
            self.deleting, self.deleting_name = row.id, row.name

    @rx.event
    def cancel_delete(self):
        self.deleting = 0

    @rx.event
    async def delete(self):
        source_id, name = self.deleting, self.deleting_name
        if not source_id:
            return
        self.deleting, self.busy_id = 0, source_id
        yield
        try:
            done = await self._act(lambda s, _fx, u: sources.do_delete_source(s, u, source_id))
            if not done.ok:
                yield done.toast()
                return
            yield rx.toast.success(tr("Источник «{name}» удалён вместе с его запусками и объявлениями", name=name))
            await self._reload()
            yield MarketRunsState.refresh
            yield MarketListingsState.refresh
        finally:
            self.busy_id = 0

    # "Проверить на странице"

    @rx.event
    def open_test(self, source_id: int):
        row = self._row(source_id)
        if row is not None:
            self.test_id, self.test_name, self.test_url = row.id, row.name, row.start_url
            self.test_error, self.test_items, self.tested = "", [], False

    @rx.event
    def close_test(self):
        if not self.testing:
            self.test_id = 0

    @rx.event
    def set_test_url(self, value: str):
        self.test_url, self.test_error = str(value)[:2000], ""

    @rx.event(background=True)
    async def run_test(self):
        """The crawler fetches the page in a child process (up to crawls.TEST_TIMEOUT s): off
        the event loop and outside the state's lock."""
        async with self:
            if self.testing or not self.test_id:
                return
            self.testing, self.test_error, self.test_items, self.tested = True, "", [], False
            source_id, url, token = self.test_id, self.test_url.strip(), await self._token()
        try:
            done = await self._act_as_in_thread(token, lambda s, _fx, u: [
                _test_fields(item) for item in crawls.test_source(s, u, source_id, url) if isinstance(item, dict)])
        finally:
            async with self:
                self.testing = False
        async with self:
            if self.test_id == source_id:
                self.tested, self.test_error, self.test_items = True, _sentence(done.message), done.value or []


# --- runs ---------------------------------------------------------------------------------------


@dataclass
class RunRow:
    id: int = 0
    source: str = ""
    status: str = ""
    status_label: str = ""
    trigger: str = ""
    pages: int = 0
    found: int = 0
    stored: int = 0
    errors: int = 0
    created: str = ""
    started: str = ""
    finished: str = ""
    duration: str = ""
    reason: str = ""


def _duration(run: runs.RunOut) -> str:
    if not run.started_at or not run.finished_at:
        return ""
    seconds = max(0, round((run.finished_at - run.started_at).total_seconds()))
    return tr("{value} мин {value2} с", value=seconds // 60, value2=seconds % 60) if seconds >= 60 else tr("{seconds} с", seconds=seconds)


def _run_row(run: runs.RunOut, names: dict[int, str]) -> RunRow:
    return RunRow(id=run.id, source=names.get(run.source_id, f"№ {run.source_id}"), status=run.status,
                  status_label=MARKET_RUN_STATUS_LABELS.get(run.status, run.status),
                  trigger=MARKET_TRIGGER_LABELS.get(run.trigger, run.trigger), pages=run.pages, found=run.items,
                  stored=run.stored, errors=run.error_count, created=_when(run.created_at),
                  started=_when(run.started_at), finished=_when(run.finished_at), duration=_duration(run),
                  reason=run.reason or "")


class MarketRunsState(PageState):
    rows: list[RunRow] = []
    allowed: bool = True
    loading: bool = True
    error: str = ""
    polling: bool = False
    # the run whose errors are shown
    chosen: int = 0
    chosen_title: str = ""
    chosen_errors: list[list[str]] = []  # [url, reason]
    chosen_more: int = 0  # errors counted beyond those kept (runs.ERRORS_KEPT)

    @rx.var(cache=False)  # worded in the tab's language
    def active(self) -> bool:
        return any(r.status in ACTIVE for r in self.rows)

    @rx.event
    async def load(self):
        self.loading = True
        yield
        await self._reload()
        self.loading = False
        if self.active and not self.polling:
            yield MarketRunsState.poll

    @rx.event
    async def refresh(self):
        await self._reload()
        if self.active and not self.polling:
            return MarketRunsState.poll
        return None

    @rx.event
    async def choose(self, run_id: int):
        run_id = parse_id(run_id) or 0
        self.chosen = 0 if run_id == self.chosen else run_id
        await self._reload()

    async def _reload(self) -> None:
        chosen = self.chosen

        def work(s, _fx, u):
            names = {src.id: src.name for src in sources.list_sources(s, u)}
            found = [runs.run_out(r) for r in runs.list_runs(s, u, limit=RUNS_SHOWN)]
            return [_run_row(r, names) for r in found], next((r for r in found if r.id == chosen), None)

        done = await self._act(work)
        self.allowed = not done.denied
        self.error = "" if done.ok or done.denied else done.message
        if not done.ok:
            return
        self.rows, picked = done.value
        self.chosen = picked.id if picked else 0
        self.chosen_errors = [[e.url, e.reason] for e in picked.errors] if picked else []
        self.chosen_more = max(0, picked.error_count - len(picked.errors)) if picked else 0
        self.chosen_title = tr("Ошибки запуска № {id}", id=picked.id) if picked else ""

    def _progress(self) -> tuple:
        return tuple((r.id, r.status, r.stored) for r in self.rows)

    @rx.event(background=True)
    async def poll(self):
        """While a run is queued or running, its counters every 2.5 s (at most 30 minutes;
        the page starts it again on the next load or "Обойти сейчас"); the sources' last
        run and the listings follow when something changed."""
        async with self:
            if self.polling:
                return
            self.polling = True
        try:
            for _ in range(720):
                await asyncio.sleep(2.5)
                async with self:
                    before = self._progress()
                    await self._reload()
                    changed, active = self._progress() != before, self.active
                if changed:
                    yield MarketSourcesState.refresh
                    yield MarketListingsState.refresh
                if not active:
                    break
        finally:
            async with self:
                self.polling = False


# --- listings -----------------------------------------------------------------------------------


@dataclass
class ListingRow:
    id: int = 0
    name: str = ""
    url: str = ""
    source: str = ""
    price: str = ""
    address: str = ""
    district: str = ""
    cancellation: str = ""
    seen: str = ""


def _listing_row(item: listings.ListingOut, names: dict[int, str]) -> ListingRow:
    price = (f"{format_money(item.price_minor, item.currency)}/{UNIT_LABELS.get(item.unit, item.unit)}"
             if item.price_minor and item.currency and item.unit else "—")
    return ListingRow(id=item.id, name=item.name, url=item.url, source=names.get(item.source_id, ""), price=price,
                      address=item.address or "—", district=item.district or "—",
                      cancellation=MARKET_CANCELLATION_LABELS.get(item.cancellation, item.cancellation),
                      seen=_when(item.last_seen_at))


class MarketListingsState(PageState):
    rows: list[ListingRow] = []
    total: int = 0
    page: int = 1
    page_size: int = 25
    source: str = ""  # a source's id, "" for every source
    city: str = ""  # a city's slug, "" for every city
    source_choices: list[list[str]] = []
    city_choices: list[list[str]] = []
    allowed: bool = True
    loading: bool = True
    error: str = ""
    exporting: bool = False
    map_url: str = ""
    map_note: str = ""

    @rx.var
    def pages(self) -> int:
        return max(1, (self.total + self.page_size - 1) // self.page_size)

    @rx.event
    async def load(self):
        self.loading = True
        yield
        await self._reload()
        self.loading = False

    @rx.event
    async def refresh(self):
        await self._reload()

    @rx.event
    async def set_source(self, value: str):
        self.source = str(parse_id(value) or "") if value != "all" else ""
        self.page = 1
        await self._reload()

    @rx.event
    async def set_city(self, value: str):
        value = str(value)[:60]
        self.city = "" if value == "all" or value not in {c[0] for c in self.city_choices} else value
        self.page = 1
        await self._reload()

    @rx.event
    async def go_page(self, step: int):
        target = self.page + parse_step(step)
        if 1 <= target <= self.pages and target != self.page:
            self.page = target
            await self._reload(with_map=False)

    async def _reload(self, with_map: bool = True) -> None:
        source_id, city, size = parse_id(self.source), self.city or None, self.page_size
        offset = (self.page - 1) * size

        def work(s, _fx, u):
            found = listings.list_listings(s, u, source_id=source_id, city=city, limit=size, offset=offset)
            pins = (listings.list_listings(s, u, source_id=source_id, city=city, located=True, limit=MAP_PINS)
                    if with_map else None)
            names = {src.id: src.name for src in sources.list_sources(s, u)}
            return found, pins, names, catalog.list_cities(s)

        done = await self._act(work)
        self.allowed = not done.denied
        self.error = "" if done.ok or done.denied else done.message
        if not done.ok:
            return
        found, pins, names, cities = done.value
        self.source_choices = [[str(i), n] for i, n in names.items()]
        self.city_choices = [[c.slug, c.name] for c in cities]
        self.rows, self.total = [_listing_row(i, names) for i in found.items], found.total
        if pins is not None:
            self._show_map(pins, names, next((c for c in cities if c.slug == city), None))

    def _show_map(self, pins: listings.ListingPage, names: dict[int, str], city) -> None:
        points = [MapPin(i.lat, i.lon, format_money(i.price_minor, i.currency) if i.price_minor else "?", i.name,
                         " · ".join(x for x in (names.get(i.source_id, ""),
                                               tr("за {get}", get=UNIT_LABELS.get(i.unit, i.unit)) if i.unit else "") if x))
                  for i in pins.items if i.lat is not None and i.lon is not None]
        if not points:
            self.map_url, self.map_note = "", ""
            return
        centre = (city.lat, city.lon) if city else (sum(p.lat for p in points) / len(points),
                                                     sum(p.lon for p in points) / len(points))
        self.map_url = publish(render_map(points, centre, zoom=11))
        shown = plural(len(points), "объявление", "объявления", "объявлений")
        self.map_note = (tr("На карте {shown} с координатами", shown=shown) +
                         (tr(" (первые {MAP_PINS} из {total})", MAP_PINS=MAP_PINS, total=pins.total) if pins.total > len(points) else ""))

    @rx.event
    async def export(self):
        source_id, city = parse_id(self.source), self.city or None
        self.exporting = True
        yield
        try:
            done = await self._act(lambda s, _fx, u: listings.export_listings(s, u, source_id=source_id, city=city))
            if done.ok:
                yield rx.download(data=done.value.content, filename=done.value.filename)
            else:
                yield done.toast()
        finally:
            self.exporting = False
