"""/cabinet/favourites: the spaces the person saved ("Сохранить" on a space page)."""

from __future__ import annotations

import reflex as rx

from coworking_app.services.catalog import catalog, favourites
from state.inputs import parse_id
from state.page import PageState
from state.views import CardView, card_view
from coworking_app.i18n import tr


class FavouritesState(PageState):
    cards: list[CardView] = []
    loading: bool = True

    @rx.event
    async def load(self):
        self.loading = True
        await self._reload()
        self.loading = False

    async def _reload(self) -> None:
        def work(session, _effects, user):
            icons = {a.code: a for a in catalog.list_amenities(session)}
            return [card_view(c, icons) for c in favourites.list_saved_spaces(session, user)]
        done = await self._act(work)  # a stranger is sent to sign-in and back (SessionEnded)
        self.cards = done.value if done.ok else []

    @rx.event
    async def remove(self, space_id: int):
        space_id = parse_id(space_id)
        if space_id is None:
            return None
        done = await self._act(lambda s, _fx, u: favourites.do_unsave_space(s, u, space_id))
        if not done.ok:
            return done.toast()
        self.cards = [c for c in self.cards if c.id != space_id]
        return rx.toast.success(tr("Убрано из избранного"))
