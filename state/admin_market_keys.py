"""/admin/market, tab "Ключи": service keys for a crawler on another machine
(services.market.keys; the key itself is shown once, right after it is made)."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from coworking_app.formatting import format_moment
from coworking_app.services.admin.analytics import report_zone
from coworking_app.services.market import keys
from state.page import PageState
from coworking_app.i18n import tr


@dataclass
class KeyRow:
    id: int
    name: str
    prefix: str
    created: str
    used: str
    revoked: bool


def _row(key) -> KeyRow:
    when = lambda v: format_moment(v, report_zone()) if v else "—"  # noqa: E731
    return KeyRow(id=key.id, name=key.name, prefix=key.prefix + "…", created=when(key.created_at),
                  used=when(key.last_used_at), revoked=key.revoked_at is not None)


class MarketKeysState(PageState):
    rows: list[KeyRow] = []
    name: str = ""
    error: str = ""
    new_key: str = ""  # shown once, until the page is left
    new_key_name: str = ""

    @rx.event
    async def load(self):
        self.new_key = self.new_key_name = ""
        await self._reload()

    async def _reload(self) -> None:
        done = await self._act(lambda s, _fx, u: [_row(k) for k in keys.list_keys(s, u)])
        if done.ok:
            self.rows = done.value

    @rx.event
    def set_name(self, value: str):
        self.name, self.error = str(value)[:100], ""

    @rx.event
    async def create(self):
        name = self.name.strip()
        if len(name) < 2:
            self.error = tr("Назовите ключ: например, «Обходчик на сервере Б»")
            return
        done = await self._act(lambda s, _fx, u: keys.do_create_key(s, u, name)[1])
        if not done.ok:
            self.error = done.message
            return
        self.new_key, self.new_key_name, self.name = done.value, name, ""
        await self._reload()

    @rx.event
    async def revoke(self, key_id: int):
        done = await self._act(lambda s, _fx, u: keys.do_revoke_key(s, u, int(key_id)).name)
        if not done.ok:
            yield done.toast()
            return
        await self._reload()
        yield rx.toast.success(tr("Ключ «{value}» отозван: обходчик с ним больше не примет ни одного пакета", value=done.value))
