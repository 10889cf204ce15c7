""""Похожие рядом" on a space page (and GET /api/v1/spaces/{id}/similar): a few other
publicly visible spaces of the same city that offer the same kind of place (a shared
resource kind: hot desk, fixed desk, meeting room, private office) in the same price band,
nearest first."""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlmodel import Session

from coworking_app.services.catalog.cards import space_cards, space_price
from coworking_app.services.catalog.search import SpaceCard
from coworking_app.services.catalog.spaces import access_public_space, public_space_filter
from models import PriceUnit, Resource, Space

SIMILAR_COUNT = 4
SIMILAR_RADIUS_M = 15_000  # within a city; farther is not "nearby"
# The price band: the lowest price in the unit this space shows (hour, day or month),
# from half to twice this space's.
PRICE_BAND = (1, 2)  # price * 1 / 2 .. price * 2
PRICE_COLUMNS = {PriceUnit.hour: Space.price_hour_from, PriceUnit.day: Space.price_day_from,
                 PriceUnit.month: Space.price_month_from}


def similar_spaces(session: Session, space_id: int, *, limit: int = SIMILAR_COUNT) -> list[SpaceCard]:
    """Spaces like this one nearby (see the module), each card with its distance from it.
    NotFound when this space is not publicly visible."""
    space = access_public_space(session, space_id)
    kinds = sorted(set(session.scalars(select(Resource.kind).where(Resource.space_id == space.id))))
    conditions = [Space.id != space.id, public_space_filter(), Space.city_id == space.city_id,
                  func.ST_DWithin(Space.location, space.location, SIMILAR_RADIUS_M)]
    if kinds:
        conditions.append(exists().where(Resource.space_id == Space.id, Resource.kind.in_(kinds)))
    unit, price = space_price(space)
    if unit is not None:
        low, high = PRICE_BAND
        conditions.append(PRICE_COLUMNS[unit].between(-(-price * low // high), price * high))
    rows = session.execute(
        select(Space.id, func.ST_Distance(Space.location, space.location))
        .where(*conditions)
        # KNN on the GiST index: the point is a constant of the statement.
        .order_by(Space.location.op("<->")(space.location), Space.id)
        .limit(max(1, min(limit, 12)))
    ).all()
    return space_cards(session, [r[0] for r in rows], distances={r[0]: r[1] for r in rows})
