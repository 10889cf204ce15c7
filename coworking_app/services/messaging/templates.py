"""Notice events: the preference group of each event, and its texts (subject and body, Russian
and English, Jinja2 with the notice's payload as variables) rendered into text and HTML.

A new event needs an entry in EVENT_GROUP and in TEMPLATES; notifications.do_notify renders
it with `render`.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, StrictUndefined, select_autoescape

from coworking_app.settings import get_settings

GROUPS = {  # preference groups shown in the cabinet
    "booking": "Мои брони",
    "owner": "Брони гостей (для владельцев)",
    "finance": "Выплаты, счета и штрафы",
    "reviews": "Отзывы",
    "messages": "Сообщения",
    "account": "Аккаунт и безопасность",
}
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

# (subject, text) per event and language; Jinja2 with the payload as variables.
TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "booking_created": {
        "ru": ("Бронь № {{ id }} ждёт оплаты",
               "{{ space }}: {{ resource }}, {{ when }}, мест: {{ seats }}.\n"
               "Итого {{ total }}. Оплатите до {{ expires }}, иначе бронь снимется."),
        "en": ("Booking #{{ id }} awaits payment",
               "{{ space }}: {{ resource }}, {{ when }}, seats: {{ seats }}.\n"
               "Total {{ total }}. Pay by {{ expires }} or the hold is released."),
    },
    "booking_paid": {
        "ru": ("Бронь № {{ id }} оплачена",
               "{{ space }}: {{ resource }}, {{ when }}, мест: {{ seats }}.\n"
               "Оплачено {{ total }}. Чек во вложении и в личном кабинете; в чеке — QR-код для входа."),
        "en": ("Booking #{{ id }} is paid",
               "{{ space }}: {{ resource }}, {{ when }}, seats: {{ seats }}.\n"
               "Paid {{ total }}. The receipt is attached and in your account; it carries your check-in QR code."),
    },
    "booking_confirmed": {
        "ru": ("Бронь № {{ id }} подтверждена",
               "{{ space }}: {{ resource }}, {{ when }}. Ждём вас! QR-код для входа — в чеке и в «Моих бронях»."),
        "en": ("Booking #{{ id }} is confirmed",
               "{{ space }}: {{ resource }}, {{ when }}. See you! Your check-in QR code is on the receipt and in My bookings."),
    },
    "booking_rejected": {
        "ru": ("Бронь № {{ id }} отклонена",
               "{{ space }} не может принять бронь на {{ when }}.{% if reason %} Причина: {{ reason }}.{% endif %}"
               " Деньги вернутся полностью: {{ refund }}."),
        "en": ("Booking #{{ id }} was declined",
               "{{ space }} cannot take the booking for {{ when }}.{% if reason %} Reason: {{ reason }}.{% endif %}"
               " Full refund: {{ refund }}."),
    },
    "booking_changed": {
        "ru": ("Бронь № {{ id }} изменена", "Теперь: {{ space }}, {{ resource }}, {{ when }}, мест: {{ seats }}."),
        "en": ("Booking #{{ id }} changed", "Now: {{ space }}, {{ resource }}, {{ when }}, seats: {{ seats }}."),
    },
    "booking_cancelled": {
        "ru": ("Бронь № {{ id }} отменена",
               "{{ space }}, {{ when }}.{% if reason %} Причина: {{ reason }}.{% endif %} Возврат: {{ refund }}."),
        "en": ("Booking #{{ id }} cancelled",
               "{{ space }}, {{ when }}.{% if reason %} Reason: {{ reason }}.{% endif %} Refund: {{ refund }}."),
    },
    "booking_hold_expiring": {
        "ru": ("Бронь № {{ id }}: осталось {{ minutes }} мин на оплату",
               "{{ space }}: {{ resource }}, {{ when }}. Оплатите до {{ expires }}, иначе бронь снимется."),
        "en": ("Booking #{{ id }}: {{ minutes }} min left to pay",
               "{{ space }}: {{ resource }}, {{ when }}. Pay by {{ expires }} or the hold is released."),
    },
    "waitlist_offer": {
        "ru": ("Место освободилось: {{ space }}",
               "{{ resource }}, {{ when }} — место из листа ожидания держим для вас: бронь № {{ booking_id }} "
               "на {{ amount }}. Оплатите до {{ until }}, потом место предложим следующему в очереди."),
        "en": ("A place is free: {{ space }}",
               "{{ resource }}, {{ when }} — the place from the waitlist is held for you: booking #{{ booking_id }} "
               "for {{ amount }}. Pay by {{ until }}, then it goes to the next in line."),
    },
    "booking_hold_expired": {
        "ru": ("Бронь № {{ id }} снята", "Оплата не пришла вовремя: {{ space }}, {{ when }}. Места освобождены."),
        "en": ("Booking #{{ id }} released", "No payment in time: {{ space }}, {{ when }}. The seats are free again."),
    },
    "owner_new_booking": {
        "ru": ("Новая бронь № {{ id }}", "{{ renter }}: {{ resource }}, {{ when }}, мест: {{ seats }}, {{ total }}."),
        "en": ("New booking #{{ id }}", "{{ renter }}: {{ resource }}, {{ when }}, seats: {{ seats }}, {{ total }}."),
    },
    "owner_needs_approval": {
        "ru": ("Бронь № {{ id }} ждёт вашего решения",
               "{{ renter }} оплатил(а) {{ resource }}, {{ when }}. Примите или отклоните её в кабинете."),
        "en": ("Booking #{{ id }} needs your approval",
               "{{ renter }} paid for {{ resource }}, {{ when }}. Accept or decline it in your account."),
    },
    "booking_reminder": {
        "ru": ("Напоминание: бронь № {{ id }} {{ lead_ru }}",
               "{{ space }}: {{ resource }}, {{ when }}, мест: {{ seats }}.\nАдрес: {{ address }}."),
        "en": ("Reminder: booking #{{ id }} {{ lead_en }}",
               "{{ space }}: {{ resource }}, {{ when }}, seats: {{ seats }}.\nAddress: {{ address }}."),
    },
    "booking_review_request": {
        "ru": ("Как прошло в {{ space }}?",
               "Спасибо, что были у нас: {{ resource }}, {{ when }}. Оцените пространство — отзыв поможет другим."),
        "en": ("How was {{ space }}?",
               "Thanks for coming: {{ resource }}, {{ when }}. Rate the space: your review helps others."),
    },
    "password_changed": {
        "ru": ("Пароль CoSpace изменён",
               "Пароль вашего аккаунта только что изменён, остальные устройства вышли из аккаунта.\n"
               "Если это были не вы, сбросьте пароль по ссылке «Забыли пароль?» на странице входа."),
        "en": ("Your CoSpace password was changed",
               "Your password was just changed and other devices were signed out.\n"
               "If it was not you, reset it with \"Forgot password?\" on the sign-in page."),
    },
    "new_sign_in": {
        "ru": ("Вход с нового устройства",
               "В ваш аккаунт вошли с устройства: {{ device }} (IP {{ ip }}).\n"
               "Если это были не вы, смените пароль и завершите чужие сеансы в личном кабинете."),
        "en": ("New sign-in to CoSpace",
               "Someone signed in from: {{ device }} (IP {{ ip }}).\n"
               "If it was not you, change your password and sign out other devices in your account."),
    },
    "special_offer": {
        "ru": ("{{ title }}",
               "{{ text }}{% if promo %}\nПромокод: {{ promo }}{% endif %}"
               "{% if until %}\nДействует до {{ until }}.{% endif %}"
               "\n\nОтписаться от предложений: {{ unsubscribe }}"),
        "en": ("{{ title }}",
               "{{ text }}{% if promo %}\nPromo code: {{ promo }}{% endif %}"
               "{% if until %}\nValid until {{ until }}.{% endif %}"
               "\n\nUnsubscribe from offers: {{ unsubscribe }}"),
    },
    "review_approved": {
        "ru": ("Ваш отзыв о «{{ space }}» опубликован", "Спасибо! Отзыв прошёл модерацию и виден всем."),
        "en": ("Your review of {{ space }} is published", "Thank you! The review passed moderation."),
    },
    "review_rejected": {
        "ru": ("Отзыв о «{{ space }}» не опубликован",
               "Модератор отклонил отзыв. Причина: {{ reason }}.\nОтзыв можно исправить в течение 48 часов после написания."),
        "en": ("Your review of {{ space }} was not published",
               "A moderator declined it. Reason: {{ reason }}.\nYou can edit it within 48 hours of writing it."),
    },
    "review_replied": {
        "ru": ("Владелец «{{ space }}» ответил на ваш отзыв", "Ответ виден на странице пространства."),
        "en": ("{{ space }} replied to your review", "The reply is on the space page."),
    },
    "owner_new_review": {
        "ru": ("Новый отзыв о «{{ space }}»: {{ rating }} из 5",
               "Отзыв опубликован. Ответить можно на странице пространства."),
        "en": ("New review of {{ space }}: {{ rating }} of 5", "You can reply on the space page."),
    },
    "message_unread": {
        "ru": ("Непрочитанные сообщения: {{ space }}",
               "{{ sender }}: {{ preview }}{% if more %}\n…и ещё сообщений: {{ more }}{% endif %}"),
        "en": ("Unread messages: {{ space }}",
               "{{ sender }}: {{ preview }}{% if more %}\n…and {{ more }} more{% endif %}"),
    },
    "owner_cancelled_by_renter": {
        "ru": ("Бронь № {{ id }} отменена гостем", "{{ renter }}: {{ resource }}, {{ when }}."),
        "en": ("Booking #{{ id }} cancelled by the guest", "{{ renter }}: {{ resource }}, {{ when }}."),
    },
    "space_approved": {
        "ru": ("«{{ space }}» опубликовано", "Модератор проверил пространство{% if changes %} и ваши изменения{% endif %}. "
               "Оно видно в поиске."),
        "en": ("{{ space }} is published", "A moderator checked the space{% if changes %} and your changes{% endif %}. "
               "It is visible in search."),
    },
    "space_rejected": {
        "ru": ("«{{ space }}» не прошло модерацию", "Причина: {{ reason }}.\n"
               "Исправьте описание или фото в кабинете владельца и отправьте на проверку снова."),
        "en": ("{{ space }} did not pass moderation", "Reason: {{ reason }}.\n"
               "Fix the description or photos in your owner cabinet and submit it again."),
    },
    "payout_statement": {
        "ru": ("Отчёт о выплате № {{ number }} за {{ period }}",
               "К выплате: {{ amount }}. Статус: {{ status }}.{% if reason %}\n{{ reason }}.{% endif %}\n"
               "Отчёт в PDF — во вложении и в разделе «Финансы»."),
        "en": ("Payout statement #{{ number }} for {{ period }}",
               "To be paid: {{ amount }}. Status: {{ status }}.{% if reason %}\n{{ reason }}.{% endif %}\n"
               "The PDF statement is attached and in Finance."),
    },
    "payout_failed": {
        "ru": ("Выплата № {{ number }} не прошла",
               "Банк не принял перевод {{ amount }}: {{ reason }}.\n"
               "Сумма вернулась на ваш баланс и уйдёт со следующей выплатой. Проверьте реквизиты в разделе «Финансы»."),
        "en": ("Payout #{{ number }} failed",
               "The bank did not accept the transfer of {{ amount }}: {{ reason }}.\n"
               "The amount is back in your balance and goes with the next payout. Check your bank details."),
    },
    "invoice_issued": {
        "ru": ("Счёт № {{ number }} для {{ company }} на {{ amount }}",
               "Счёт за бронирования с {{ period }}. Оплатить до {{ due }}.\n"
               "Счёт в PDF — во вложении и в разделе «Компания»."),
        "en": ("Invoice #{{ number }} for {{ company }}: {{ amount }}",
               "Invoice for bookings of {{ period }}. Due by {{ due }}.\nThe PDF is attached."),
    },
    "invoice_overdue": {
        "ru": ("Счёт № {{ number }} просрочен",
               "Счёт на {{ amount }} нужно было оплатить до {{ due }}. Пока он не оплачен, бронировать на счёт "
               "компании {{ company }} нельзя."),
        "en": ("Invoice #{{ number }} is overdue",
               "The invoice for {{ amount }} was due by {{ due }}. Until it is paid, {{ company }}'s members "
               "cannot book on account."),
    },
    "invoice_paid": {
        "ru": ("Счёт № {{ number }} оплачен", "Оплата {{ amount }} получена. Спасибо!"),
        "en": ("Invoice #{{ number }} is paid", "We received {{ amount }}. Thank you!"),
    },
    "company_invitation": {
        "ru": ("Приглашение в компанию {{ company }}",
               "{{ inviter }} приглашает вас бронировать на счёт компании {{ company }}.\n"
               "Чтобы принять приглашение, откройте ссылку (она действует {{ days }} дн.)."),
        "en": ("Invitation to {{ company }}",
               "{{ inviter }} invites you to book on {{ company }}'s account.\n"
               "Open the link to accept (valid for {{ days }} days)."),
    },
    "penalty_waived": {
        "ru": ("Штраф по брони № {{ booking_id }} отменён",
               "{{ kind }} на {{ amount }} отменён: {{ reason }}. Деньги вернутся тем же способом, которым вы платили."),
        "en": ("The fee of booking #{{ booking_id }} is waived",
               "{{ kind }} of {{ amount }} is waived: {{ reason }}. The money goes back the way you paid."),
    },
    "telegram_linked": {
        "ru": ("Telegram подключён", "Этот чат подключён к аккаунту {{ name }} на CoSpace. Сюда будут приходить"
               " уведомления о бронях; настроить их можно в личном кабинете."),
        "en": ("Telegram is linked", "This chat is linked to the CoSpace account of {{ name }}. Booking notices"
               " will come here; choose which in your account."),
    },
    "series_created": {
        "ru": ("Серия броней № {{ id }} ждёт оплаты",
               "{{ space }}: {{ resource }} — {{ bookings }} на {{ total }}."
               "{% if conflicts %} Не подошли дат: {{ conflicts }}, они в карточке серии.{% endif %}\n"
               "Оплатите серию в разделе «Мои брони», пока брони держатся за вами."),
        "en": ("Booking series #{{ id }} awaits payment",
               "{{ space }}: {{ resource }} — {{ count }} bookings for {{ total }}."
               "{% if conflicts %} {{ conflicts }} dates did not fit: see the series' card.{% endif %}\n"
               "Pay for the series under My bookings while the bookings are held."),
    },
    "plan_paid": {
        "ru": ("Абонемент «{{ name }}» оплачен",
               "{{ space }}: абонемент «{{ name }}» действует {{ period }}. Оплачено {{ amount }}.\n"
               "Бронируйте по нему на странице пространства: выберите абонемент в форме брони."),
        "en": ("Plan \"{{ name }}\" is paid",
               "{{ space }}: the plan \"{{ name }}\" runs {{ period }}. Paid {{ amount }}.\n"
               "Book with it on the space's page: choose the plan in the booking form."),
    },
    "plan_renewal_due": {
        "ru": ("Продление абонемента «{{ name }}»",
               "{{ space }}: следующий месяц абонемента «{{ name }}» начинается {{ from }}. "
               "Оплатите {{ amount }} до {{ until }} в разделе «Абонементы», иначе абонемент закончится."),
        "en": ("Renewing \"{{ name }}\"",
               "{{ space }}: the next month of \"{{ name }}\" starts on {{ from }}. "
               "Pay {{ amount }} by {{ until }} under Plans, or the plan ends."),
    },
    "space_hidden": {
        "ru": ("«{{ space }}» скрыто из поиска", "Причина: {{ reason }}.\n"
               "Исправьте пространство и отправьте на проверку снова."),
        "en": ("{{ space }} was hidden from search", "Reason: {{ reason }}.\n"
               "Fix the space and submit it for review again."),
    },
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
    subject_t, body_t = TEMPLATES[event].get(language) or TEMPLATES[event]["ru"]
    subject = _compiled(subject_t).render(**payload)
    text = _compiled(body_t).render(**payload)
    link = get_settings().base_url + payload.get("link", "/cabinet/bookings")
    html = _HTML_LAYOUT.render(subject=subject, lines=text.split("\n"), link=link,
                               link_label="Open CoSpace" if language == "en" else "Открыть CoSpace")
    return subject, text + f"\n\n{link}", html
