"""Promo codes after creation (owner_spaces.do_create_promo makes them): listing, ending
and deleting, for their space's owner and for operators and admins (the whole network).

A code that bookings already used is never deleted, only ended (valid_until = now), so
that every discounted booking still shows which code it had; the audit log keeps both."""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import BaseModel

from sqlalchemy import func, or_, select
from sqlmodel import Session

from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.common.errors import Conflict, NotFound
from coworking_app.services.common.text import check_chars
from models import Booking, PromoCode, Role, Space, User
from coworking_app.i18n import tr


class PromoView(BaseModel):
    id: int
    code: str
    kind: str
    value: int
    currency: str
    space_id: int | None
    space_name: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    max_uses_total: int | None
    max_uses_per_user: int | None
    min_amount_minor: int
    uses: int
    active: bool


def access_promo_for_editor(session: Session, user: User | None, promo_id: int) -> PromoCode:
    """The promo if `user` may change it: staff any, an owner the codes of their spaces."""
    user = check_role(user, Role.owner, Role.operator, Role.admin)
    promo = session.get(PromoCode, promo_id, with_for_update=True) if 0 < promo_id < 2**31 else None
    if promo is None:
        raise NotFound(tr("Промокод не найден"))
    if not user.is_staff:
        space = session.get(Space, promo.space_id) if promo.space_id else None
        if space is None or space.owner_id != user.id:
            raise NotFound(tr("Промокод не найден"))
    return promo


def list_promos(session: Session, user: User | None, *, q: str | None = None, limit: int = 200) -> list[PromoView]:
    """Newest first: every code for staff, the codes of their own spaces for an owner."""
    user = check_role(user, Role.owner, Role.operator, Role.admin)
    uses = (select(func.count()).select_from(Booking)
            .where(Booking.promo_id == PromoCode.id, Booking.status.not_in(["expired"]))
            .correlate(PromoCode).scalar_subquery())
    query = select(PromoCode, Space.name, uses).outerjoin(Space, Space.id == PromoCode.space_id)
    if not user.is_staff:
        query = query.where(Space.owner_id == user.id)
    if check_chars("q", q):
        query = query.where(or_(PromoCode.code.ilike(f"%{q.strip()[:32]}%"), Space.name.ilike(f"%{q.strip()[:60]}%")))
    now = datetime.now(timezone.utc)
    rows = session.execute(query.order_by(PromoCode.id.desc()).limit(limit)).all()
    return [PromoView(
        id=p.id, code=p.code, kind=p.kind, value=p.value, currency=p.currency, space_id=p.space_id,
        space_name=name, valid_from=p.valid_from, valid_until=p.valid_until, max_uses_total=p.max_uses_total,
        max_uses_per_user=p.max_uses_per_user, min_amount_minor=p.min_amount_minor, uses=int(n),
        active=(p.valid_from is None or p.valid_from <= now) and (p.valid_until is None or now < p.valid_until),
    ) for p, name, n in rows]


def do_end_promo(session: Session, user: User | None, promo_id: int) -> PromoCode:
    """Stops a code from now on; bookings that used it keep their discount."""
    promo = access_promo_for_editor(session, user, promo_id)
    now = datetime.now(timezone.utc)
    if promo.valid_until is not None and promo.valid_until <= now:
        raise Conflict("valid_until", tr("Этот промокод уже завершён"))
    promo.valid_until = now
    session.add(promo)
    session.flush()
    return promo


def do_delete_promo(session: Session, user: User | None, promo_id: int) -> None:
    """Deletes a code nobody has used; a used one can only be ended."""
    promo = access_promo_for_editor(session, user, promo_id)
    used = session.scalar(select(func.count()).select_from(Booking).where(Booking.promo_id == promo.id))
    if used:
        raise Conflict("promo", tr("Кодом уже воспользовались (броней: {used}): его можно только завершить", used=used))
    session.delete(promo)
    session.flush()
