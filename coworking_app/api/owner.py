"""Owners' writes on spaces, resources and tariffs (reads of published spaces are public)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Response, UploadFile, status
from pydantic import BaseModel, Field

from coworking_app.api.deps import CurrentUser, DbSession, Uow
from coworking_app.api.edge import SIGNED_IN, EdgeRoute, PathId, responses
from coworking_app.services.catalog import owner_editor as editor
from coworking_app.services.catalog import owner_spaces as owner
from coworking_app.services.catalog import photos
from coworking_app.services.booking import bookings, promos
from coworking_app.services.catalog.owner_editor import OwnerSpaceOut
from coworking_app.settings import get_settings
from coworking_app.services.common.errors import NotFound
from coworking_app.services.common.fields import Id, Line
from coworking_app.services.catalog.spaces import (
    PhotoOut,
    ResourceOut,
    SpaceDetail,
    TariffOut,
    photo_views,
    tariff_view,
)
from coworking_app.i18n import tr

router = APIRouter(tags=["owner"], route_class=EdgeRoute, responses=SIGNED_IN)
_CONFLICT = responses(409)
_FILE = responses(400, 409, 413, 415)


@router.get("/owner/spaces", response_model=list[OwnerSpaceOut])
def my_spaces(user: CurrentUser, session: DbSession) -> list[OwnerSpaceOut]:
    return editor.my_spaces(session, user)


@router.get("/owner/spaces/{space_id}", response_model=editor.SpaceEditor)
def space_editor(space_id: PathId, user: CurrentUser, session: DbSession) -> editor.SpaceEditor:
    """One of the caller's spaces as its editor shows it: the space, what it still lacks
    before moderation, its resources with tariffs, its photos."""
    return editor.space_editor(session, user, space_id)


@router.post("/spaces", status_code=status.HTTP_201_CREATED, response_model=OwnerSpaceOut)
def create_space(body: owner.SpaceCreate, user: CurrentUser, uow: Uow) -> OwnerSpaceOut:
    return uow.run(lambda s, _fx: editor.space_out(s, owner.do_create_space(s, user, body)))


@router.patch("/spaces/{space_id}", response_model=OwnerSpaceOut)
def update_space(space_id: PathId, body: owner.SpaceFields, user: CurrentUser,
                 uow: Uow) -> OwnerSpaceOut:
    return uow.run(lambda s, fx: editor.space_out(s, owner.do_update_space(s, fx, user, space_id, body)))


@router.delete("/spaces/{space_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_CONFLICT)
def delete_space(space_id: PathId, user: CurrentUser, uow: Uow) -> Response:
    uow.run(lambda s, fx: owner.do_delete_space(s, fx, user, space_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/spaces/{space_id}/submit", response_model=OwnerSpaceOut, responses=_CONFLICT)
def submit_space(space_id: PathId, user: CurrentUser, uow: Uow) -> OwnerSpaceOut:
    return uow.run(lambda s, fx: editor.space_out(s, owner.do_submit_for_review(s, fx, user, space_id)))


@router.get("/spaces/{space_id}/resources", response_model=list[ResourceOut])
def list_resources(space_id: PathId, user: CurrentUser, session: DbSession) -> list[ResourceOut]:
    return editor.space_resources(session, user, space_id)


@router.post("/spaces/{space_id}/resources", status_code=status.HTTP_201_CREATED,
             response_model=ResourceOut)
def add_resource(space_id: PathId, body: owner.ResourceCreate, user: CurrentUser,
                 uow: Uow) -> ResourceOut:
    return uow.run(lambda s, fx: editor.resource_out(s, owner.do_add_resource(s, fx, user, space_id, body)))


@router.patch("/spaces/{space_id}/resources/{resource_id}", response_model=ResourceOut)
def update_resource(space_id: PathId, resource_id: PathId, body: owner.ResourceFields,
                    user: CurrentUser, uow: Uow) -> ResourceOut:
    def work(s, fx):
        _check_parent(s, user, space_id, resource_id)
        return editor.resource_out(s, owner.do_update_resource(s, fx, user, resource_id, body))
    return uow.run(work)


@router.delete("/spaces/{space_id}/resources/{resource_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_CONFLICT)
def delete_resource(space_id: PathId, resource_id: PathId, user: CurrentUser, uow: Uow) -> Response:
    def work(s, fx):
        _check_parent(s, user, space_id, resource_id)
        owner.do_delete_resource(s, fx, user, resource_id)
    uow.run(work)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/spaces/{space_id}/resources/{resource_id}/tariffs", response_model=TariffOut)
def set_tariff(space_id: PathId, resource_id: PathId, body: owner.TariffInput, user: CurrentUser,
               uow: Uow) -> TariffOut:
    def work(s, fx):
        _check_parent(s, user, space_id, resource_id)
        return tariff_view(owner.do_set_tariff(s, fx, user, resource_id, body))
    return uow.run(work)


@router.delete("/spaces/{space_id}/resources/{resource_id}/tariffs/{tariff_id}",
               status_code=status.HTTP_204_NO_CONTENT)
def delete_tariff(space_id: PathId, resource_id: PathId, tariff_id: PathId, user: CurrentUser,
                  uow: Uow) -> Response:
    def work(s, fx):
        _space, tariff = owner.access_tariff_for_owner(s, user, tariff_id)
        if tariff.resource_id != resource_id:
            raise NotFound(tr("Тариф не найден"))
        _check_parent(s, user, space_id, resource_id)
        owner.do_delete_tariff(s, fx, user, tariff_id)
    uow.run(work)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _check_parent(session, user, space_id: int, resource_id: int) -> None:
    """The URL's space must be the resource's space (no mixing ids across spaces)."""
    space, _resource = owner.access_resource_for_owner(session, user, resource_id)
    if space.id != space_id:
        raise NotFound(tr("Место не найдено"))


@router.get("/owner/spaces/{space_id}/preview", response_model=SpaceDetail)
def space_preview(space_id: PathId, user: CurrentUser, session: DbSession) -> SpaceDetail:
    """The space's public page as guests will see it, whatever its status (a draft, one
    under moderation): its owner and staff only."""
    return editor.space_preview(session, user, space_id)


@router.get("/owner/spaces/{space_id}/closures", response_model=list[editor.ClosureOut])
def list_closures(space_id: PathId, user: CurrentUser, session: DbSession) -> list[editor.ClosureOut]:
    """Days the owner closed that have not ended, soonest first, each with the bookings
    still on those days."""
    return editor.space_closures(session, user, space_id)


@router.post("/owner/spaces/{space_id}/closures", status_code=status.HTTP_201_CREATED,
             response_model=editor.ClosureOut, responses=_CONFLICT)
def add_closure(space_id: PathId, body: owner.ClosureInput, user: CurrentUser, uow: Uow) -> editor.ClosureOut:
    """Closes one day (`last_day` omitted) or a range of days, inclusive, in the space's
    local calendar; nothing can be booked on them afterwards. The answer lists bookings
    already on those days: the owner may cancel each with a full refund (below). 409 when
    some of the days are closed already."""
    return uow.run(lambda s, _fx: editor.add_closure(s, user, space_id, body))


@router.delete("/owner/spaces/{space_id}/closures/{closure_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_closure(space_id: PathId, closure_id: PathId, user: CurrentUser, uow: Uow) -> Response:
    """Opens the days again."""
    uow.run(lambda s, _fx: owner.do_delete_closure(s, user, space_id, closure_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/owner/spaces/{space_id}/closures/{closure_id}/bookings/{booking_id}/cancel",
             response_model=bookings.BookingView, responses=_CONFLICT)
def cancel_closed_day_booking(space_id: PathId, closure_id: PathId, booking_id: PathId,
                              user: CurrentUser, uow: Uow) -> bookings.BookingView:
    """Cancels a booking on the closed days as the owner: everything paid goes back, and the
    guest is told the closure's dates and reason."""
    def work(s, fx):
        booking, _refund = bookings.do_cancel_for_closure(s, fx, user, space_id, closure_id, booking_id)
        return bookings.booking_views(s, [booking], user)[0]
    return uow.run(work)


class PhotoOrderIn(BaseModel):
    photo_ids: list[Id] = Field(max_length=100)


@router.get("/spaces/{space_id}/photos", response_model=list[PhotoOut])
def list_photos(space_id: PathId, user: CurrentUser, session: DbSession) -> list[PhotoOut]:
    return editor.space_photos(session, user, space_id)


@router.post("/spaces/{space_id}/photos", status_code=status.HTTP_201_CREATED,
             response_model=PhotoOut, responses=_FILE)
def upload_photo(space_id: PathId, user: CurrentUser, uow: Uow,
                 file: UploadFile = File(...)) -> PhotoOut:
    # The body limit middleware already refused anything much larger; read one byte past
    # the limit so the service can tell "exactly 5 MB" from "more".
    data = file.file.read(get_settings().max_upload_bytes + 1)
    return photo_views([uow.run(lambda s, fx: photos.do_add_photo(s, fx, user, space_id, data))])[0]


@router.put("/spaces/{space_id}/photos/order", response_model=list[PhotoOut], responses=_CONFLICT)
def reorder_photos(space_id: PathId, body: PhotoOrderIn, user: CurrentUser,
                   uow: Uow) -> list[PhotoOut]:
    return photo_views(uow.run(lambda s, fx: photos.do_reorder_photos(s, fx, user, space_id, body.photo_ids)))


@router.post("/spaces/{space_id}/photos/{photo_id}/cover", response_model=list[PhotoOut], responses=_CONFLICT)
def set_cover(space_id: PathId, photo_id: PathId, user: CurrentUser, uow: Uow) -> list[PhotoOut]:
    def work(s, fx):
        _check_photo_parent(s, user, space_id, photo_id)
        return photos.do_set_cover(s, fx, user, photo_id)
    return photo_views(uow.run(work))


@router.delete("/spaces/{space_id}/photos/{photo_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_photo(space_id: PathId, photo_id: PathId, user: CurrentUser, uow: Uow) -> Response:
    def work(s, fx):
        _check_photo_parent(s, user, space_id, photo_id)
        photos.do_delete_photo(s, fx, user, photo_id)
    uow.run(work)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _check_photo_parent(session, user, space_id: int, photo_id: int) -> None:
    space, _photo = photos.access_photo_for_owner(session, user, photo_id)
    if space.id != space_id:
        raise NotFound(tr("Фото не найдено"))


class AddonOut(BaseModel):
    code: str
    name: str
    unit: str
    price_minor: int
    resource_kinds: list[str]
    max_quantity: int
    active: bool


def _addon_out(addon) -> AddonOut:
    return AddonOut(code=addon.code, name=addon.name, unit=addon.unit, price_minor=addon.price_minor,
                    resource_kinds=list(addon.resource_kinds), max_quantity=addon.max_quantity,
                    active=addon.active)


@router.get("/spaces/{space_id}/addons", response_model=list[AddonOut], tags=["bookings"])
def space_addons(session: DbSession, space_id: PathId) -> list[AddonOut]:
    """Add-ons renters may choose for a published space (shown in the booking panel)."""
    return [_addon_out(a) for a in owner.list_public_addons(session, space_id)]


@router.put("/spaces/{space_id}/addons", response_model=AddonOut, responses=_CONFLICT)
def set_addon(user: CurrentUser, uow: Uow, space_id: PathId, body: owner.AddonInput) -> AddonOut:
    return _addon_out(uow.run(lambda s, _fx: owner.do_set_addon(s, user, space_id, body)))


@router.delete("/spaces/{space_id}/addons/{code}", status_code=status.HTTP_204_NO_CONTENT)
def delete_addon(user: CurrentUser, uow: Uow, space_id: PathId,
                 code: Annotated[Line(32), Path()]) -> Response:
    uow.run(lambda s, _fx: owner.do_delete_addon(s, user, space_id, code))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class PromoOut(BaseModel):
    id: int
    code: str
    kind: str
    value: int
    space_id: int | None


@router.post("/spaces/{space_id}/promo-codes", status_code=status.HTTP_201_CREATED,
             response_model=PromoOut, responses=_CONFLICT)
def create_space_promo(user: CurrentUser, uow: Uow, space_id: PathId,
                       body: owner.PromoInput) -> PromoOut:
    promo = uow.run(lambda s, _fx: owner.do_create_promo(s, user, space_id, body))
    return PromoOut(id=promo.id, code=promo.code, kind=promo.kind, value=promo.value,
                    space_id=promo.space_id)


@router.post("/promo-codes", status_code=status.HTTP_201_CREATED, response_model=PromoOut, responses=_CONFLICT)
def create_network_promo(user: CurrentUser, uow: Uow, body: owner.PromoInput) -> PromoOut:
    """A promo code valid in every space (operators and admins)."""
    promo = uow.run(lambda s, _fx: owner.do_create_promo(s, user, None, body))
    return PromoOut(id=promo.id, code=promo.code, kind=promo.kind, value=promo.value, space_id=None)


@router.get("/promo-codes", response_model=list[promos.PromoView])
def list_promo_codes(user: CurrentUser, session: DbSession,
                     q: Line(60) | None = None) -> list[promos.PromoView]:
    """Every code for operators and admins; the codes of their own spaces for an owner."""
    return promos.list_promos(session, user, q=q)


@router.post("/promo-codes/{promo_id}/end", response_model=PromoOut, responses=_CONFLICT)
def end_promo_code(user: CurrentUser, uow: Uow, promo_id: PathId) -> PromoOut:
    """Stops the code now; bookings that used it keep their discount."""
    promo = uow.run(lambda s, _fx: promos.do_end_promo(s, user, promo_id))
    return PromoOut(id=promo.id, code=promo.code, kind=promo.kind, value=promo.value, space_id=promo.space_id)


@router.delete("/promo-codes/{promo_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_CONFLICT)
def delete_promo_code(user: CurrentUser, uow: Uow, promo_id: PathId) -> Response:
    """Only a code no booking used (409 otherwise: end it instead)."""
    uow.run(lambda s, _fx: promos.do_delete_promo(s, user, promo_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
