"""Plans on screen for renters (rules: services/plans/): the space page's "Абонементы" with
"Купить", the test provider's page for a plan (/checkout/plan/<payment id>) and the cabinet's
"Абонементы" (/cabinet/plans): what is left, the renewal, the history."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

import reflex as rx

from coworking_app.formatting import format_money
from coworking_app.services.payments import checkout, documents
from coworking_app.services.plans import plans, purchases
from state.inputs import parse_id
from state.page import PageState
from state.test_payment import TestPaymentPage
from coworking_app.i18n import N_, tr



@dataclass
class Option:
    id: str = ""
    label: str = ""


@dataclass
class PlanCard:
    id: int = 0
    name: str = ""
    kind_label: str = ""
    price: str = ""
    per: str = ""
    description: str = ""
    terms: list[str] = field(default_factory=list)
    places: list[Option] = field(default_factory=list)  # a fixed desk or office: which one


def _card(p: plans.PlanOut) -> PlanCard:
    held = p.membership_type in plans.HELD_KINDS
    places = [Option(str(i), name) for i, name in zip(p.resource_ids, p.resources)] if held else []
    terms = [t for t in p.terms if not (held and t.startswith(tr("Одно из мест")))]
    return PlanCard(p.id, p.name, p.kind_label, p.price, p.per, p.description, terms, places)


class SpacePlansState(PageState):
    """The space page's plans and "Купить"."""

    cards: list[PlanCard] = []
    buying: int = 0
    error: str = ""
    error_plan: int = 0

    def _space_id(self) -> int | None:
        return parse_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1])

    @rx.event
    def load(self):
        space_id = self._space_id()
        self.cards, self.error, self.error_plan, self.buying = [], "", 0, 0
        if space_id is None:
            return
        done = self._read(lambda s: plans.space_plans(s, space_id))
        if done.ok:
            self.cards = [_card(p) for p in done.value]

    @rx.event
    async def buy(self, form: dict):
        plan_id = parse_id(str(form.get("plan_id", "")))
        if plan_id is None or self.buying:
            return
        if not (await self._auth()).signed_in:
            yield rx.redirect("/login?next=" + quote(str(self.router.url.path) + "#plans", safe=""))
            return
        resource_id = parse_id(str(form.get("resource_id", ""))) if form.get("resource_id") else None
        self.buying, self.error, self.error_plan = plan_id, "", 0
        yield
        done = await self._act(lambda s, fx, u: purchases.do_buy_plan(
            s, fx, u, purchases.BuyRequest(plan_id=plan_id, resource_id=resource_id)).payment_url)
        self.buying = 0
        if not done.ok:
            self.error, self.error_plan = done.sentence, plan_id
            return
        yield rx.redirect(done.value)


class PlanCheckoutState(TestPaymentPage, PageState):
    """/checkout/plan/<payment id>: the test provider's page for a plan ("Оплатить" / "Отклонить")."""

    name: str = ""
    space: str = ""
    period: str = ""
    held: str = ""
    renewal: bool = False
    amount: str = ""
    purchase_status: str = ""

    @rx.event
    async def load(self):
        payment_id = self._payment_id()
        self.found, self.message = False, ""
        done = await self._act(lambda s, _fx, u: checkout.plan_checkout_view(s, u, payment_id))
        if not done.ok or done.value.provider != "test":
            return
        v = done.value
        self.name, self.space, self.period, self.held, self.renewal = v.name, v.space, v.period, v.held, v.renewal
        self.amount = format_money(v.amount, v.currency)
        self.status, self.purchase_status = v.status, v.purchase_status
        self.found = True

    def _paid_url(self, payment) -> str:
        return f"/cabinet/plans?paid={payment.plan_purchase_id}"

    def _declined_text(self) -> str:
        return tr("Платёж отклонён. Абонемент не оплачен — можно попробовать ещё раз из раздела «Абонементы».")


@dataclass
class HistoryLine:
    when: str = ""
    text: str = ""


@dataclass
class PlanRow:
    id: int = 0
    name: str = ""
    space: str = ""
    space_href: str = ""
    kind_label: str = ""
    status: str = ""
    status_label: str = ""
    period: str = ""
    left: str = ""
    held: str = ""
    amount: str = ""
    renewal: str = ""
    can_cancel_renewal: bool = False
    can_resume_renewal: bool = False
    payable_id: int = 0
    paid: bool = False
    history: list[HistoryLine] = field(default_factory=list)


def _row(v: purchases.PurchaseView) -> PlanRow:
    return PlanRow(v.id, v.name, v.space, f"/spaces/{v.space_id}", v.kind_label, v.status, v.status_label, v.period,
                   v.left, v.held, v.amount, v.renewal, v.can_cancel_renewal, v.can_resume_renewal, v.payable_id, v.paid,
                   [HistoryLine(h.when, h.text) for h in v.history])


PAID = N_("Спасибо! Абонемент «{name}» оплачен.")
PROCESSING = (N_("Платёж за абонемент «{name}» обрабатывается: абонемент заработает, как только платёжная система подтвердит оплату. Обычно это минута."))
CANCELLED = N_("Оплата абонемента «{name}» не завершена. Можно попробовать ещё раз.")


class MyPlansState(PageState):
    """/cabinet/plans."""

    rows: list[PlanRow] = []
    loaded: bool = False
    note: str = ""
    note_color: str = "green"
    busy_id: int = 0

    def _fill(self, views: list[purchases.PurchaseView]) -> None:
        self.rows, self.loaded = [_row(v) for v in views], True

    @rx.event
    async def load(self):
        self.note, self.busy_id = "", 0
        done = await self._act(lambda s, _fx, u: purchases.my_plans(s, u))
        if not done.ok:
            return
        self._fill(done.value)
        query = self.router.url.query_parameters
        paid, cancelled = parse_id(query.get("paid", "")), parse_id(query.get("cancelled", ""))
        back = paid or cancelled
        if back is None:
            return
        came = await self._act(lambda s, _fx, u: purchases.access_purchase(s, u, back))
        if not came.ok:
            return
        purchase = came.value
        if purchase.status == "active":
            self.note, self.note_color = tr(PAID).format(name=purchase.name), "green"
        elif paid:
            self.note, self.note_color = tr(PROCESSING).format(name=purchase.name), "blue"
        else:
            self.note, self.note_color = tr(CANCELLED).format(name=purchase.name), "amber"

    @rx.event
    async def pay(self, purchase_id: int):
        purchase_id = parse_id(purchase_id)
        if purchase_id is None or self.busy_id:
            return
        self.busy_id = purchase_id
        yield
        done = await self._act(lambda s, _fx, u: purchases.do_start_plan_payment(s, u, purchase_id).payment_url)
        self.busy_id = 0
        if not done.ok:
            self.note, self.note_color = done.sentence, "red"
            return
        yield rx.redirect(done.value)

    @rx.event
    async def receipt(self, purchase_id: int):
        purchase_id = parse_id(purchase_id)
        if purchase_id is None:
            return

        def work(s, _fx, u):
            documents.access_plan_receipt(s, u, purchase_id)
            document = documents.do_issue_plan_receipt(s, purchase_id)
            return document.pdf, f"receipt-R-{document.number:06d}.pdf"
        done = await self._act(work)
        if not done.ok:
            self.note, self.note_color = done.sentence, "red"
            return
        return rx.download(data=done.value[0], filename=done.value[1])

    @rx.event
    async def cancel_renewal(self, purchase_id: int):
        await self._renewal(purchase_id, purchases.do_cancel_renewal,
                            tr("Продление абонемента «{name}» отключено: оплаченный месяц действует до конца."))

    @rx.event
    async def resume_renewal(self, purchase_id: int):
        await self._renewal(purchase_id, purchases.do_resume_renewal,
                            tr("Продление абонемента «{name}» включено: за 3 дня до конца месяца придёт ссылка на оплату."))

    async def _renewal(self, purchase_id: int, change, note: str) -> None:
        purchase_id = parse_id(purchase_id)
        if purchase_id is None or self.busy_id:
            return
        self.busy_id = purchase_id

        def work(s, fx, u):
            return change(s, fx, u, purchase_id).name, purchases.my_plans(s, u)
        done = await self._act(work)
        self.busy_id = 0
        if not done.ok:
            self.note, self.note_color = done.sentence, "red"
            return
        name, views = done.value
        self._fill(views)
        self.note, self.note_color = note.format(name=name), "green"
