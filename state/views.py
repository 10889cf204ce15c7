"""Plain view rows the pages render, converted from the services' models."""

from __future__ import annotations

from dataclasses import dataclass, field

from coworking_app.formatting import format_distance, format_price, format_rating, plural
from coworking_app.services.catalog.catalog import AmenityInfo
from coworking_app.services.catalog.search import SpaceCard
from coworking_app.i18n import tr


@dataclass
class Option:
    value: str = ""
    label: str = ""


@dataclass
class AmenityIcon:
    icon: str = ""
    name: str = ""  # the tooltip and the accessible name of the icon


@dataclass
class CardView:
    id: int = 0
    href: str = ""
    name: str = ""
    address: str = ""
    place: str = ""
    price: str = ""
    seats: str = ""
    rating: str = ""
    has_rating: bool = False
    distance: str = ""
    thumb: str = ""
    amenity_icons: list[AmenityIcon] = field(default_factory=list)


def card_view(card: SpaceCard, amenities: dict[str, AmenityInfo]) -> CardView:
    place = ", ".join(p for p in (card.district, card.city) if p)
    return CardView(
        id=card.id,
        href=f"/spaces/{card.id}",
        name=card.name,
        address=card.address,
        place=place,
        price=format_price(card.price_from, card.currency,
                           card.price_unit.value if card.price_unit else None),
        seats=tr("до ") + plural(card.max_capacity, "места", "мест", "мест")
        if card.max_capacity else "",
        rating=format_rating(card.rating, card.reviews_count),
        has_rating=card.reviews_count > 0,
        distance=format_distance(card.distance_m),
        thumb=card.cover_thumb_url or "",
        amenity_icons=[AmenityIcon(amenities[c].icon, amenities[c].name)
                       for c in card.amenities if c in amenities][:6],
    )
