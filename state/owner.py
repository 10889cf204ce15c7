"""The owner cabinet: my spaces, the editor of one space and its preview. Every handler
re-checks the session and ownership through the services (`access_space_for_owner`),
whatever ids the browser sends."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import reflex as rx
from coworking_app.formatting import format_money, zone_name
from coworking_app.maps import MOSCOW_CENTRE, MapPin, publish, render_map
from coworking_app.services.catalog import catalog, geo, owner_editor, owner_spaces, photos, places
from coworking_app.services.common.errors import InvalidInput
from state.inputs import parse_id, parse_roubles, parse_step
from state.page import Outcome, PageState
from state.space import SpaceState
from state.views import Option
from coworking_app.i18n import Labels, N_, tr

STATUS_LABELS = Labels({"draft": N_("Черновик"), "pending_review": N_("На модерации"),
                 "published": N_("Опубликовано"), "hidden": N_("Скрыто")})
KIND_LABELS = Labels({"hot_desk": N_("Незакреплённые места"), "fixed_desk": N_("Закреплённое место"),
               "meeting_room": N_("Переговорная"), "private_office": N_("Кабинет")})
UNIT_LABELS = Labels({"hour": N_("час"), "day": N_("день"), "month": N_("месяц")})
DAYS = [("mon", N_("Пн")), ("tue", N_("Вт")), ("wed", N_("Ср")), ("thu", N_("Чт")), ("fri", N_("Пт")),
        ("sat", N_("Сб")), ("sun", N_("Вс"))]


@dataclass
class OwnerSpaceRow:
    id: int = 0
    name: str = ""
    address: str = ""
    status: str = ""
    status_label: str = ""


@dataclass
class TariffView:
    id: int = 0
    label: str = ""


@dataclass
class ResourceView:
    id: int = 0
    name: str = ""
    details: str = ""
    tariffs: list[TariffView] = field(default_factory=list)


@dataclass
class PhotoView:
    id: int = 0
    thumb: str = ""


@dataclass
class PlaceOption:
    """An address suggestion under the address field (services/catalog/places.py)."""

    index: int = 0
    label: str = ""
    detail: str = ""
    icon: str = "map-pin"


PLACE_ICONS = {"stop": "train-front", "district": "map", "city": "building-2", "space": "building"}
PICK_HINT = N_("Точка перенесена: нажмите «Сохранить», чтобы гости увидели её")


class PinPicker(PageState, mixin=True):
    """The space's pin, placed by an address suggestion, a click on the map or a dragged
    marker; latitude, longitude, city, district and time zone follow from it
    (services/catalog/geo.place_of_point), nobody types them. Shared by the new-space
    form and the editor."""

    lat: str = ""
    lon: str = ""
    place: str = ""  # "Москва, Тверской"
    timezone: str = ""
    map_url: str = ""
    pin_error: str = ""
    pin_moved: bool = False  # a new point not saved yet
    suggestions: list[PlaceOption] = []
    _suggested: list[dict] = []  # the suggestions' points (server side only)

    def _map_at(self, lat: float | None, lon: float | None, title: str = "", zoom: int = 15) -> None:
        if lat is None or lon is None:
            self.map_url = publish(render_map([], MOSCOW_CENTRE, zoom=10, pickable=True))
        else:
            self.map_url = publish(render_map([MapPin(lat, lon, "•", title or tr("Точка пространства"))],
                                              (lat, lon), zoom=zoom, pickable=True))

    def _show_place(self, place: geo.PointPlace) -> None:
        self.lat, self.lon = f"{place.lat:.6f}", f"{place.lon:.6f}"
        self.place, self.timezone = place.label, place.timezone

    def _point(self) -> tuple[float, float] | tuple[None, None]:
        try:
            lat, lon = float(self.lat), float(self.lon)
        except ValueError:
            return None, None
        return (lat, lon) if math.isfinite(lat) and math.isfinite(lon) else (None, None)

    def _locate(self, lat: float, lon: float) -> bool:
        """The pin at (lat, lon) with the city, district and zone it lies in; False (and the
        reason) for a point outside the service's cities."""
        done = self._read(lambda session: geo.place_of_point(session, lat, lon))
        if not done.ok:
            self.pin_error = done.message
            return False
        self._show_place(done.value)
        self.pin_error, self.pin_moved = "", True
        return True

    @rx.event
    def pick_point(self, value: str):
        """A click on the map or a dropped marker ("lat,lon" from assets/map-pick.js)."""
        parts = str(value)[:64].split(",")
        try:
            lat, lon = (round(float(p), 6) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
        except ValueError:
            return
        if not self._locate(lat, lon):
            self._map_at(*self._point())  # the marker goes back where it was

    @rx.event
    def suggest(self, query: str):
        """Suggestions for what is typed into the address field."""
        query = str(query)[:100]
        client_ip = self._client_ip()
        done = self._read(lambda session: places.address_suggestions(session, query, client_ip=client_ip, limit=6))
        found = done.value if done.ok else []
        self._suggested = [{"lat": p.lat, "lon": p.lon, "label": p.label, "detail": p.detail, "kind": p.kind}
                           for p in found]
        self.suggestions = [PlaceOption(i, p.label, p.detail, PLACE_ICONS.get(p.kind, "map-pin"))
                            for i, p in enumerate(found)]

    @rx.event
    def close_suggestions(self):
        self.suggestions, self._suggested = [], []

    def _chosen(self, index: int) -> dict | None:
        """The suggestion picked, the pin moved to it and the list closed (None if gone)."""
        try:
            i = int(index)
        except (TypeError, ValueError):
            i = -1
        chosen = self._suggested[i] if 0 <= i < len(self._suggested) else None
        self.suggestions, self._suggested = [], []
        if chosen is not None and self._locate(chosen["lat"], chosen["lon"]):
            self._map_at(chosen["lat"], chosen["lon"], chosen["label"], zoom=16 if chosen["kind"] == "space" else 15)
            return chosen
        return None

    @rx.var
    def timezone_label(self) -> str:
        """"Europe/Moscow, МСК": the city's zone, as the page shows it."""
        if not self.timezone:
            return ""
        try:
            now = datetime.now(timezone.utc).astimezone(ZoneInfo(self.timezone))
        except (KeyError, ValueError):
            return self.timezone
        return f"{self.timezone}, {zone_name(now)}"


class OwnerState(PinPicker, PageState):
    spaces: list[OwnerSpaceRow] = []
    new_name: str = ""
    new_address: str = ""
    error: str = ""
    error_field: str = ""
    creating: bool = False

    @rx.event
    async def load(self):
        done = await self._act(lambda s, _fx, u: owner_spaces.list_owner_spaces(s, u))
        if done.denied:
            self.error = tr("Раздел для владельцев пространств")
        self.spaces = [OwnerSpaceRow(s.id, s.name, s.address, s.status, STATUS_LABELS.get(s.status, s.status))
                       for s in done.value or []]
        if not self.map_url:
            self._map_at(*self._point())

    @rx.event
    def set_new(self, name: str, value: str):
        if name in ("new_name", "new_address"):
            setattr(self, name, str(value)[:255])
            self.error, self.error_field = "", ""  # the complaint was about what the owner is changing now

    @rx.event
    def choose_place(self, index: int):
        chosen = self._chosen(index)
        if chosen is not None and chosen["kind"] == "space":
            self.new_address = chosen["detail"]  # a known address: as it is written there

    @rx.event
    async def create(self, _form: dict):
        self.error, self.error_field = "", ""
        lat, lon = self._point()
        if lat is None:
            self.error, self.error_field = (tr("Отметьте, где пространство: выберите адрес из подсказок или нажмите на карту")), "lat"
            return None
        self.creating = True
        name, address = self.new_name, self.new_address
        try:
            done = await self._act(lambda s, _fx, u: owner_spaces.do_create_space(
                s, u, owner_spaces.SpaceCreate(name=name, address=address, lat=lat, lon=lon)).id)
            if not done.ok:
                self.error_field, self.error = _message(done)
                return None
            self.new_name = self.new_address = self.lat = self.lon = self.place = self.timezone = ""
            self.pin_moved, self.map_url = False, ""
            return rx.redirect(f"/owner/spaces/{done.value}")
        finally:
            self.creating = False


# Which part of the editor shows an error about a field (the rest go to the top).
DETAIL_FIELDS = ("name", "description", "name_en", "description_en", "address", "lat", "lon", "timezone", "opening_hours", "amenities")
# Refusals about the pin are said under the map.
PIN_FIELDS = ("lat", "lon", "timezone")
FIELD_LABELS = Labels({"name": N_("Название"), "description": N_("Описание"),
                       "name_en": N_("Название по-английски"), "description_en": N_("Описание по-английски"), "address": N_("Адрес"), "lat": N_("Широта"),
                "lon": N_("Долгота"), "timezone": N_("Часовой пояс"), "kind": N_("Тип"), "capacity": N_("Мест"),
                "min_minutes": N_("Минимальная бронь"), "max_minutes": N_("Максимальная бронь"), "unit": N_("Единица"),
                "price": N_("Цена"), "price_minor": N_("Цена"), "currency": N_("Валюта"), "file": N_("Фото")})
UPLOAD_REFUSALS = Labels({"file-invalid-type": N_("это не JPEG и не PNG"), "file-too-large": N_("файл больше 5 МБ"),
                   "too-many-files": N_("за один раз — не больше 10 файлов")})


def _message(refusal: Outcome) -> tuple[str, str]:
    """(field, Russian message) of a refusal: a service message is a whole sentence; a model's
    gets the field's label in front."""
    label = FIELD_LABELS.get(refusal.field) if refusal.from_model else None
    return refusal.field, f"{label}: {refusal.message}" if label else refusal.message


def _whole(value: object, field: str, label: str, default: int | None = None) -> int:
    """A whole number typed into a form (the models are strict: "2" is not 2)."""
    text = str(value if value is not None else "").strip()
    if not text and default is not None:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise InvalidInput(field, tr("{label}: целое число, например 4", label=label))
    return int(text)


def _clock(value: str) -> str:
    """A time as typed ("9:00", "09.30", " 21:00 ") in the form the service checks ("09:00");
    anything else as it is, for the service to refuse in words."""
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,2})[:.](\d{2})", text)
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else text


def _duration(value: object, field: str, label: str, default: float, unit_minutes: int) -> int:
    text = str(value if value is not None else "").strip().replace(",", ".")
    try:
        number = float(text) if text else default
    except ValueError as exc:
        raise InvalidInput(field, tr("{label}: число, например {default:g}", label=label, default=default)) from exc
    if not 0 < number < 10_000:
        raise InvalidInput(field, tr("{label}: число больше нуля", label=label))
    return round(number * unit_minutes)


class SpaceEditorState(PinPicker, PageState):
    editing_id: int = 0  # not `space_id`: that name is the route argument
    status: str = ""
    status_label: str = ""
    moderation_note: str = ""  # why a moderator rejected or hid the space
    awaiting_review: bool = False  # a published space's edits wait for a moderator
    gaps: list[str] = []  # what the space still lacks before moderation (owner_spaces.submission_gaps)
    name: str = ""
    description: str = ""
    name_en: str = ""
    description_en: str = ""
    address: str = ""
    amenities: list[str] = []
    hours_open: dict[str, str] = {}
    hours_close: dict[str, str] = {}
    amenity_options: list[Option] = []
    resources: list[ResourceView] = []
    photos: list[PhotoView] = []
    message: str = ""
    message_scope: str = ""  # where the last success is said (the part of the editor acted on)
    error: str = ""
    # Where the error belongs: a field of "Описание и место" (DETAIL_FIELDS), "resource"
    # (the new-resource form), "tariff-<id>", "photos", "submit", or "" (the top of the page).
    error_field: str = ""
    not_found: bool = False
    uploading: bool = False
    # A deletion waits for "Удалить" in the dialog: resource | tariff | photo, and its id.
    confirm_kind: str = ""
    confirm_id: int = 0

    def _space_id_param(self) -> int:
        raw = str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]
        return int(raw) if raw.isdigit() and len(raw) < 10 else 0

    @rx.event
    async def load(self):
        self.editing_id = self._space_id_param()
        self.message = self.error = self.error_field = ""
        return await self._reload()

    async def _reload(self):
        space_id = self.editing_id
        done = await self._act(lambda s, _fx, u: (owner_editor.space_editor(s, u, space_id),
                                                  catalog.list_amenities(s)))
        self.not_found = not done.ok
        if done.ok:
            view, amenities = done.value
            self.amenity_options = [Option(a.code, a.name) for a in amenities]
            self._fill(view)

    def _fill(self, view: owner_editor.SpaceEditor) -> None:
        """The editor's fields from the one view of the space (services.catalog.owner_editor)."""
        space = view.space
        self.status = space.status
        self.status_label = STATUS_LABELS.get(space.status, space.status)
        self.moderation_note = view.moderation_note
        self.awaiting_review = view.awaiting_review
        self.gaps = [gap.message for gap in view.gaps]
        self.name, self.description, self.address = space.name, space.description, space.address
        self.name_en, self.description_en = space.name_en, space.description_en
        self.lat, self.lon, self.timezone = f"{space.lat:.6f}", f"{space.lon:.6f}", space.timezone
        self.pin_moved, self.pin_error, self.suggestions = False, "", []
        self.amenities = list(space.amenities)
        hours = space.opening_hours or {}
        self.hours_open = {d: (hours.get(d) or {}).get("open", "") for d, _ in DAYS}
        self.hours_close = {d: (hours.get(d) or {}).get("close", "").replace("24:00", "00:00") for d, _ in DAYS}
        self.resources = [ResourceView(
            id=r.id, name=r.name,
            details=tr("{get} · {capacity} мест · от {value:g} ч до {value2:g} дн.", get=KIND_LABELS.get(r.kind, r.kind), capacity=r.capacity, value=r.min_minutes / 60, value2=r.max_minutes / 1440),
            tariffs=[TariffView(t.id, f"{format_money(t.price_minor, t.currency)} / "
                                      f"{UNIT_LABELS.get(t.unit, t.unit)}") for t in r.tariffs],
        ) for r in view.resources]
        self.photos = [PhotoView(p.id, p.thumb_url) for p in view.photos]
        self.place = view.place
        self._map_at(space.lat, space.lon, space.name)

    @rx.var
    def can_submit(self) -> bool:
        return self.status in ("draft", "hidden") and not self.gaps

    @rx.var(cache=False)  # worded in the tab's language
    def round_the_clock(self) -> bool:
        return all(self.hours_open.get(d) == "00:00" and self.hours_close.get(d) == "00:00" for d, _ in DAYS)

    def _clear(self, *fields: str) -> None:
        """Input changed: a complaint about it is no longer true (the stale-error trap)."""
        if self.error and self.error_field in fields:
            self.error, self.error_field = "", ""

    @rx.event
    def set_field(self, name: str, value: str):
        if name in ("name", "description", "name_en", "description_en", "address"):
            setattr(self, name, str(value)[:5000])
            self._clear(name)

    @rx.event
    def choose_place(self, index: int):
        chosen = self._chosen(index)
        if chosen is not None:
            self._clear(*PIN_FIELDS)
            if chosen["kind"] == "space":
                self.address = chosen["detail"]  # a known address: as it is written there
                self._clear("address")

    @rx.event
    def set_hours(self, day: str, edge: str, value: str):
        if day in dict(DAYS) and edge in ("open", "close"):
            target = self.hours_open if edge == "open" else self.hours_close
            setattr(self, f"hours_{edge}", {**target, day: str(value)[:5]})
            self._clear("opening_hours")

    @rx.event
    def set_round_the_clock(self, on: bool):
        """"Круглосуточно, без выходных": every day 00:00–00:00 (or back to empty hours)."""
        value = "00:00" if on is True else ""
        self.hours_open = {d: value for d, _ in DAYS}
        self.hours_close = {d: value for d, _ in DAYS}
        self._clear("opening_hours")

    @rx.event
    def toggle_amenity(self, code: str, checked: bool):
        code = str(code)[:32]
        rest = [c for c in self.amenities if c != code]
        self.amenities = rest + [code] if checked else rest
        self._clear("amenities")

    @rx.event
    def clear_error(self, scope: str):
        self._clear(str(scope)[:40])

    async def _change(self, action, done: str, scope: str = ""):
        """Runs `action(session, effects, user)` as the signed-in person, then shows the fresh
        space. A refusal is shown where it belongs: next to the field in "Описание и место",
        else at `scope`; the form keeps what the owner typed, to fix it."""
        self.message = self.error = self.error_field = ""
        outcome = await self._act(action)
        if outcome.denied:
            self.error = tr("Нет доступа к этому пространству")
        elif not outcome.ok:
            field_name, self.error = _message(outcome)
            self.error_field = field_name if scope == "details" and field_name in DETAIL_FIELDS else scope
            return None
        else:
            self.message, self.message_scope = done, scope
        return await self._reload()

    @rx.event
    async def save(self, _form: dict):
        hours = {}
        for d, _ in DAYS:
            opens, closes = _clock(self.hours_open.get(d, "")), _clock(self.hours_close.get(d, ""))
            if not opens and not closes:
                hours[d] = None
            elif opens == closes == "00:00":
                hours[d] = {"open": "00:00", "close": "00:00"}  # round the clock
            else:  # a close at 00:00 is midnight
                hours[d] = {"open": opens, "close": "24:00" if closes == "00:00" else closes}
            if bool(opens) != bool(closes):
                self.error_field = "opening_hours"
                self.error = tr("Часы работы, {value}: укажите и открытие, и закрытие", value=owner_spaces.DAY_NAMES[d])
                self.message = ""
                return

        space_id, name, description, address = self.editing_id, self.name, self.description, self.address
        name_en, description_en = self.name_en, self.description_en
        lat, lon = self._point()
        amenities = list(self.amenities)
        point = {"lat": lat, "lon": lon} if lat is not None else {}

        def action(session, effects, user):
            fields = owner_spaces.SpaceFields(name=name, description=description, name_en=name_en,
                                              description_en=description_en, address=address,
                                              amenities=amenities, opening_hours=hours, **point)
            owner_spaces.do_update_space(session, effects, user, space_id, fields)

        return await self._change(action, tr("Сохранено"), "details")

    @rx.event
    async def add_resource(self, form: dict):
        space_id = self.editing_id

        def action(session, effects, user):
            fields = owner_spaces.ResourceCreate(
                kind=form.get("kind") or "hot_desk", name=form.get("name", ""),
                capacity=_whole(form.get("capacity"), "capacity", tr("Мест"), default=1),
                min_minutes=_duration(form.get("min_hours"), "min_minutes", tr("Минимальная бронь, часов"), 1, 60),
                max_minutes=_duration(form.get("max_days"), "max_minutes", tr("Максимальная бронь, дней"), 31, 1440))
            owner_spaces.do_add_resource(session, effects, user, space_id, fields)

        return await self._change(action, tr("Место добавлено"), "resource")

    @rx.event
    async def set_tariff(self, form: dict):
        resource_id = parse_id(form.get("resource_id")) or 0

        def action(session, effects, user):
            minor = parse_roubles(form.get("price", ""))
            if minor is None or not str(form.get("price", "")).strip():
                raise InvalidInput("price", tr("Цена: сумма в рублях, например 350 или 350,50"))
            fields = owner_spaces.TariffInput(unit=form.get("unit") or "hour", price_minor=minor)
            owner_spaces.do_set_tariff(session, effects, user, resource_id, fields)

        return await self._change(action, tr("Цена сохранена"), f"tariff-{resource_id}")

    @rx.event
    def ask_delete(self, kind: str, item_id: int):
        """A trash button: asks before deleting (a deleted photo or price does not come back)."""
        if kind in ("resource", "tariff", "photo") and parse_id(item_id):
            self.confirm_kind, self.confirm_id = kind, parse_id(item_id)

    @rx.event
    def cancel_delete(self):
        self.confirm_kind, self.confirm_id = "", 0

    @rx.event
    async def confirm_delete(self):
        kind, item_id = self.confirm_kind, self.confirm_id
        self.confirm_kind, self.confirm_id = "", 0
        if kind == "resource":
            return await self._change(lambda s, fx, u: owner_spaces.do_delete_resource(s, fx, u, item_id),
                                   tr("Место удалено"), "resource")
        if kind == "tariff":
            return await self._change(lambda s, fx, u: owner_spaces.do_delete_tariff(s, fx, u, item_id),
                                   tr("Цена удалена"), "resource")
        if kind == "photo":
            return await self._change(lambda s, fx, u: photos.do_delete_photo(s, fx, u, item_id), tr("Фото удалено"),
                                   "photos")
        return None

    @rx.event
    def photos_rejected(self, files: list[str]):
        """Files the upload box refused in the browser (type, size, count), as "name|codes"
        (pages/owner._refusals): said in Russian, next to the photos."""
        lines = []
        for item in (files if isinstance(files, list) else [])[:10]:
            name, _, codes = str(item).rpartition("|")
            name = name.rsplit("/", 1)[-1][:80] or tr("файл")
            reasons = [UPLOAD_REFUSALS.get(code, tr("файл не подходит")) for code in codes.split(",") if code]
            lines.append(f"{name}: {', '.join(dict.fromkeys(reasons)) or tr('файл не подходит')}")
        self.message = ""
        self.error_field = "photos"
        self.error = (tr("Не загружено — ") + "; ".join(lines) + tr(". Подходят фото JPEG или PNG до 5 МБ.") if lines
                      else tr("Эти файлы не подходят: нужны фото JPEG или PNG до 5 МБ"))

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        if not files:
            self.message, self.error_field = "", "photos"
            self.error = tr("Выберите фото: перетащите их в рамку или нажмите на неё")
            return
        self.uploading = True
        yield
        uploaded = []
        for file in files[:10]:
            uploaded.append(await file.read())

        space_id = self.editing_id

        def action(session, effects, user):
            for data in uploaded:
                photos.do_add_photo(session, effects, user, space_id, data)

        result = await self._change(action, tr("Загружено фото: {len}", len=len(uploaded)), "photos")
        self.uploading = False
        yield result

    @rx.event
    async def make_cover(self, photo_id: int):
        return await self._change(lambda s, fx, u: photos.do_set_cover(s, fx, u, parse_id(photo_id) or 0),
                               tr("Обложка выбрана"), "photos")

    @rx.event
    async def move_photo(self, photo_id: int, step: int):
        order = [p.id for p in self.photos]
        photo_id = parse_id(photo_id)
        if photo_id not in order:
            return
        i = order.index(photo_id)
        j = max(0, min(len(order) - 1, i + parse_step(step)))
        order[i], order[j] = order[j], order[i]
        space_id = self.editing_id
        return await self._change(
            lambda s, fx, u: photos.do_reorder_photos(s, fx, u, space_id, order), tr("Порядок сохранён"), "photos")

    @rx.event
    async def submit_for_review(self):
        space_id = self.editing_id
        return await self._change(
            lambda s, fx, u: owner_spaces.do_submit_for_review(s, fx, u, space_id),
            tr("Отправлено на модерацию"), "submit")


class SpacePreviewState(PageState):
    """/owner/spaces/<id>/preview: the public space page (pages/space.py, SpaceState) filled
    with the space as it is now, whatever its status, for its owner and staff
    (owner_editor.space_preview); anyone else gets the page's "not found"."""

    editing_id: int = 0
    status_label: str = ""

    @rx.event
    async def load(self):
        parts = str(self.router.url.path).rstrip("/").split("/")
        self.editing_id = space_id = parse_id(parts[-2]) if len(parts) >= 2 else 0
        page = await self.get_state(SpaceState)
        page.loading = True
        done = await self._act(lambda s, _fx, u: owner_editor.space_preview(s, u, space_id or 0))
        if done.ok:
            page._show(done.value)
            self.status_label = STATUS_LABELS.get(done.value.status, done.value.status)
        page.found, page.loading = done.ok, False
        if not done.ok:
            page.name, self.status_label = "", ""
