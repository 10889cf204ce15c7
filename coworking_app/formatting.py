"""How numbers, prices and hours are shown to people, in the current language
(coworking_app/i18n.py): numbers through Babel (CLDR), dates as each language writes them."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
from babel.dates import format_date

from coworking_app import i18n
from coworking_app.i18n import Labels, N_, format_number, plural, tr  # noqa: F401  (plural: re-exported)

CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸"}
UNIT_LABELS = Labels({"hour": N_("час"), "day": N_("день"), "week": N_("неделя"), "month": N_("месяц")})
UNIT_CHOICES = [("hour", N_("в час")), ("day", N_("в день")), ("month", N_("в месяц"))]
WEEKDAY_LABELS = Labels({"mon": N_("Пн"), "tue": N_("Вт"), "wed": N_("Ср"), "thu": N_("Чт"), "fri": N_("Пт"),
                  "sat": N_("Сб"), "sun": N_("Вс")})
RESOURCE_KIND_LABELS = Labels({
    "hot_desk": N_("Незакреплённое место"),
    "fixed_desk": N_("Закреплённое место"),
    "meeting_room": N_("Переговорная"),
    "private_office": N_("Отдельный офис"),
})


def group_thousands(value: int) -> str:
    """12 345 / 12,345."""
    return format_number(value)


def format_money(minor: int | None, currency: str = "RUB") -> str:
    """"4 000 ₽", "4 000,50 ₽" / "₽4,000", "₽4,000.50": kopecks only when there are any."""
    if minor is None:
        return "—"
    sign = "−" if minor < 0 else ""
    amount = format_number(abs(minor) / 100, "#,##0.00" if minor % 100 else "#,##0")
    symbol = CURRENCY_SIGNS.get(currency, currency)
    if i18n.current() == "en":
        return f"{sign}{symbol}{amount}" if len(symbol) == 1 else f"{sign}{amount} {symbol}"
    return f"{sign}{amount} {symbol}"


def format_price(minor: int | None, currency: str, unit: str | None) -> str:
    if minor is None or unit is None:
        return tr("Цена по запросу")
    return tr("от {price}/{unit}", price=format_money(minor, currency), unit=UNIT_LABELS.get(unit, unit))


def format_distance(metres: float | None) -> str:
    if metres is None:
        return ""
    if metres < 1000:
        return tr("{metres} м", metres=round(metres))
    return tr("{km} км", km=format_number(metres / 1000, "0.0"))


def format_minutes(minutes: int) -> str:
    if minutes % 1440 == 0 and minutes >= 1440:
        days = minutes // 1440
        return plural(days, "день", "дня", "дней")
    if minutes % 60 == 0:
        return plural(minutes // 60, "час", "часа", "часов")
    return tr("{minutes} мин", minutes=minutes)


def format_hours(open_: str | None, close: str | None) -> str:
    if not open_ or not close:
        return tr("закрыто")
    if open_ == close:
        return tr("круглосуточно")
    return f"{open_}–{close}"


def format_rating(rating: float, count: int) -> str:
    if count == 0:
        return tr("Нет отзывов")
    return format_number(rating, "0.0") + " · " + plural(count, "отзыв", "отзыва", "отзывов")


SPACE_STATUS_LABELS = Labels({"draft": N_("Черновик"), "pending_review": N_("На проверке"), "published": N_("Опубликовано"),
                       "hidden": N_("Скрыто")})
PAYMENT_STATUS_LABELS = Labels({"pending": N_("Ожидает"), "succeeded": N_("Проведён"), "failed": N_("Ошибка")})
ROLE_LABELS = Labels({"renter": N_("Арендатор"), "owner": N_("Владелец"), "operator": N_("Оператор"), "admin": N_("Администратор")})
BOOKING_STATUS_LABELS = Labels({
    "pending_payment": N_("ожидает оплаты"),
    "paid": N_("оплачено, ждёт подтверждения"),
    "confirmed": N_("подтверждено"),
    "cancelled": N_("отменено"),
    "expired": N_("истекло"),
    "completed": N_("завершено"),
    "no_show": N_("неявка"),
})
PAYMENT_PROVIDER_LABELS = Labels({"stripe": "Stripe", "yookassa": N_("ЮKassa"), "test": N_("Тестовый"),
                           "account": N_("Счёт компании")})
# How a renter paid, as their money history names it (a company's account names the company).
PAYMENT_METHOD_LABELS = Labels({"stripe": N_("Банковская карта (Stripe)"), "yookassa": N_("ЮKassa"), "test": N_("Тестовая оплата"),
                         "account": N_("На счёт компании")})


def quoted(name: str) -> str:
    """«Ромашка»; a name already quoted (ООО «Ромашка») is not quoted again."""
    return name if "«" in name or '"' in name else f"«{name}»"


def on_account_of(company: str | None) -> str:
    """"на счёт компании «Ромашка»" ("на счёт компании ООО «Ромашка»")."""
    return tr("на счёт компании {quoted}", quoted=quoted(company)) if company else tr("на счёт компании")


PAYMENT_PURPOSE_LABELS = Labels({"booking": N_("Оплата брони"), "change": N_("Доплата за изменение"),
                          "invoice": N_("Оплата счёта компании картой"), "plan": N_("Оплата абонемента")})
POLICY_LABELS = Labels({"flexible": N_("Гибкие"), "moderate": N_("Умеренные"), "strict": N_("Строгие")})
PLAN_KIND_LABELS = Labels({"day_pass": N_("Пакет дней"), "membership": N_("Абонемент на месяц"), "credits": N_("Пакет часов переговорных")})
MEMBERSHIP_TYPE_LABELS = Labels({"hot_desk": N_("Незакреплённое место"), "fixed_desk": N_("Закреплённое место"),
                          "office": N_("Отдельный офис")})
PURCHASE_STATUS_LABELS = Labels({"pending_payment": N_("Ждёт оплаты"), "active": N_("Действует"), "ended": N_("Закончился"),
                          "cancelled": N_("Не оплачен")})
ADDON_UNIT_LABELS = Labels({"booking": N_("за бронь"), "hour": N_("в час"), "seat": N_("за место")})
PROMO_KIND_LABELS = Labels({"percent": N_("Процент"), "fixed": N_("Фиксированная сумма")})
LANGUAGE_LABELS = Labels({"ru": N_("Русский"), "en": "English"})
# Market data (docs/market.md): crawl sources, their runs, competitors' listings.
MARKET_KIND_LABELS = Labels({"jsonld": "JSON-LD", "css": N_("CSS-селекторы")})
MARKET_SCHEDULE_LABELS = Labels({"": N_("нет"), "daily": N_("ежедневно"), "weekly": N_("еженедельно")})
MARKET_RUN_STATUS_LABELS = Labels({"queued": N_("в очереди"), "running": N_("идёт"), "finished": N_("завершён"), "failed": N_("ошибка")})
MARKET_TRIGGER_LABELS = Labels({"manual": N_("вручную"), "schedule": N_("по расписанию")})
MARKET_CANCELLATION_LABELS = {**POLICY_LABELS, "unknown": N_("не указаны")}
MARKET_LOCATED_LABELS = Labels({"page": N_("по координатам страницы"), "address": N_("по адресу"), "city": N_("только город"),
                         "none": N_("не определено")})


def join_labels(values, labels: dict[str, str]) -> str:
    """"hot_desk,meeting_room" or a list -> "Незакреплённое место, Переговорная"."""
    items = values.split(",") if isinstance(values, str) else list(values or [])
    return ", ".join(labels.get(str(v).strip(), str(v).strip()) for v in items if str(v).strip())


def format_place(*parts: str | None) -> str:
    """"Москва, ул. Ленина, 1" from the city and the address, naming the city once: an
    address usually begins with its city already."""
    out: list[str] = []
    for part in parts:
        part = (part or "").strip()
        if not part:
            continue
        if out and part.casefold().startswith(out[-1].casefold()):
            out[-1] = part  # "Москва" + "Москва, ул. ..." -> the address alone
        elif not any(p.casefold() == part.casefold() for p in out):
            out.append(part)
    return ", ".join(out)


# --- moments ---------------------------------------------------------------------------------

DEFAULT_ZONE = "Europe/Moscow"


def format_moment(value: datetime | None, zone: str | tzinfo = DEFAULT_ZONE, fmt: str | None = None, *,
                  seconds: bool = False, named: bool = False) -> str:
    """15.12.2025 10:49 in `zone` (the space's or the person's): never UTC, never ISO.
    `named` adds the zone where it is not obvious: "15.12.2025 10:49 МСК". Never raises: a
    moment with no local time (year 9999 east of UTC, see local_moment) is given in UTC and
    says so, so no row the database holds can break a list."""
    if value is None:
        return "—"
    fmt = fmt or (day_pattern() + (" %H:%M:%S" if seconds else " %H:%M"))
    if value.tzinfo is None:
        return value.strftime(fmt)
    try:
        local = value.astimezone(_zone(zone) if isinstance(zone, str) else zone)
    except (OverflowError, ValueError):
        return value.astimezone(timezone.utc).strftime(fmt) + " UTC"
    return f"{local.strftime(fmt)} {zone_name(local)}" if named else local.strftime(fmt)


def local_moment(value: datetime, zone: tzinfo) -> datetime:
    """A stored moment in `zone`; never raises: a moment at the edge of the calendar
    (0001-01-01 or 9999-12-31, which the database holds) may have no local time in a zone
    east or west of UTC, and is then given in UTC."""
    try:
        return value.astimezone(zone)
    except (OverflowError, ValueError):
        return value.astimezone(timezone.utc)


def day_pattern() -> str:
    """How a date is written (strftime): 15.12.2025 / 15 Dec 2025."""
    return "%d %b %Y" if i18n.current() == "en" else "%d.%m.%Y"


def format_day(day: date | datetime) -> str:
    """15.12.2025 / 15 Dec 2025."""
    return day.strftime(day_pattern())


def _percent(number: str) -> str:
    return number + ("%" if i18n.current() == "en" else " %")


def format_percent(value: float) -> str:
    """12,5 % / 12.5% (the language's decimal sign)."""
    return _percent(format_number(value, "0.0"))


def zone_name(moment: datetime) -> str:
    """"МСК", "МСК+4" (Novosibirsk) or "UTC+5" for a zone-aware local moment."""
    offset = moment.utcoffset()
    if offset is None:
        return ""
    hours = round(offset.total_seconds() / 3600 - 3)
    if -1 <= hours <= 9:
        return tr("МСК") + (f"{hours:+d}" if hours else "")  # MSK in English
    return f"UTC{offset.total_seconds() / 3600:+g}"


def format_stay(start: datetime, end: datetime) -> str:
    """A booking's time, both ends local: "15.12.2025, 10:00–13:00"; whole days name the
    last day booked, not the midnight after it: "15.12.2025 – 16.12.2025 (2 дня)"."""
    midnight = start.time() == end.time() == time(0)
    if midnight and end > start:
        days = (end.date() - start.date()).days
        last = end.date() - timedelta(days=1)
        if days == 1:
            return tr("{day} (весь день)", day=format_day(start))
        return f"{format_day(start)} – {format_day(last)} ({plural(days, 'день', 'дня', 'дней')})"
    if start.date() == end.date() or (end - start < timedelta(days=1) and end.time() == time(0)):
        end_label = "24:00" if end.time() == time(0) and end.date() > start.date() else f"{end:%H:%M}"
        return f"{format_day(start)}, {start:%H:%M}–{end_label}"
    return f"{format_day(start)} {start:%H:%M} – {format_day(end)} {end:%H:%M}"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def _parse_moment(value: object) -> datetime | None:
    """An ISO 8601 moment as JSON stores it ("2025-12-15T07:49:00+00:00"), else None."""
    if not isinstance(value, str) or len(value) < 16 or value[4:5] != "-" or "T" not in value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


# --- finance (services/finance) ----------------------------------------------------------------

JOURNAL_KIND_LABELS = Labels({
    "payment": N_("Оплата"), "refund": N_("Возврат"), "completion": N_("Бронь завершена"),
    "cancellation": N_("Отмена брони"), "rejection": N_("Бронь отклонена"), "no_show": N_("Неявка"),
    "change": N_("Изменение брони"), "penalty_waived": N_("Штраф отменён"), "payout": N_("Выплата"),
    "payout_paid": N_("Выплата проведена банком"), "payout_failed": N_("Выплата не прошла"),
    "invoice": N_("Выставлен счёт"), "invoice_paid": N_("Счёт оплачен"), "adjustment": N_("Корректировка"),
    "invoice_overpaid": N_("Лишняя оплата счёта картой"), "invoice_refund": N_("Возврат лишней оплаты счёта"),
})
def format_day_long(day: date) -> str:
    """1 августа 2026 / 1 August 2026 (a date people read in a sentence: the next payout)."""
    return format_date(day, "d MMMM y", locale=i18n.current())


def format_commission(bp: int) -> str:
    """A commission in basis points as people say it: 1500 -> "15 %", 1250 -> "12,5 %"."""
    whole, rest = divmod(bp, 100)
    return _percent(format_number(whole) if not rest else format_number(bp / 100, "0.0#"))


PENALTY_KIND_LABELS = Labels({"late_cancellation": N_("Штраф за позднюю отмену"), "no_show": N_("Штраф за неявку")})
PENALTY_STATUS_LABELS = Labels({"charged": N_("Удержан"), "waived": N_("Отменён")})
PAYOUT_STATUS_LABELS = Labels({"pending": N_("Отправлена в банк"), "paid": N_("Выплачена"), "failed": N_("Не прошла"),
                        "rolled_over": N_("Перенесена на следующий месяц")})
INVOICE_STATUS_LABELS = Labels({"issued": N_("Выставлен"), "paid": N_("Оплачен")})
COMPANY_ROLE_LABELS = Labels({"admin": N_("Администратор компании"), "member": N_("Сотрудник")})
VAT_STATUS_LABELS = Labels({"vat": N_("Плательщик НДС"), "no_vat": N_("Без НДС")})
RECONCILIATION_STATUS_LABELS = Labels({"ok": N_("Сходится"), "mismatches": N_("Есть расхождения"),
                                "failed": N_("Не выполнена")})
RECONCILIATION_KIND_LABELS = Labels({
    "missing_in_ledger": N_("Есть у платёжной системы, нет у нас"),
    "missing_at_provider": N_("Есть у нас, нет у платёжной системы"),
    "amount_differs": N_("Сумма не совпадает"),
    "ledger_differs": N_("Деньги в книге не равны нашим платежам"),
})
RECONCILIATION_SUBJECT_LABELS = Labels({"payment": N_("Платёж"), "refund": N_("Возврат"), "cash": N_("Счёт книги")})


# --- the audit log ---------------------------------------------------------------------------

AUDIT_ENTITY_LABELS = Labels({"space": N_("Пространство"), "resource": N_("Ресурс"), "tariff": N_("Тариф"),
                       "addon": N_("Доп. услуга"), "promo_code": N_("Промокод"), "booking": N_("Бронь"),
                       "payment": N_("Платёж"), "user": N_("Пользователь"), "closure": N_("Закрытые дни"),
                       "penalty": N_("Штраф"), "owner_finance": N_("Выплаты владельца"),
                       "company": N_("Компания"), "company_member": N_("Сотрудник компании")})
AUDIT_ACTION_LABELS = Labels({"create": N_("создание"), "update": N_("изменение"), "delete": N_("удаление")})
# Column -> label, shared by every audited table; a few differ per entity.
AUDIT_FIELD_LABELS = Labels({
    "id": "ID", "name": N_("Название"), "description": N_("Описание"), "address": N_("Адрес"),
    "name_en": N_("Название по-английски"), "description_en": N_("Описание по-английски"),
    "location": N_("Координаты"), "city_id": N_("Город (ID)"), "district_id": N_("Район (ID)"),
    "timezone": N_("Часовой пояс"), "opening_hours": N_("Часы работы"), "status": N_("Статус"),
    "amenities": N_("Удобства"), "price_hour_from": N_("Цена от, в час"), "price_day_from": N_("Цена от, в день"),
    "price_month_from": N_("Цена от, в месяц"), "currency": N_("Валюта"), "max_capacity": N_("Вместимость"),
    "instant_book": N_("Мгновенное бронирование"), "cancellation_policy": N_("Условия отмены"),
    "vat_rate_bp": N_("Ставка НДС"), "prices_include_vat": N_("НДС в цене"),
    "moderation_note": N_("Замечание модератора"), "changed_for_review_at": N_("Изменения на проверке с"),
    "rating": N_("Рейтинг"), "reviews_count": N_("Отзывов"), "created_at": N_("Создано"),
    "deleted_at": N_("Удалено"), "owner_id": N_("Владелец (ID)"), "space_id": N_("Пространство (ID)"),
    "kind": N_("Тип"), "capacity": N_("Мест"), "min_minutes": N_("Мин. длительность"),
    "max_minutes": N_("Макс. длительность"), "resource_id": N_("Ресурс (ID)"), "unit": N_("Единица"),
    "price_minor": N_("Цена"), "code": N_("Код"), "resource_kinds": N_("Для ресурсов"),
    "max_quantity": N_("Макс. количество"), "active": N_("Активна"), "value": N_("Скидка"),
    "valid_from": N_("Действует с"), "valid_until": N_("Действует до"), "max_uses_total": N_("Макс. использований"),
    "max_uses_per_user": N_("Макс. на человека"), "min_amount_minor": N_("Минимальная сумма"),
    "user_id": N_("Арендатор (ID)"), "start_at": N_("Начало"), "end_at": N_("Конец"), "seats": N_("Мест"),
    "whole": N_("Целиком"), "expires_at": N_("Оплатить до"), "price": N_("Расчёт цены"), "addons": N_("Доп. услуги"),
    "total_minor": N_("Сумма"), "promo_id": N_("Промокод (ID)"), "policy": N_("Условия отмены"),
    "paid_minor": N_("Оплачено"), "refunded_minor": N_("Возвращено"), "balance_due_minor": N_("К доплате"),
    "pending_change": N_("Ожидающее изменение"), "cancel_reason": N_("Причина отмены"),
    "booking_id": N_("Бронь (ID)"), "provider": N_("Провайдер"), "purpose": N_("Назначение"),
    "provider_session_id": N_("Сессия провайдера"), "provider_payment_id": N_("Платёж у провайдера"),
    "idempotency_key": N_("Ключ идемпотентности"), "amount_minor": N_("Сумма"), "payment_url": N_("Ссылка на оплату"),
    "change": N_("Изменение"), "failure": N_("Ошибка"), "email": "Email", "email_verified_at": N_("Email подтверждён"),
    "phone": N_("Телефон"), "full_name": N_("Имя"), "password_hash": N_("Пароль"), "roles": N_("Роли"),
    "language": N_("Язык"), "notification_prefs": N_("Настройки уведомлений"), "totp_secret": N_("Ключ 2FA"),
    "totp_enabled_at": N_("2FA включена"), "is_active": N_("Активен"), "password_changed_at": N_("Пароль изменён"),
    "first_day": N_("Первый закрытый день"), "last_day": N_("Последний закрытый день"), "reason": N_("Причина"),
    "created_by": N_("Кто закрыл (ID)"),
    "waived_by": N_("Кто отменил (ID)"), "waive_reason": N_("Причина отмены штрафа"), "waived_at": N_("Штраф отменён"),
    "commission_bp": N_("Комиссия"), "payee_name": N_("Получатель"), "payee_inn": N_("ИНН получателя"),
    "bank_name": N_("Банк"), "bank_bik": N_("БИК"), "bank_account": N_("Расчётный счёт"),
    "bank_corr_account": N_("Корр. счёт"), "inn": N_("ИНН"), "kpp": N_("КПП"), "billing_email": N_("Email для счетов"),
    "credit_limit_minor": N_("Кредитный лимит"), "vat_status": N_("НДС"), "company_id": N_("Компания (ID)"),
    "role": N_("Роль"), "monthly_limit_minor": N_("Лимит в месяц"), "no_show_fee_percent": N_("Штраф за неявку, %"),
    "no_show_release": N_("Снимать бронь при неявке"), "checkin_grace_minutes": N_("Ждать гостя, минут"),
    "checked_in_at": N_("Гость пришёл"), "checkin_method": N_("Как отмечен приход"), "checked_in_by": N_("Кто отметил приход (ID)"),
})
_AUDIT_CHOICES = {  # (entity, column) -> value labels; "*" = every entity
    ("booking", "status"): BOOKING_STATUS_LABELS, ("space", "status"): SPACE_STATUS_LABELS,
    ("payment", "status"): PAYMENT_STATUS_LABELS, ("resource", "kind"): RESOURCE_KIND_LABELS,
    ("promo_code", "kind"): PROMO_KIND_LABELS, ("tariff", "unit"): UNIT_LABELS,
    ("addon", "unit"): ADDON_UNIT_LABELS, ("payment", "provider"): PAYMENT_PROVIDER_LABELS,
    ("payment", "purpose"): PAYMENT_PURPOSE_LABELS, ("*", "cancellation_policy"): POLICY_LABELS,
    ("*", "policy"): POLICY_LABELS, ("*", "language"): LANGUAGE_LABELS,
    ("*", "roles"): ROLE_LABELS, ("*", "resource_kinds"): RESOURCE_KIND_LABELS,
    ("penalty", "kind"): PENALTY_KIND_LABELS, ("penalty", "status"): PENALTY_STATUS_LABELS,
    ("company_member", "role"): COMPANY_ROLE_LABELS, ("company", "vat_status"): VAT_STATUS_LABELS,
}
_AUDIT_MONEY = {"price_hour_from", "price_day_from", "price_month_from"}


def audit_field_label(name: str) -> str:
    return AUDIT_FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


def format_audit_value(entity: str, name: str, value: object, zone: str = DEFAULT_ZONE) -> str:
    """One old or new value of the audit log as the screens show it: statuses and kinds in
    Russian, money in roubles, moments local, yes/no; long JSON shortened."""
    if value is None or value == "":
        return "—"
    labels = _AUDIT_CHOICES.get((entity, name)) or _AUDIT_CHOICES.get(("*", name))
    if labels is not None and isinstance(value, (str, list)):
        return join_labels(value, labels) if isinstance(value, list) else labels.get(value, value)
    if isinstance(value, bool):
        return tr("да") if value else tr("нет")
    if isinstance(value, (int, float)) and (name.endswith("_minor") or name in _AUDIT_MONEY):
        return format_money(int(value))
    if name == "value" and entity == "promo_code" and isinstance(value, int):
        return str(value)  # percent or minor units, depending on the kind next to it
    if name == "vat_rate_bp" and isinstance(value, int):
        return f"{value / 100:g} %"
    if name in ("min_minutes", "max_minutes") and isinstance(value, int):
        return format_minutes(value)
    moment = _parse_moment(value)
    if moment is not None:
        return format_moment(moment, zone)
    if isinstance(value, (dict, list)):
        return _audit_structure(name, value, zone)
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


def _audit_structure(name: str, value: dict | list, zone: str) -> str:
    """JSON columns in words: the price's total, add-on names, opening hours, a change."""
    if not value:
        return "—"
    if name == "price" and isinstance(value, dict) and "total" in value:
        return tr("итого ") + format_money(int(value["total"]), str(value.get("currency") or "RUB"))
    if name == "addons" and isinstance(value, list):
        return ", ".join(str(a.get("name", a.get("code", ""))) if isinstance(a, dict) else str(a)
                         for a in value)
    if name == "opening_hours" and isinstance(value, dict):
        return ", ".join(f"{WEEKDAY_LABELS.get(day, day)} "
                         f"{format_hours((h or {}).get('open'), (h or {}).get('close'))}"
                         for day, h in value.items() if day in WEEKDAY_LABELS)
    if name in ("pending_change", "change") and isinstance(value, dict) and "start" in value:
        start, end = _parse_moment(value.get("start")), _parse_moment(value.get("end"))
        when = format_stay(start.astimezone(_zone(zone)), end.astimezone(_zone(zone))) if start and end else ""
        seats = tr(", мест: {seats}", seats=value['seats']) if value.get("seats") else ""
        return f"{when}{seats}" or "—"
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return ", ".join(str(v) for v in value)
    if name == "notification_prefs":
        return tr("изменены")
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:119] + "…"


# --- links in plain text ----------------------------------------------------------------------

_URL = re.compile(r"(?:https?://[^\s<>\"']+|(?<![\w/])/(?:cabinet|owner|inbox|spaces|search|admin|checkout)"
                  r"(?:[/?#][^\s<>\"']*)?)")
LINK_LABELS = [  # (path prefix, label) for links to our own pages, first match wins
    ("/api/v1/unsubscribe/", N_("Отписаться")), ("/cabinet/bookings", N_("Мои брони")),
    ("/cabinet/notifications", N_("Уведомления")), ("/cabinet", N_("Личный кабинет")),
    ("/owner/bookings", N_("Брони гостей")), ("/owner/spaces/", N_("Открыть пространство в кабинете")),
    ("/owner", N_("Мои пространства")), ("/inbox", N_("Открыть переписку")),
    ("/spaces/", N_("Страница пространства")), ("/search", N_("Поиск")), ("/admin", N_("Панель оператора")),
]


def own_path(url: str, base_url: str) -> str | None:
    """The local path of a link to this site (an absolute URL on `base_url` or a path),
    None for anything else: only our own pages become clickable."""
    url = url.rstrip(".,;:!?)»")
    base = base_url.rstrip("/")
    if base and (url == base or url.startswith(base + "/")):
        url = url[len(base):] or "/"
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return None


def split_links(text: str, base_url: str) -> list[tuple[str, str]]:
    """Plain text cut into (text, href) parts: href is "" for plain text and a local path
    for a link to our own site (its label then says where it goes). Links elsewhere stay
    plain text; nothing here is HTML."""
    parts: list[tuple[str, str]] = []
    last = 0
    for match in _URL.finditer(text):
        raw = match.group(0)
        trimmed = raw.rstrip(".,;:!?)»")
        path = own_path(trimmed, base_url)
        if path is None:
            continue
        if match.start() > last:
            parts.append((text[last:match.start()], ""))
        label = next((tr(lab) for prefix, lab in LINK_LABELS if path.startswith(prefix)), tr("Открыть"))
        parts.append((label, path))
        last = match.start() + len(trimmed)
    if last < len(text):
        parts.append((text[last:], ""))
    return parts
