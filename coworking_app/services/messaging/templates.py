"""Notice events: the preference group of each event, and its texts (subject and body, Russian
and English, Jinja2 with the notice's payload as variables) rendered into text and HTML.

A new event needs an entry in EVENT_GROUP and in TEMPLATES; notifications.do_notify renders
it with `render`.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, StrictUndefined, select_autoescape

from coworking_app.settings import get_settings
from coworking_app import i18n
from coworking_app.i18n import Labels, N_, tr

GROUPS = Labels({  # preference groups shown in the cabinet
    "booking": N_("Мои брони"),
    "owner": N_("Брони гостей (для владельцев)"),
    "finance": N_("Выплаты, счета и штрафы"),
    "reviews": N_("Отзывы"),
    "messages": N_("Сообщения"),
    "account": N_("Аккаунт и безопасность"),
})
EVENT_GROUP = {
    "booking_created": "booking", "booking_paid": "booking", "booking_confirmed": "booking",
    "booking_rejected": "booking", "booking_changed": "booking", "booking_cancelled": "booking",
    "booking_hold_expired": "booking", "booking_hold_expiring": "booking", "booking_reminder": "booking",
    "booking_review_request": "booking", "waitlist_offer": "booking",
    "plan_paid": "booking", "plan_renewal_due": "booking", "series_created": "booking",
    "owner_new_booking": "owner", "owner_needs_approval": "owner",
    "owner_cancelled_by_renter": "owner",
    "space_approved": "owner", "space_rejected": "owner", "space_hidden": "owner",
    "special_offer": "offers",
    "review_approved": "reviews", "review_rejected": "reviews", "review_replied": "reviews",
    "owner_new_review": "reviews",
    "message_unread": "messages",
    "password_changed": "account", "new_sign_in": "account", "telegram_linked": "account",
    "payout_statement": "finance", "payout_failed": "finance", "invoice_issued": "finance",
    "invoice_overdue": "finance", "invoice_paid": "finance", "company_invitation": "account",
    "penalty_waived": "finance",
}

# (subject, text) per event, Russian (the catalogs hold the English); Jinja2 with the payload as variables.
TEMPLATES: dict[str, tuple[str, str]] = {
    "booking_created": (N_("Бронь № {{ id }} ждёт оплаты"),
               N_("{{ space }}: {{ resource }}, {{ when }}, мест: {{ seats }}.\nИтого {{ total }}. Оплатите до {{ expires }}, иначе бронь снимется.")),
    "booking_paid": (N_("Бронь № {{ id }} оплачена"),
               N_("{{ space }}: {{ resource }}, {{ when }}, мест: {{ seats }}.\nОплачено {{ total }}. Чек во вложении и в личном кабинете; в чеке — QR-код для входа.")),
    "booking_confirmed": (N_("Бронь № {{ id }} подтверждена"),
               N_("{{ space }}: {{ resource }}, {{ when }}. Ждём вас! QR-код для входа — в чеке и в «Моих бронях».")),
    "booking_rejected": (N_("Бронь № {{ id }} отклонена"),
               N_("{{ space }} не может принять бронь на {{ when }}.{% if reason %} Причина: {{ reason }}.{% endif %} Деньги вернутся полностью: {{ refund }}.")),
    "booking_changed": (N_("Бронь № {{ id }} изменена"), N_("Теперь: {{ space }}, {{ resource }}, {{ when }}, мест: {{ seats }}.")),
    "booking_cancelled": (N_("Бронь № {{ id }} отменена"),
               N_("{{ space }}, {{ when }}.{% if reason %} Причина: {{ reason }}.{% endif %} Возврат: {{ refund }}.")),
    "booking_hold_expiring": (N_("Бронь № {{ id }}: осталось {{ minutes }} мин на оплату"),
               N_("{{ space }}: {{ resource }}, {{ when }}. Оплатите до {{ expires }}, иначе бронь снимется.")),
    "waitlist_offer": (N_("Место освободилось: {{ space }}"),
               N_("{{ resource }}, {{ when }} — место из листа ожидания держим для вас: бронь № {{ booking_id }} на {{ amount }}. Оплатите до {{ until }}, потом место предложим следующему в очереди.")),
    "booking_hold_expired": (N_("Бронь № {{ id }} снята"), N_("Оплата не пришла вовремя: {{ space }}, {{ when }}. Места освобождены.")),
    "owner_new_booking": (N_("Новая бронь № {{ id }}"), N_("{{ renter }}: {{ resource }}, {{ when }}, мест: {{ seats }}, {{ total }}.")),
    "owner_needs_approval": (N_("Бронь № {{ id }} ждёт вашего решения"),
               N_("{{ renter }} оплатил(а) {{ resource }}, {{ when }}. Примите или отклоните её в кабинете.")),
    "booking_reminder": (N_("Напоминание: бронь № {{ id }} {{ lead_ru }}"),
               N_("{{ space }}: {{ resource }}, {{ when }}, мест: {{ seats }}.\nАдрес: {{ address }}.")),
    "booking_review_request": (N_("Как прошло в {{ space }}?"),
               N_("Спасибо, что были у нас: {{ resource }}, {{ when }}. Оцените пространство — отзыв поможет другим.")),
    "password_changed": (N_("Пароль CoSpace изменён"),
               N_("Пароль вашего аккаунта только что изменён, остальные устройства вышли из аккаунта.\nЕсли это были не вы, сбросьте пароль по ссылке «Забыли пароль?» на странице входа.")),
    "new_sign_in": (N_("Вход с нового устройства"),
               N_("В ваш аккаунт вошли с устройства: {{ device }} (IP {{ ip }}).\nЕсли это были не вы, смените пароль и завершите чужие сеансы в личном кабинете.")),
    "special_offer": ("{{ title }}",
               N_("{{ text }}{% if promo %}\nПромокод: {{ promo }}{% endif %}{% if until %}\nДействует до {{ until }}.{% endif %}\n\nОтписаться от предложений: {{ unsubscribe }}")),
    "review_approved": (N_("Ваш отзыв о «{{ space }}» опубликован"), N_("Спасибо! Отзыв прошёл модерацию и виден всем.")),
    "review_rejected": (N_("Отзыв о «{{ space }}» не опубликован"),
               N_("Модератор отклонил отзыв. Причина: {{ reason }}.\nОтзыв можно исправить в течение 48 часов после написания.")),
    "review_replied": (N_("Владелец «{{ space }}» ответил на ваш отзыв"), N_("Ответ виден на странице пространства.")),
    "owner_new_review": (N_("Новый отзыв о «{{ space }}»: {{ rating }} из 5"),
               N_("Отзыв опубликован. Ответить можно на странице пространства.")),
    "message_unread": (N_("Непрочитанные сообщения: {{ space }}"),
               N_("{{ sender }}: {{ preview }}{% if more %}\n…и ещё сообщений: {{ more }}{% endif %}")),
    "owner_cancelled_by_renter": (N_("Бронь № {{ id }} отменена гостем"), "{{ renter }}: {{ resource }}, {{ when }}."),
    "space_approved": (N_("«{{ space }}» опубликовано"), N_("Модератор проверил пространство{% if changes %} и ваши изменения{% endif %}. Оно видно в поиске.")),
    "space_rejected": (N_("«{{ space }}» не прошло модерацию"), N_("Причина: {{ reason }}.\nИсправьте описание или фото в кабинете владельца и отправьте на проверку снова.")),
    "payout_statement": (N_("Отчёт о выплате № {{ number }} за {{ period }}"),
               N_("К выплате: {{ amount }}. Статус: {{ status }}.{% if reason %}\n{{ reason }}.{% endif %}\nОтчёт в PDF — во вложении и в разделе «Финансы».")),
    "payout_failed": (N_("Выплата № {{ number }} не прошла"),
               N_("Банк не принял перевод {{ amount }}: {{ reason }}.\nСумма вернулась на ваш баланс и уйдёт со следующей выплатой. Проверьте реквизиты в разделе «Финансы».")),
    "invoice_issued": (N_("Счёт № {{ number }} для {{ company }} на {{ amount }}"),
               N_("Счёт за бронирования с {{ period }}. Оплатить до {{ due }}.\nСчёт в PDF — во вложении и в разделе «Компания».")),
    "invoice_overdue": (N_("Счёт № {{ number }} просрочен"),
               N_("Счёт на {{ amount }} нужно было оплатить до {{ due }}. Пока он не оплачен, бронировать на счёт компании {{ company }} нельзя.")),
    "invoice_paid": (N_("Счёт № {{ number }} оплачен"), N_("Оплата {{ amount }} получена. Спасибо!")),
    "company_invitation": (N_("Приглашение в компанию {{ company }}"),
               N_("{{ inviter }} приглашает вас бронировать на счёт компании {{ company }}.\nЧтобы принять приглашение, откройте ссылку (она действует {{ days }} дн.).")),
    "penalty_waived": (N_("Штраф по брони № {{ booking_id }} отменён"),
               N_("{{ kind }} на {{ amount }} отменён: {{ reason }}. Деньги вернутся тем же способом, которым вы платили.")),
    "telegram_linked": (N_("Telegram подключён"), N_("Этот чат подключён к аккаунту {{ name }} на CoSpace. Сюда будут приходить уведомления о бронях; настроить их можно в личном кабинете.")),
    "series_created": (N_("Серия броней № {{ id }} ждёт оплаты"),
               N_("{{ space }}: {{ resource }} — {{ bookings }} на {{ total }}.{% if conflicts %} Не подошли дат: {{ conflicts }}, они в карточке серии.{% endif %}\nОплатите серию в разделе «Мои брони», пока брони держатся за вами.")),
    "plan_paid": (N_("Абонемент «{{ name }}» оплачен"),
               N_("{{ space }}: абонемент «{{ name }}» действует {{ period }}. Оплачено {{ amount }}.\nБронируйте по нему на странице пространства: выберите абонемент в форме брони.")),
    "plan_renewal_due": (N_("Продление абонемента «{{ name }}»"),
               N_("{{ space }}: следующий месяц абонемента «{{ name }}» начинается {{ from }}. Оплатите {{ amount }} до {{ until }} в разделе «Абонементы», иначе абонемент закончится.")),
    "space_hidden": (N_("«{{ space }}» скрыто из поиска"), N_("Причина: {{ reason }}.\nИсправьте пространство и отправьте на проверку снова.")),
}

_text_env = Environment(undefined=StrictUndefined, autoescape=False)
_html_env = Environment(undefined=StrictUndefined, autoescape=select_autoescape(default=True))
_HTML_LAYOUT = _html_env.from_string(
    "<!doctype html><html><body style=\"font-family:sans-serif;color:#1c2024\">"
    "<h2 style=\"color:#0d9488\">{{ subject }}</h2>"
    "{% for line in lines %}<p>{{ line }}</p>{% endfor %}"
    "<p><a href=\"{{ link }}\">{{ link_label }}</a></p></body></html>")


@lru_cache(maxsize=256)
def _compiled(source: str):
    """Templates are compiled once per process (compiling costs more than rendering)."""
    return _text_env.from_string(source)


def render(event: str, language: str, payload: dict) -> tuple[str, str, str]:
    """(subject, text, html) of one event in the user's language (ru when unknown)."""
    subject_t, body_t = TEMPLATES[event]
    with i18n.use(language):
        subject = _compiled(tr(subject_t)).render(**payload)
        text = _compiled(tr(body_t)).render(**payload)
        link_label = tr("Открыть CoSpace")
    link = get_settings().base_url + payload.get("link", "/cabinet/bookings")
    html = _HTML_LAYOUT.render(subject=subject, lines=text.split("\n"), link=link, link_label=link_label)
    return subject, text + f"\n\n{link}", html
