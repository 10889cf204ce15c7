"""How numbers, prices and hours are shown to people (Russian locale)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸"}
UNIT_LABELS = {"hour": "час", "day": "день", "week": "неделя", "month": "месяц"}
UNIT_CHOICES = [("hour", "в час"), ("day", "в день"), ("month", "в месяц")]
WEEKDAY_LABELS = {"mon": "Пн", "tue": "Вт", "wed": "Ср", "thu": "Чт", "fri": "Пт",
                  "sat": "Сб", "sun": "Вс"}
RESOURCE_KIND_LABELS = {
    "hot_desk": "Незакреплённое место",
    "fixed_desk": "Закреплённое место",
    "meeting_room": "Переговорная",
    "private_office": "Отдельный офис",
}


def group_thousands(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def format_money(minor: int | None, currency: str = "RUB") -> str:
    if minor is None:
        return "—"
    sign = "−" if minor < 0 else ""
    major, cents = divmod(abs(minor), 100)
    amount = group_thousands(major) + (f",{cents:02d}" if cents else "")
    return f"{sign}{amount} {CURRENCY_SIGNS.get(currency, currency)}"


def format_price(minor: int | None, currency: str, unit: str | None) -> str:
    if minor is None or unit is None:
        return "Цена по запросу"
    return f"от {format_money(minor, currency)}/{UNIT_LABELS.get(unit, unit)}"


def plural(n: int, one: str, few: str, many: str) -> str:
    n10, n100 = n % 10, n % 100
    if n10 == 1 and n100 != 11:
        word = one
    elif 2 <= n10 <= 4 and not 12 <= n100 <= 14:
        word = few
    else:
        word = many
    return f"{group_thousands(n)} {word}"


def format_distance(metres: float | None) -> str:
    if metres is None:
        return ""
    if metres < 1000:
        return f"{round(metres)} м"
    return f"{metres / 1000:.1f} км".replace(".", ",")


def format_minutes(minutes: int) -> str:
    if minutes % 1440 == 0 and minutes >= 1440:
        days = minutes // 1440
        return plural(days, "день", "дня", "дней")
    if minutes % 60 == 0:
        return plural(minutes // 60, "час", "часа", "часов")
    return f"{minutes} мин"


def format_hours(open_: str | None, close: str | None) -> str:
    if not open_ or not close:
        return "закрыто"
    if open_ == close:
        return "круглосуточно"
    return f"{open_}–{close}"


def format_rating(rating: float, count: int) -> str:
    if count == 0:
        return "Нет отзывов"
    return f"{rating:.1f}".replace(".", ",") + " · " + plural(count, "отзыв", "отзыва", "отзывов")


SPACE_STATUS_LABELS = {"draft": "Черновик", "pending_review": "На проверке", "published": "Опубликовано",
                       "hidden": "Скрыто"}
PAYMENT_STATUS_LABELS = {"pending": "Ожидает", "succeeded": "Проведён", "failed": "Ошибка"}
ROLE_LABELS = {"renter": "Арендатор", "owner": "Владелец", "operator": "Оператор", "admin": "Администратор"}
BOOKING_STATUS_LABELS = {
    "pending_payment": "ожидает оплаты",
    "paid": "оплачено, ждёт подтверждения",
    "confirmed": "подтверждено",
    "cancelled": "отменено",
    "expired": "истекло",
    "completed": "завершено",
    "no_show": "неявка",
}
PAYMENT_PROVIDER_LABELS = {"stripe": "Stripe", "yookassa": "ЮKassa", "test": "Тестовый",
                           "account": "Счёт компании"}
# How a renter paid, as their money history names it (a company's account names the company).
PAYMENT_METHOD_LABELS = {"stripe": "Банковская карта (Stripe)", "yookassa": "ЮKassa", "test": "Тестовая оплата",
                         "account": "На счёт компании"}


def quoted(name: str) -> str:
    """«Ромашка»; a name already quoted (ООО «Ромашка») is not quoted again."""
    return name if "«" in name or '"' in name else f"«{name}»"


def on_account_of(company: str | None) -> str:
    """"на счёт компании «Ромашка»" ("на счёт компании ООО «Ромашка»")."""
    return f"на счёт компании {quoted(company)}" if company else "на счёт компании"


PAYMENT_PURPOSE_LABELS = {"booking": "Оплата брони", "change": "Доплата за изменение",
                          "invoice": "Оплата счёта компании картой", "plan": "Оплата абонемента"}
POLICY_LABELS = {"flexible": "Гибкие", "moderate": "Умеренные", "strict": "Строгие"}
PLAN_KIND_LABELS = {"day_pass": "Пакет дней", "membership": "Абонемент на месяц", "credits": "Пакет часов переговорных"}
MEMBERSHIP_TYPE_LABELS = {"hot_desk": "Незакреплённое место", "fixed_desk": "Закреплённое место",
                          "office": "Отдельный офис"}
PURCHASE_STATUS_LABELS = {"pending_payment": "Ждёт оплаты", "active": "Действует", "ended": "Закончился",
                          "cancelled": "Не оплачен"}
ADDON_UNIT_LABELS = {"booking": "за бронь", "hour": "в час", "seat": "за место"}
PROMO_KIND_LABELS = {"percent": "Процент", "fixed": "Фиксированная сумма"}
LANGUAGE_LABELS = {"ru": "Русский", "en": "English"}
# Market data (docs/market.md): crawl sources, their runs, competitors' listings.
MARKET_KIND_LABELS = {"jsonld": "JSON-LD", "css": "CSS-селекторы"}
MARKET_SCHEDULE_LABELS = {"": "нет", "daily": "ежедневно", "weekly": "еженедельно"}
MARKET_RUN_STATUS_LABELS = {"queued": "в очереди", "running": "идёт", "finished": "завершён", "failed": "ошибка"}
MARKET_TRIGGER_LABELS = {"manual": "вручную", "schedule": "по расписанию"}
MARKET_CANCELLATION_LABELS = {**POLICY_LABELS, "unknown": "не указаны"}
MARKET_LOCATED_LABELS = {"page": "по координатам страницы", "address": "по адресу", "city": "только город",
                         "none": "не определено"}


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
    fmt = fmt or ("%d.%m.%Y %H:%M:%S" if seconds else "%d.%m.%Y %H:%M")
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


def format_percent(value: float) -> str:
    """12,5 % (a Russian decimal comma, a space before the sign)."""
    return f"{value:.1f}".replace(".", ",") + " %"


def zone_name(moment: datetime) -> str:
    """"МСК", "МСК+4" (Novosibirsk) or "UTC+5" for a zone-aware local moment."""
    offset = moment.utcoffset()
    if offset is None:
        return ""
    hours = round(offset.total_seconds() / 3600 - 3)
    if -1 <= hours <= 9:
        return "МСК" + (f"{hours:+d}" if hours else "")
    return f"UTC{offset.total_seconds() / 3600:+g}"


def format_stay(start: datetime, end: datetime) -> str:
    """A booking's time, both ends local: "15.12.2025, 10:00–13:00"; whole days name the
    last day booked, not the midnight after it: "15.12.2025 – 16.12.2025 (2 дня)"."""
    midnight = start.time() == end.time() == time(0)
    if midnight and end > start:
        days = (end.date() - start.date()).days
        last = end.date() - timedelta(days=1)
        if days == 1:
            return f"{start:%d.%m.%Y} (весь день)"
        return f"{start:%d.%m.%Y} – {last:%d.%m.%Y} ({plural(days, 'день', 'дня', 'дней')})"
    if start.date() == end.date() or (end - start < timedelta(days=1) and end.time() == time(0)):
        end_label = "24:00" if end.time() == time(0) and end.date() > start.date() else f"{end:%H:%M}"
        return f"{start:%d.%m.%Y}, {start:%H:%M}–{end_label}"
    return f"{start:%d.%m.%Y} {start:%H:%M} – {end:%d.%m.%Y} {end:%H:%M}"


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

JOURNAL_KIND_LABELS = {
    "payment": "Оплата", "refund": "Возврат", "completion": "Бронь завершена",
    "cancellation": "Отмена брони", "rejection": "Бронь отклонена", "no_show": "Неявка",
    "change": "Изменение брони", "penalty_waived": "Штраф отменён", "payout": "Выплата",
    "payout_paid": "Выплата проведена банком", "payout_failed": "Выплата не прошла",
    "invoice": "Выставлен счёт", "invoice_paid": "Счёт оплачен", "adjustment": "Корректировка",
    "invoice_overpaid": "Лишняя оплата счёта картой", "invoice_refund": "Возврат лишней оплаты счёта",
}
MONTHS_OF = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
             "октября", "ноября", "декабря")


def format_day_long(day: date) -> str:
    """1 августа 2026 (a date people read in a sentence: the next payout)."""
    return f"{day.day} {MONTHS_OF[day.month - 1]} {day.year}"


def format_commission(bp: int) -> str:
    """A commission in basis points as people say it: 1500 -> "15 %", 1250 -> "12,5 %"."""
    whole, rest = divmod(bp, 100)
    return (f"{whole}" if not rest else f"{bp / 100:.2f}".rstrip("0").replace(".", ",")) + " %"


PENALTY_KIND_LABELS = {"late_cancellation": "Штраф за позднюю отмену", "no_show": "Штраф за неявку"}
PENALTY_STATUS_LABELS = {"charged": "Удержан", "waived": "Отменён"}
PAYOUT_STATUS_LABELS = {"pending": "Отправлена в банк", "paid": "Выплачена", "failed": "Не прошла",
                        "rolled_over": "Перенесена на следующий месяц"}
INVOICE_STATUS_LABELS = {"issued": "Выставлен", "paid": "Оплачен"}
COMPANY_ROLE_LABELS = {"admin": "Администратор компании", "member": "Сотрудник"}
VAT_STATUS_LABELS = {"vat": "Плательщик НДС", "no_vat": "Без НДС"}
RECONCILIATION_STATUS_LABELS = {"ok": "Сходится", "mismatches": "Есть расхождения",
                                "failed": "Не выполнена"}
RECONCILIATION_KIND_LABELS = {
    "missing_in_ledger": "Есть у платёжной системы, нет у нас",
    "missing_at_provider": "Есть у нас, нет у платёжной системы",
    "amount_differs": "Сумма не совпадает",
    "ledger_differs": "Деньги в книге не равны нашим платежам",
}
RECONCILIATION_SUBJECT_LABELS = {"payment": "Платёж", "refund": "Возврат", "cash": "Счёт книги"}


# --- the audit log ---------------------------------------------------------------------------

AUDIT_ENTITY_LABELS = {"space": "Пространство", "resource": "Ресурс", "tariff": "Тариф",
                       "addon": "Доп. услуга", "promo_code": "Промокод", "booking": "Бронь",
                       "payment": "Платёж", "user": "Пользователь", "closure": "Закрытые дни",
                       "penalty": "Штраф", "owner_finance": "Выплаты владельца",
                       "company": "Компания", "company_member": "Сотрудник компании"}
AUDIT_ACTION_LABELS = {"create": "создание", "update": "изменение", "delete": "удаление"}
# Column -> label, shared by every audited table; a few differ per entity.
AUDIT_FIELD_LABELS = {
    "id": "ID", "name": "Название", "description": "Описание", "address": "Адрес",
    "location": "Координаты", "city_id": "Город (ID)", "district_id": "Район (ID)",
    "timezone": "Часовой пояс", "opening_hours": "Часы работы", "status": "Статус",
    "amenities": "Удобства", "price_hour_from": "Цена от, в час", "price_day_from": "Цена от, в день",
    "price_month_from": "Цена от, в месяц", "currency": "Валюта", "max_capacity": "Вместимость",
    "instant_book": "Мгновенное бронирование", "cancellation_policy": "Условия отмены",
    "vat_rate_bp": "Ставка НДС", "prices_include_vat": "НДС в цене",
    "moderation_note": "Замечание модератора", "changed_for_review_at": "Изменения на проверке с",
    "rating": "Рейтинг", "reviews_count": "Отзывов", "created_at": "Создано",
    "deleted_at": "Удалено", "owner_id": "Владелец (ID)", "space_id": "Пространство (ID)",
    "kind": "Тип", "capacity": "Мест", "min_minutes": "Мин. длительность",
    "max_minutes": "Макс. длительность", "resource_id": "Ресурс (ID)", "unit": "Единица",
    "price_minor": "Цена", "code": "Код", "resource_kinds": "Для ресурсов",
    "max_quantity": "Макс. количество", "active": "Активна", "value": "Скидка",
    "valid_from": "Действует с", "valid_until": "Действует до", "max_uses_total": "Макс. использований",
    "max_uses_per_user": "Макс. на человека", "min_amount_minor": "Минимальная сумма",
    "user_id": "Арендатор (ID)", "start_at": "Начало", "end_at": "Конец", "seats": "Мест",
    "whole": "Целиком", "expires_at": "Оплатить до", "price": "Расчёт цены", "addons": "Доп. услуги",
    "total_minor": "Сумма", "promo_id": "Промокод (ID)", "policy": "Условия отмены",
    "paid_minor": "Оплачено", "refunded_minor": "Возвращено", "balance_due_minor": "К доплате",
    "pending_change": "Ожидающее изменение", "cancel_reason": "Причина отмены",
    "booking_id": "Бронь (ID)", "provider": "Провайдер", "purpose": "Назначение",
    "provider_session_id": "Сессия провайдера", "provider_payment_id": "Платёж у провайдера",
    "idempotency_key": "Ключ идемпотентности", "amount_minor": "Сумма", "payment_url": "Ссылка на оплату",
    "change": "Изменение", "failure": "Ошибка", "email": "Email", "email_verified_at": "Email подтверждён",
    "phone": "Телефон", "full_name": "Имя", "password_hash": "Пароль", "roles": "Роли",
    "language": "Язык", "notification_prefs": "Настройки уведомлений", "totp_secret": "Ключ 2FA",
    "totp_enabled_at": "2FA включена", "is_active": "Активен", "password_changed_at": "Пароль изменён",
    "first_day": "Первый закрытый день", "last_day": "Последний закрытый день", "reason": "Причина",
    "created_by": "Кто закрыл (ID)",
    "waived_by": "Кто отменил (ID)", "waive_reason": "Причина отмены штрафа", "waived_at": "Штраф отменён",
    "commission_bp": "Комиссия", "payee_name": "Получатель", "payee_inn": "ИНН получателя",
    "bank_name": "Банк", "bank_bik": "БИК", "bank_account": "Расчётный счёт",
    "bank_corr_account": "Корр. счёт", "inn": "ИНН", "kpp": "КПП", "billing_email": "Email для счетов",
    "credit_limit_minor": "Кредитный лимит", "vat_status": "НДС", "company_id": "Компания (ID)",
    "role": "Роль", "monthly_limit_minor": "Лимит в месяц", "no_show_fee_percent": "Штраф за неявку, %",
    "no_show_release": "Снимать бронь при неявке", "checkin_grace_minutes": "Ждать гостя, минут",
    "checked_in_at": "Гость пришёл", "checkin_method": "Как отмечен приход", "checked_in_by": "Кто отметил приход (ID)",
}
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
        return "да" if value else "нет"
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
        return "итого " + format_money(int(value["total"]), str(value.get("currency") or "RUB"))
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
        seats = f", мест: {value['seats']}" if value.get("seats") else ""
        return f"{when}{seats}" or "—"
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return ", ".join(str(v) for v in value)
    if name == "notification_prefs":
        return "изменены"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:119] + "…"


# --- links in plain text ----------------------------------------------------------------------

_URL = re.compile(r"(?:https?://[^\s<>\"']+|(?<![\w/])/(?:cabinet|owner|inbox|spaces|search|admin|checkout)"
                  r"(?:[/?#][^\s<>\"']*)?)")
LINK_LABELS = [  # (path prefix, label) for links to our own pages, first match wins
    ("/api/v1/unsubscribe/", "Отписаться"), ("/cabinet/bookings", "Мои брони"),
    ("/cabinet/notifications", "Уведомления"), ("/cabinet", "Личный кабинет"),
    ("/owner/bookings", "Брони гостей"), ("/owner/spaces/", "Открыть пространство в кабинете"),
    ("/owner", "Мои пространства"), ("/inbox", "Открыть переписку"),
    ("/spaces/", "Страница пространства"), ("/search", "Поиск"), ("/admin", "Панель оператора"),
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
        label = next((lab for prefix, lab in LINK_LABELS if path.startswith(prefix)), "Открыть")
        parts.append((label, path))
        last = match.start() + len(trimmed)
    if last < len(text):
        parts.append((text[last:], ""))
    return parts
