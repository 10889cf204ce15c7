"""The operator panel's tables: bookings, spaces, users and payments, filtered, sorted and
paged in SQL. The exports (services/admin/exports.py) and the dashboard read through the same
conditions, so a table, its export and the KPI it explains show the same numbers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import Field, field_validator
from sqlalchemy import Select, String, and_, cast, func, literal, or_, select
from sqlmodel import Session

from coworking_app.formatting import (
    BOOKING_STATUS_LABELS,
    PAYMENT_PROVIDER_LABELS,
    PAYMENT_PURPOSE_LABELS,
    PAYMENT_STATUS_LABELS,
    RESOURCE_KIND_LABELS,
    ROLE_LABELS,
    SPACE_STATUS_LABELS,
    format_day,
    format_moment,
    format_money,
    join_labels,
)
from coworking_app.services.common.query import QueryModel
from coworking_app.settings import get_settings

from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.admin.analytics import day_start
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.common.fields import Day, Id, Line
from models import (
    BookingStatus,
    City,
    Payment,
    PaymentStatus,
    Resource,
    ResourceKind,
    Role,
    Space,
    SpaceStatus,
    User,
)
from models import Booking
from coworking_app.i18n import Labels, N_, format_number, tr
from coworking_app.services.catalog.geo import local_name

TableName = Literal["bookings", "spaces", "users", "payments"]
TABLES: tuple[str, ...] = ("bookings", "spaces", "users", "payments")
ColumnKind = Literal["id", "text", "money", "datetime", "status", "number", "bool", "list"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: ColumnKind = "text"
    # The words shown for stored codes (statuses, kinds, roles): coworking_app/formatting.py.
    labels: dict[str, str] | None = field(default=None, hash=False, compare=False)


class TableFilter(QueryModel):
    """Query parameters shared by every table; each table says which `status` and `type`
    values it knows (bookings: `placed` = every status but pending_payment/expired)."""

    id: Id | None = None
    status: Line(24) | None = None
    type: Line(24) | None = None
    date_from: Day | None = None
    date_to: Day | None = None
    created_from: Day | None = None
    created_to: Day | None = None
    city_id: Id | None = None
    space_id: Id | None = None
    q: Line(100) | None = None
    sort: Line(24) = "-id"
    page: int = Field(default=1, ge=1, le=1_000_000)
    page_size: int = Field(default=25, ge=1, le=200)

    @field_validator("q", "status", "type")
    @classmethod
    def _blank(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    def describe(self, table: str | None = None) -> str:
        """The filters in words, for export titles: "статус: отменено, с 01.12.2025"."""
        spec = SPECS.get(table or "")
        labels = {c.key: c.labels for c in spec.columns if c.labels} if spec else {}
        parts = []
        for key, value in self.model_dump(exclude={"page", "page_size", "sort"}).items():
            if value in (None, ""):
                continue
            if isinstance(value, date):
                value = format_day(value)
            elif key == "status":
                value = {PLACED: tr("оформленные"), **(labels.get("status") or {}), "active": tr("активные"),
                         "blocked": tr("заблокированные")}.get(value, value)
            elif key == "type":
                value = (labels.get("type") or labels.get("roles") or labels.get("provider")
                         or RESOURCE_KIND_LABELS).get(value, value)
            parts.append(f"{_FILTER_LABELS.get(key, key)} {value}")
        return ", ".join(parts) or tr("без фильтров")


_FILTER_LABELS = Labels({"id": "№", "status": N_("статус:"), "type": N_("тип:"), "date_from": N_("с"), "date_to": N_("по"),
                  "created_from": N_("созданы с"), "created_to": N_("созданы по"), "city_id": N_("город №"),
                  "space_id": N_("пространство №"), "q": N_("поиск:")})


@dataclass
class TablePage:
    table: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    total: int
    totals: dict[str, int] = field(default_factory=dict)  # money columns over every matching row
    page: int = 1
    page_size: int = 25


@dataclass(frozen=True)
class _Spec:
    columns: tuple[Column, ...]
    statuses: tuple[str, ...]
    types: tuple[str, ...]
    sums: tuple[str, ...]  # money columns totalled over the whole result


def _day_range(column, start: date | None, end: date | None) -> list:
    out = []
    if start:
        out.append(column >= day_start(start))
    if end:
        out.append(column < day_start(end + timedelta(days=1)))
    return out


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _check_choice(field_name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise InvalidInput(field_name, tr("Допустимые значения: {join}", join=', '.join(allowed)))


# --- bookings ----------------------------------------------------------------------------

PLACED = "placed"
_BOOKING_STATUSES = (*[s.value for s in BookingStatus], PLACED)


def booking_conditions(flt: TableFilter) -> list:
    """WHERE conditions of the bookings table (also what the dashboard's KPIs count)."""
    conditions: list = []
    if flt.id:
        conditions.append(Booking.id == flt.id)
    if flt.status == PLACED:
        conditions.append(Booking.status.not_in([BookingStatus.pending_payment.value,
                                                 BookingStatus.expired.value]))
    elif flt.status:
        conditions.append(Booking.status == flt.status)
    if flt.type:
        conditions.append(Resource.kind == flt.type)
    conditions += _day_range(Booking.start_at, flt.date_from, flt.date_to)
    conditions += _day_range(Booking.created_at, flt.created_from, flt.created_to)
    if flt.city_id:
        conditions.append(Space.city_id == flt.city_id)
    if flt.space_id:
        conditions.append(Booking.space_id == flt.space_id)
    if flt.q:
        # Matching people and spaces first (small tables), then their bookings by index.
        pattern = _like(flt.q)
        conditions.append(or_(Booking.user_id.in_(select(User.id).where(User.email.ilike(pattern))),
                              Booking.space_id.in_(select(Space.id).where(Space.name.ilike(pattern)))))
    return conditions


def _booking_totals(flt: TableFilter) -> Select:
    """Count and money totals of the bookings table, joining only what a filter needs (the
    joins of the listing are many-to-one on NOT NULL keys, so they change no count)."""
    query = select(func.count(), func.coalesce(func.sum(Booking.total_minor), 0),
                   func.coalesce(func.sum(Booking.paid_minor - Booking.refunded_minor), 0)).select_from(Booking)
    if flt.type:
        query = query.join(Resource, Resource.id == Booking.resource_id)
    if flt.city_id:
        query = query.join(Space, Space.id == Booking.space_id)
    return query.where(*booking_conditions(flt))


def _bookings(flt: TableFilter) -> Select:
    return (select(Booking.id.label("id"), Space.name.label("space"), Resource.name.label("resource"),
                   Resource.kind.label("type"), User.email.label("renter"), Booking.start_at.label("start"),
                   Booking.status.label("status"), Booking.total_minor.label("total"),
                   (Booking.paid_minor - Booking.refunded_minor).label("net"),
                   Booking.currency.label("currency"), Booking.created_at.label("created"),
                   # not shown: what booking_states.booking_refusal needs for the row's actions
                   Booking.start_at.label("start_at"), Booking.end_at.label("end_at"),
                   Booking.expires_at.label("expires_at"))
            .join(Space, Space.id == Booking.space_id).join(Resource, Resource.id == Booking.resource_id)
            .join(User, User.id == Booking.user_id).where(*booking_conditions(flt)))


# --- spaces ------------------------------------------------------------------------------


def _spaces(flt: TableFilter) -> Select:
    owner = User.__table__.alias("owner")
    conditions: list = [Space.deleted_at.is_(None)]
    if flt.id:
        conditions.append(Space.id == flt.id)
    if flt.status:
        conditions.append(Space.status == flt.status)
    if flt.type:
        conditions.append(select(Resource.id).where(Resource.space_id == Space.id,
                                                    Resource.kind == flt.type).exists())
    conditions += _day_range(Space.created_at, flt.date_from or flt.created_from, flt.date_to or flt.created_to)
    if flt.city_id:
        conditions.append(Space.city_id == flt.city_id)
    if flt.space_id:
        conditions.append(Space.id == flt.space_id)
    if flt.q:
        pattern = _like(flt.q)
        conditions.append(or_(Space.name.ilike(pattern), Space.address.ilike(pattern),
                              owner.c.email.ilike(pattern)))
    return (select(Space.id.label("id"), Space.name.label("name"), local_name(City).label("city"),
                   func.coalesce(owner.c.email, "").label("owner"), Space.status.label("status"),
                   Space.rating.label("rating"), Space.reviews_count.label("reviews"),
                   Space.created_at.label("created"))
            .join(City, City.id == Space.city_id).outerjoin(owner, owner.c.id == Space.owner_id)
            .where(*conditions))


# --- users -------------------------------------------------------------------------------


def _users(flt: TableFilter) -> Select:
    conditions: list = []
    if flt.id:
        conditions.append(User.id == flt.id)
    if flt.status == "active":
        conditions.append(User.is_active.is_(True))
    elif flt.status == "blocked":
        conditions.append(User.is_active.is_(False))
    if flt.type:
        conditions.append(User.roles.contains([flt.type]))
    conditions += _day_range(User.created_at, flt.date_from or flt.created_from, flt.date_to or flt.created_to)
    if flt.q:
        pattern = _like(flt.q)
        conditions.append(or_(User.email.ilike(pattern), User.full_name.ilike(pattern)))
    return (select(User.id.label("id"), User.email.label("email"), User.full_name.label("name"),
                   func.array_to_string(User.roles, ", ").label("roles"), User.created_at.label("created"),
                   (~User.is_active).label("blocked"))
            .where(*conditions))


# --- payments ----------------------------------------------------------------------------


def _payments(flt: TableFilter) -> Select:
    conditions: list = []
    if flt.id:
        conditions.append(Payment.id == flt.id)
    if flt.status:
        conditions.append(Payment.status == flt.status)
    if flt.type:
        conditions.append(Payment.provider == flt.type)
    conditions += _day_range(Payment.created_at, flt.date_from or flt.created_from, flt.date_to or flt.created_to)
    if flt.space_id or flt.city_id or flt.q:
        booking_match = [Booking.id == Payment.booking_id]
        if flt.space_id:
            booking_match.append(Booking.space_id == flt.space_id)
        if flt.city_id:
            booking_match.append(Space.city_id == flt.city_id)
        if flt.q:
            booking_match.append(or_(User.email.ilike(_like(flt.q)),
                                     cast(Payment.provider_payment_id, String).ilike(_like(flt.q))))
        conditions.append(select(literal(1)).select_from(Booking)
                          .join(Space, Space.id == Booking.space_id).join(User, User.id == Booking.user_id)
                          .where(and_(*booking_match)).exists())
    return (select(Payment.id.label("id"), Payment.booking_id.label("booking"), Payment.provider.label("provider"),
                   Payment.purpose.label("purpose"), Payment.amount_minor.label("amount"),
                   Payment.refunded_minor.label("refunded"), Payment.currency.label("currency"),
                   Payment.status.label("status"), Payment.created_at.label("created"))
            .where(*conditions))


SPECS: dict[str, _Spec] = {
    "bookings": _Spec(
        columns=(Column("id", "ID", "id"), Column("space", N_("Пространство")), Column("resource", N_("Ресурс")),
                 Column("type", N_("Тип"), labels=RESOURCE_KIND_LABELS), Column("renter", N_("Арендатор")),
                 Column("start", N_("Начало"), "datetime"),
                 Column("status", N_("Статус"), "status", BOOKING_STATUS_LABELS), Column("total", N_("Сумма"), "money"),
                 Column("net", N_("Оплачено за вычетом возвратов"), "money"), Column("created", N_("Создана"), "datetime")),
        statuses=_BOOKING_STATUSES, types=tuple(k.value for k in ResourceKind), sums=("total", "net")),
    "spaces": _Spec(
        columns=(Column("id", "ID", "id"), Column("name", N_("Название")), Column("city", N_("Город")),
                 Column("owner", N_("Владелец")), Column("status", N_("Статус"), "status", SPACE_STATUS_LABELS),
                 Column("rating", N_("Рейтинг"), "number"), Column("reviews", N_("Отзывов"), "number"),
                 Column("created", N_("Создано"), "datetime")),
        statuses=tuple(s.value for s in SpaceStatus), types=tuple(k.value for k in ResourceKind), sums=()),
    "users": _Spec(
        columns=(Column("id", "ID", "id"), Column("email", "Email"), Column("name", N_("Имя")),
                 Column("roles", N_("Роли"), "list", ROLE_LABELS), Column("created", N_("Зарегистрирован"), "datetime"),
                 Column("blocked", N_("Заблокирован"), "bool")),
        statuses=("active", "blocked"), types=tuple(r.value for r in Role), sums=()),
    "payments": _Spec(
        columns=(Column("id", "ID", "id"), Column("booking", N_("Бронь"), "id"),
                 Column("provider", N_("Провайдер"), labels=PAYMENT_PROVIDER_LABELS),
                 Column("purpose", N_("Назначение"), labels=PAYMENT_PURPOSE_LABELS), Column("amount", N_("Сумма"), "money"),
                 Column("refunded", N_("Возвращено"), "money"), Column("status", N_("Статус"), "status", PAYMENT_STATUS_LABELS),
                 Column("created", N_("Создан"), "datetime")),
        statuses=tuple(s.value for s in PaymentStatus), types=tuple(PAYMENT_PROVIDER_LABELS), sums=("amount", "refunded")),
}
_BUILDERS = {"bookings": _bookings, "spaces": _spaces, "users": _users, "payments": _payments}


def check_table_query(table: str, flt: TableFilter) -> _Spec:
    if table not in SPECS:
        raise InvalidInput("table", tr("Такой таблицы нет. Допустимые значения: {join}", join=', '.join(TABLES)))
    spec = SPECS[table]
    _check_choice("status", flt.status, spec.statuses)
    _check_choice("type", flt.type, spec.types)
    key = flt.sort.removeprefix("-")
    _check_choice("sort", key, tuple(c.key for c in spec.columns))
    return spec


def _ordered(table: str, flt: TableFilter) -> Select:
    query = _BUILDERS[table](flt).subquery("t")
    key = flt.sort.removeprefix("-")
    column = query.c[key]
    # Plain ASC/DESC (no NULLS LAST): then "newest first" walks an index backwards and a page
    # of 25 reads 25 rows instead of sorting a million (nullable columns: nulls come first
    # when descending).
    order = [column.desc() if flt.sort.startswith("-") else column.asc()]
    if key != "id":
        order.append(query.c.id.desc())
    return select(query).order_by(*order)


def list_table(session: Session, user: User | None, table: str, flt: TableFilter) -> TablePage:
    """One page of a table for operators and admins, with the row count and money totals."""
    check_role(user, Role.operator, Role.admin)
    spec = check_table_query(table, flt)
    if table == "bookings":
        counted = session.execute(_booking_totals(flt)).one()  # sums in spec.sums order: total, net
    else:
        base = _BUILDERS[table](flt).subquery("t")
        aggregates = [func.count()] + [func.coalesce(func.sum(base.c[k]), 0) for k in spec.sums]
        counted = session.execute(select(*aggregates).select_from(base)).one()
    rows = session.execute(_ordered(table, flt).offset((flt.page - 1) * flt.page_size).limit(flt.page_size))
    return TablePage(table=table, columns=list(spec.columns), rows=[dict(r._mapping) for r in rows],
                     total=int(counted[0]), totals={k: int(v) for k, v in zip(spec.sums, counted[1:])},
                     page=flt.page, page_size=flt.page_size)


def iter_table(session: Session, user: User | None, table: str, flt: TableFilter,
               *, batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Every matching row in the table's order (exports), streamed from the server."""
    check_role(user, Role.operator, Role.admin)
    check_table_query(table, flt)
    result = session.execute(_ordered(table, flt).execution_options(yield_per=batch))
    for row in result:
        yield dict(row._mapping)


def cell_value(column: Column, row: dict[str, Any]) -> Any:
    """What a cell holds for a person: a label instead of a stored code, "Нет отзывов"
    instead of a rating of 0; numbers, money and moments stay typed (Excel keeps them so)."""
    value = row.get(column.key)
    if value is None:
        return None
    if column.labels is not None:
        return join_labels(value, column.labels) if column.kind == "list" else column.labels.get(value, str(value))
    if column.key == "rating" and "reviews" in row and not row["reviews"]:
        return tr("Нет отзывов")
    return value


def format_cell(column: Column, row: dict[str, Any]) -> str:
    """A cell as text (the panel's tables and the PDF export): the same words as Excel."""
    value = cell_value(column, row)
    if value is None:
        return ""
    if column.kind == "money" and isinstance(value, int | float):
        return format_money(int(value), row.get("currency") or "RUB")
    if column.kind == "datetime" and isinstance(value, datetime):
        return format_moment(value, get_settings().report_timezone)
    if column.kind == "date" and isinstance(value, date):
        return format_day(value)
    if column.kind == "bool":
        return tr("да") if value else tr("нет")
    if column.kind == "number" and isinstance(value, float):
        return format_number(value, "0.0")
    return str(value)
