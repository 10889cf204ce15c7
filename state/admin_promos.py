"""/admin/promos: network and space promo codes for operators (services.booking.promos,
services.catalog.owner_spaces.do_create_promo)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

import reflex as rx

from coworking_app.formatting import format_moment, format_money
from coworking_app.services.catalog import owner_spaces
from coworking_app.services.booking import promos
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.admin.analytics import report_zone
from coworking_app.services.common.errors import InvalidInput
from models import Role
from state.inputs import parse_id, parse_roubles
from state.page import PageState
from coworking_app.i18n import tr


# The service's field names -> this form's fields (where its error is shown).
FORM_FIELDS = {"code": "code", "kind": "kind", "value": "value", "valid_until": "until", "valid_from": "until",
               "max_uses_total": "max_total", "max_uses_per_user": "per_user", "min_amount_minor": "min_amount",
               "space_id": "space", "space": "space"}


@dataclass
class PromoRow:
    id: int = 0
    code: str = ""
    discount: str = ""
    where: str = ""
    period: str = ""
    limits: str = ""
    uses: int = 0
    active: bool = False


def _row(p: promos.PromoView) -> PromoRow:
    zone = report_zone()
    until = tr("до {format_moment}", format_moment=format_moment(p.valid_until, zone)) if p.valid_until else tr("бессрочно")
    since = tr("с {format_moment} ", format_moment=format_moment(p.valid_from, zone, '%d.%m.%Y')) if p.valid_from else ""
    limits = [tr("всего {max_uses_total}", max_uses_total=p.max_uses_total) if p.max_uses_total else "",
              tr("на человека {max_uses_per_user}", max_uses_per_user=p.max_uses_per_user) if p.max_uses_per_user else "",
              tr("от {format_money}", format_money=format_money(p.min_amount_minor, p.currency)) if p.min_amount_minor else ""]
    return PromoRow(
        id=p.id, code=p.code,
        discount=f"{p.value} %" if p.kind == "percent" else format_money(p.value, p.currency),
        where=p.space_name or tr("вся сеть"), period=since + until, limits=", ".join(x for x in limits if x) or "—",
        uses=p.uses, active=p.active)


class PromoState(PageState):
    rows: list[PromoRow] = []
    q: str = ""
    allowed: bool = True
    loading: bool = True
    # the new-code form
    code: str = ""
    kind: str = "percent"
    value: str = ""
    until: str = ""
    max_total: str = ""
    per_user: str = "1"
    min_amount: str = ""
    space: str = ""
    error: str = ""
    error_field: str = ""  # the form field the error is about ("": the form as a whole)
    saving: bool = False
    busy_id: int = 0
    # "Завершить" / "Удалить" wait for a confirmation
    confirming: str = ""  # "" | end | delete
    confirm_id: int = 0
    confirm_code: str = ""

    @rx.event
    async def load(self):
        self.loading = True
        yield
        await self._reload()
        self.loading = False

    async def _reload(self) -> None:
        q = self.q

        def staff_list(session, _effects, user):
            check_role(user, Role.operator, Role.admin)  # the whole network: staff only
            return promos.list_promos(session, user, q=q or None)

        done = await self._act(staff_list)
        self.allowed, self.rows = done.ok, [_row(p) for p in done.value or []]

    @rx.event
    async def set_q(self, value: str):
        self.q = str(value)[:60]
        await self._reload()

    @rx.event
    def set_field(self, name: str, value: str):
        if name in ("code", "kind", "value", "until", "max_total", "per_user", "min_amount", "space"):
            setattr(self, name, str(value)[:40])
            if name == self.error_field or (name == "kind" and self.error_field == "value"):
                self.error, self.error_field = "", ""  # fixed: the old complaint goes

    def _fail(self, field: str, message: str) -> None:
        self.error_field, self.error = FORM_FIELDS.get(field, ""), message

    def _input(self) -> owner_spaces.PromoInput:
        value = parse_roubles(self.value) if self.kind == "fixed" else (int(self.value) if self.value.isdigit() else 0)
        until = None
        if self.until:
            try:
                day = datetime.fromisoformat(self.until).date()
            except ValueError as exc:
                raise InvalidInput("valid_until", tr("Укажите дату окончания в календаре")) from exc
            until = datetime.combine(day, time(23, 59, 59), tzinfo=report_zone())
        return owner_spaces.PromoInput(
            code=self.code, kind=self.kind, value=value or 0, valid_until=until,
            max_uses_total=int(self.max_total) if self.max_total.isdigit() else None,
            max_uses_per_user=int(self.per_user) if self.per_user.isdigit() else None,
            min_amount_minor=parse_roubles(self.min_amount) or 0 if self.min_amount else 0)

    @rx.event
    async def create(self):
        self.error, self.error_field, self.saving = "", "", True
        yield
        try:
            space_id = parse_id(self.space)
            # The form's input is checked in the use case: a bad field is refused like the
            # service's own refusals, with the field named.
            done = await self._act(lambda s, _fx, u: owner_spaces.do_create_promo(s, u, space_id, self._input()))
            if not done.ok:
                self._fail(done.field, done.message)
                return
            self.code = self.value = self.until = self.max_total = self.min_amount = self.space = ""
            yield rx.toast.success(tr("Промокод создан"))
            await self._reload()
        finally:
            self.saving = False

    @rx.event
    def ask(self, action: str, promo_id: int):
        """"Завершить" / "Удалить" on a row: asks first (the row's code in the question)."""
        promo_id = parse_id(promo_id)
        row = next((r for r in self.rows if r.id == promo_id), None)
        if row is None or action not in ("end", "delete"):
            return
        self.confirming, self.confirm_id, self.confirm_code = action, row.id, row.code

    @rx.event
    def cancel_ask(self):
        self.confirming, self.confirm_id = "", 0

    @rx.event
    async def act(self):
        promo_id, action = self.confirm_id, self.confirming
        work = {"end": promos.do_end_promo, "delete": promos.do_delete_promo}.get(action)
        if not promo_id or work is None:
            return
        self.busy_id, self.confirming = promo_id, ""
        yield
        try:
            done = await self._act(lambda s, _fx, u: work(s, u, promo_id))
            if not done.ok:
                yield done.toast()
                return
            yield rx.toast.success(tr("Промокод {confirm_code} завершён: новые брони его не примут", confirm_code=self.confirm_code)
                                   if action == "end" else tr("Промокод {confirm_code} удалён", confirm_code=self.confirm_code))
            await self._reload()
        finally:
            self.busy_id, self.confirm_id = 0, 0
