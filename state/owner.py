"""The owner cabinet: my spaces, and the editor of one space. Every handler re-checks the
session and ownership through the services (`access_space_for_owner`), whatever ids the
browser sends."""

from __future__ import annotations

from dataclasses import dataclass, field

import reflex as rx
from pydantic import ValidationError
from sqlalchemy import select

from coworking_app.db import session_scope
from coworking_app.formatting import format_money
from coworking_app.maps import MapPin, publish, render_map
from coworking_app.services import catalog, owner_spaces, photos
from coworking_app.services.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    UnsupportedMedia,
)
from coworking_app.services.geo import lat_of, lon_of
from coworking_app.services.storage import get_storage
from models import Resource, Space, Tariff
from state.auth import AuthState
from state.search_query import error_text
from state.views import Option

STATUS_LABELS = {"draft": "Черновик", "pending_review": "На модерации",
                 "published": "Опубликовано", "hidden": "Скрыто"}
KIND_LABELS = {"hot_desk": "Незакреплённые места", "fixed_desk": "Закреплённое место",
               "meeting_room": "Переговорная", "private_office": "Кабинет"}
UNIT_LABELS = {"hour": "час", "day": "день", "month": "месяц"}
DAYS = [("mon", "Пн"), ("tue", "Вт"), ("wed", "Ср"), ("thu", "Чт"), ("fri", "Пт"),
        ("sat", "Сб"), ("sun", "Вс")]
_PROBLEMS = (InvalidInput, Conflict, PayloadTooLarge, UnsupportedMedia, ValidationError)


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


def _problem(exc: Exception) -> tuple[str, str]:
    return error_text(exc) if isinstance(exc, (InvalidInput, ValidationError)) else (
        getattr(exc, "field", ""), getattr(exc, "message", str(exc)))


class OwnerState(rx.State):
    spaces: list[OwnerSpaceRow] = []
    new_name: str = ""
    new_address: str = ""
    new_lat: str = ""
    new_lon: str = ""
    error: str = ""
    creating: bool = False

    @rx.event
    async def load(self):
        auth = await self.get_state(AuthState)
        try:
            with session_scope() as session:
                rows = owner_spaces.list_owner_spaces(session, auth._user(session))
                self.spaces = [OwnerSpaceRow(s.id, s.name, s.address, s.status,
                                             STATUS_LABELS.get(s.status, s.status)) for s in rows]
        except NotAuthenticated:
            return rx.redirect("/login?next=/owner")
        except PermissionDenied:
            self.error = "Раздел для владельцев пространств"

    @rx.event
    def set_new(self, name: str, value: str):
        if name in ("new_name", "new_address", "new_lat", "new_lon"):
            setattr(self, name, str(value)[:255])

    @rx.event
    async def create(self, _form: dict):
        auth = await self.get_state(AuthState)
        self.creating, self.error = True, ""
        try:
            fields = owner_spaces.SpaceCreate(
                name=self.new_name, address=self.new_address,
                lat=self.new_lat.replace(",", ".") or None, lon=self.new_lon.replace(",", ".") or None)
            with session_scope() as session:
                space = owner_spaces.do_create_space(session, auth._user(session), fields)
                space_id = space.id
            self.new_name = self.new_address = self.new_lat = self.new_lon = ""
            return rx.redirect(f"/owner/spaces/{space_id}")
        except _PROBLEMS as exc:
            self.error = _problem(exc)[1]
        except (NotAuthenticated, PermissionDenied):
            return rx.redirect("/login?next=/owner")
        finally:
            self.creating = False


class SpaceEditorState(rx.State):
    editing_id: int = 0  # not `space_id`: that name is the route argument
    status_label: str = ""
    moderation_note: str = ""  # why a moderator rejected or hid the space
    awaiting_review: bool = False  # a published space's edits wait for a moderator
    name: str = ""
    description: str = ""
    address: str = ""
    lat: str = ""
    lon: str = ""
    timezone: str = "Europe/Moscow"
    amenities: list[str] = []
    hours_open: dict[str, str] = {}
    hours_close: dict[str, str] = {}
    amenity_options: list[Option] = []
    resources: list[ResourceView] = []
    photos: list[PhotoView] = []
    map_url: str = ""
    place: str = ""  # city and district derived from the point
    message: str = ""
    error: str = ""
    not_found: bool = False
    uploading: bool = False

    def _space_id_param(self) -> int:
        raw = str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]
        return int(raw) if raw.isdigit() and len(raw) < 10 else 0

    @rx.event
    async def load(self):
        self.editing_id = self._space_id_param()
        self.message = self.error = ""
        return await self._reload()

    async def _reload(self):
        auth = await self.get_state(AuthState)
        try:
            with session_scope() as session:
                user = auth._user(session)
                space = owner_spaces.access_space_for_owner(session, user, self.editing_id)
                self._fill(session, space)
                self.not_found = False
        except NotAuthenticated:
            return rx.redirect(f"/login?next=/owner/spaces/{self.editing_id}")
        except (NotFound, PermissionDenied):
            self.not_found = True

    def _fill(self, session, space: Space) -> None:
        lat, lon = session.execute(select(lat_of(Space.location), lon_of(Space.location))
                                   .where(Space.id == space.id)).one()
        self.status_label = STATUS_LABELS.get(space.status, space.status)
        self.moderation_note = space.moderation_note or ""
        self.awaiting_review = space.changed_for_review_at is not None
        self.name, self.description, self.address = space.name, space.description, space.address
        self.lat, self.lon, self.timezone = f"{lat:.6f}", f"{lon:.6f}", space.timezone
        self.amenities = list(space.amenities)
        hours = space.opening_hours or {}
        self.hours_open = {d: (hours.get(d) or {}).get("open", "") for d, _ in DAYS}
        self.hours_close = {d: (hours.get(d) or {}).get("close", "") for d, _ in DAYS}
        self.amenity_options = [Option(a.code, a.name_ru) for a in catalog.list_amenities(session)]
        self.resources = []
        for r in session.scalars(select(Resource).where(Resource.space_id == space.id).order_by(Resource.id)):
            tariffs = session.scalars(select(Tariff).where(Tariff.resource_id == r.id).order_by(Tariff.unit))
            self.resources.append(ResourceView(
                id=r.id, name=r.name,
                details=f"{KIND_LABELS.get(r.kind, r.kind)} · {r.capacity} мест · "
                        f"от {r.min_minutes / 60:g} ч до {r.max_minutes / 1440:g} дн.",
                tariffs=[TariffView(t.id, f"{format_money(t.price_minor, t.currency)} / "
                                          f"{UNIT_LABELS.get(t.unit, t.unit)}") for t in tariffs],
            ))
        storage = get_storage()
        self.photos = [PhotoView(p.id, storage.url(p.thumb_key))
                       for p in photos.list_photos(session, space.id)]
        city = next((c for c in catalog.list_cities(session) if c.id == space.city_id), None)
        district = next((d for d in catalog.list_districts(session, space.city_id)
                         if d.id == space.district_id), None)
        self.place = ", ".join(x for x in (city and city.name_ru, district and district.name_ru) if x)
        self.map_url = publish(render_map([MapPin(lat, lon, "•", space.name, space.address)],
                                          (lat, lon), zoom=15, pickable=True))

    @rx.event
    def set_field(self, name: str, value: str):
        if name in ("name", "description", "address", "lat", "lon", "timezone"):
            setattr(self, name, str(value)[:5000])

    @rx.event
    def set_hours(self, day: str, edge: str, value: str):
        if day in dict(DAYS) and edge in ("open", "close"):
            target = self.hours_open if edge == "open" else self.hours_close
            setattr(self, f"hours_{edge}", {**target, day: str(value)[:5]})

    @rx.event
    def toggle_amenity(self, code: str, checked: bool):
        code = str(code)[:32]
        rest = [c for c in self.amenities if c != code]
        self.amenities = rest + [code] if checked else rest

    async def _act(self, action, done: str):
        """Run one service call as the signed-in user, then show the fresh space."""
        auth = await self.get_state(AuthState)
        self.message = self.error = ""
        try:
            with session_scope() as session:
                action(session, auth._user(session))
            self.message = done
        except _PROBLEMS as exc:
            self.error = _problem(exc)[1]
        except (NotFound, PermissionDenied):
            self.error = "Нет доступа к этому пространству"
        except NotAuthenticated:
            return rx.redirect("/login")
        return await self._reload()

    @rx.event
    async def save(self, _form: dict):
        hours = {d: ({"open": self.hours_open.get(d, ""), "close": self.hours_close.get(d, "")}
                     if self.hours_open.get(d) and self.hours_close.get(d) else None)
                 for d, _ in DAYS}

        def action(session, user):
            fields = owner_spaces.SpaceFields(
                name=self.name, description=self.description, address=self.address,
                lat=self.lat.replace(",", ".") or None, lon=self.lon.replace(",", ".") or None,
                timezone=self.timezone, amenities=self.amenities, opening_hours=hours)
            owner_spaces.do_update_space(session, user, self.editing_id, fields)

        return await self._act(action, "Сохранено")

    @rx.event
    async def add_resource(self, form: dict):
        def action(session, user):
            hours = {k: form.get(k) for k in ("min_hours", "max_days")}
            try:
                min_minutes = round(float(str(hours["min_hours"] or 1).replace(",", ".")) * 60)
                max_minutes = round(float(str(hours["max_days"] or 31).replace(",", ".")) * 24 * 60)
            except ValueError as exc:
                raise InvalidInput("min_minutes", "длительность — число часов и дней") from exc
            fields = owner_spaces.ResourceCreate(
                kind=form.get("kind") or "hot_desk", name=form.get("name", ""),
                capacity=form.get("capacity") or 1, min_minutes=min_minutes,
                max_minutes=max_minutes)
            owner_spaces.do_add_resource(session, user, self.editing_id, fields)

        return await self._act(action, "Ресурс добавлен")

    @rx.event
    async def set_tariff(self, form: dict):
        def action(session, user):
            price = str(form.get("price", "")).replace(" ", "").replace(",", ".")
            try:
                minor = round(float(price) * 100)
            except ValueError as exc:
                raise InvalidInput("price", "укажите цену в рублях") from exc
            fields = owner_spaces.TariffInput(unit=form.get("unit") or "hour", price_minor=minor)
            owner_spaces.do_set_tariff(session, user, int(form.get("resource_id", 0)), fields)

        return await self._act(action, "Тариф сохранён")

    @rx.event
    async def delete_resource(self, resource_id: int):
        return await self._act(
            lambda s, u: owner_spaces.do_delete_resource(s, u, int(resource_id)), "Ресурс удалён")

    @rx.event
    async def delete_tariff(self, tariff_id: int):
        return await self._act(
            lambda s, u: owner_spaces.do_delete_tariff(s, u, int(tariff_id)), "Тариф удалён")

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        self.uploading = True
        yield
        uploaded = []
        for file in files[:10]:
            uploaded.append(await file.read())

        def action(session, user):
            for data in uploaded:
                photos.do_add_photo(session, user, self.editing_id, data)

        result = await self._act(action, f"Загружено фото: {len(uploaded)}")
        self.uploading = False
        yield result

    @rx.event
    async def make_cover(self, photo_id: int):
        return await self._act(lambda s, u: photos.do_set_cover(s, u, int(photo_id)), "Обложка выбрана")

    @rx.event
    async def move_photo(self, photo_id: int, step: int):
        order = [p.id for p in self.photos]
        if int(photo_id) not in order:
            return
        i = order.index(int(photo_id))
        j = max(0, min(len(order) - 1, i + int(step)))
        order[i], order[j] = order[j], order[i]
        return await self._act(
            lambda s, u: photos.do_reorder_photos(s, u, self.editing_id, order), "Порядок сохранён")

    @rx.event
    async def delete_photo(self, photo_id: int):
        return await self._act(lambda s, u: photos.do_delete_photo(s, u, int(photo_id)), "Фото удалено")

    @rx.event
    async def submit_for_review(self):
        return await self._act(
            lambda s, u: owner_spaces.do_submit_for_review(s, u, self.editing_id),
            "Отправлено на модерацию")
