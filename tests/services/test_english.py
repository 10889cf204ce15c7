"""English for those who read it (issue 24): the API's refusals in the language of
Accept-Language (Russian by default, the field still named in `loc`), and a renter whose
setting is English gets English notices, mail and receipt PDFs. People's own content (a
space's or a resource's name) stays as they wrote it."""

from __future__ import annotations

import email
import io
import re
from email import policy

from pypdf import PdfReader
from rq import Queue
from sqlalchemy import select

from coworking_app import i18n
from coworking_app.db import get_rq_redis
from coworking_app.formatting import format_money, plural
from coworking_app.services.messaging import templates
from jobs.booking import hold_created
from models import Notification, User
from tests.booking_auth import signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, pay_test
from tests.mail_helpers import burst_worker
from tests.uow_helpers import transaction

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9,ru;q=0.3"}
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def _refusal(response, field: str) -> str:
    assert response.status_code == 422, response.text
    [problem] = [p for p in response.json()["detail"] if p["loc"][-1] == field]
    return problem["msg"]


def test_a_422_from_the_request_model_speaks_english_when_asked(client):
    r = client.get(f"{API}/spaces", params={"min_price": 2**31}, headers=ENGLISH)
    assert _refusal(r, "min_price") == "At most 2,147,483,647"
    assert r.headers["content-language"] == "en"
    r = client.get(f"{API}/spaces", params={"min_price": 2**31})
    assert _refusal(r, "min_price") == "Не больше 2\xa0147\xa0483\xa0647"
    assert r.headers["content-language"] == "ru"


def test_a_422_a_service_raises_speaks_english_when_asked(client):
    r = client.get(f"{API}/spaces", params={"bbox": "not,a,box"}, headers=ENGLISH)
    message = _refusal(r, "bbox")
    assert message and not CYRILLIC.search(message), message
    r = client.get(f"{API}/spaces", params={"bbox": "not,a,box"}, headers={"Accept-Language": "fr-FR,de;q=0.8"})
    assert CYRILLIC.search(_refusal(r, "bbox"))  # neither language asked for: Russian


def test_other_refusals_and_unknown_paths_speak_english_too(client):
    r = client.get(f"{API}/no-such-thing", headers=ENGLISH)
    assert r.status_code == 404 and r.json()["detail"] == "Not found"
    r = client.get(f"{API}/me", headers=ENGLISH)
    assert r.status_code == 401 and not CYRILLIC.search(r.json()["detail"]), r.json()


def test_words_and_numbers_follow_the_language():
    with i18n.use("en"):
        assert format_money(150050) == "₽1,500.50" and format_money(-400000) == "−₽4,000"
        assert plural(1, "место", "места", "мест") == "1 seat" and plural(5, "место", "места", "мест") == "5 seats"
    assert format_money(150050) == "1\xa0500,50 ₽"
    assert [plural(n, "место", "места", "мест") for n in (1, 2, 5, 21)] == ["1 место", "2 места", "5 мест", "21 место"]


def test_a_notice_renders_in_its_recipients_language():
    payload = {"id": 7, "space": "Loft", "resource": "Desk", "when": "1 Dec", "seats": 1, "total": "₽600"}
    subject, text, html = templates.render("booking_paid", "en", payload)
    assert subject == "Booking #7 is paid" and "Open CoSpace" in html and not CYRILLIC.search(text)
    subject, _text, html = templates.render("booking_paid", "ru", payload)
    assert subject == "Бронь № 7 оплачена" and "Открыть CoSpace" in html


def test_an_english_renter_gets_english_mail_and_an_english_receipt(client, world, outbox):
    Queue("default", connection=get_rq_redis()).empty()
    place = make_bookable(name="Loft Hub")
    renter_id, auth = signed_in()
    r = client.patch(f"{API}/me", headers={**auth, **ENGLISH}, json={"language": "en"})
    assert r.status_code == 200 and r.json()["language"] == "en", r.text
    day = in_days(4)
    r = client.post(f"{API}/bookings", headers={**auth, **ENGLISH},
                    json=body(place.desk_id, local(day, 10), local(day, 12), 1))
    assert r.status_code == 201, r.text
    booking_id = r.json()["id"]
    assert hold_created(booking_id) == "notified"
    pay_test(client, auth, booking_id)

    feed = client.get(f"{API}/notifications", headers=auth).json()
    assert feed["items"][0]["title"] == f"Booking #{booking_id} is paid"
    burst_worker({"MAIL_OUTBOX_DIR": str(outbox)})
    with transaction() as s:
        address = s.get(User, renter_id).email
        rows = list(s.scalars(select(Notification).where(Notification.booking_id == booking_id)))
    assert {n.title for n in rows if n.user_id == renter_id} >= {f"Booking #{booking_id} is paid"}
    mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in outbox.glob("*.eml")]
    [paid] = [m for m in mails if m["To"] == address and m["Subject"] == f"Booking #{booking_id} is paid"]
    text = paid.get_body(("plain",)).get_content()
    assert "Loft Hub" in text and "Paid" in text and not CYRILLIC.search(text.replace("Открытое пространство", ""))

    r = client.get(f"{API}/bookings/{booking_id}/receipt.pdf", headers=auth)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    receipt = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    for english in ("Receipt", "Total", "Paid", "Seller", "Buyer", f"Booking #{booking_id}"):
        assert english in receipt, (english, receipt)
    # Only what people wrote (the resource's name, the renter's name) may be Russian.
    rest = receipt
    for content in ("Открытое пространство", "Москва, тестовая ул., 1", "Иван Арендатор"):
        rest = rest.replace(content, "")
    assert not CYRILLIC.search(rest), rest


def test_an_owner_names_the_space_in_english_for_english_readers(client, world):
    from tests.booking_auth import headers_for

    place = make_bookable(name="Коворкинг «Крыша»")
    owner = headers_for(place.owner_id)
    r = client.patch(f"{API}/spaces/{place.space_id}", headers=owner,
                     json={"name_en": "The Roof", "description_en": "Quiet desks under the roof."})
    assert r.status_code == 200, r.text
    english = client.get(f"{API}/spaces/{place.space_id}", headers=ENGLISH).json()
    assert (english["name"], english["description"]) == ("The Roof", "Quiet desks under the roof.")
    russian = client.get(f"{API}/spaces/{place.space_id}").json()
    assert russian["name"] == "Коворкинг «Крыша»"
    found = client.get(f"{API}/spaces", params={"q": "Крыша"}, headers=ENGLISH).json()["items"]
    assert [s["name"] for s in found if s["id"] == place.space_id] == ["The Roof"]
    # Without an English name, English readers get the owner's own.
    r = client.patch(f"{API}/spaces/{place.space_id}", headers=owner, json={"name_en": ""})
    assert client.get(f"{API}/spaces/{place.space_id}", headers=ENGLISH).json()["name"] == "Коворкинг «Крыша»"


def test_an_english_owner_reads_a_russian_renters_booking_in_english(client, world):
    from tests.booking_auth import headers_for

    place = make_bookable(name="Коворкинг «Двор»")
    r = client.patch(f"{API}/me", headers=headers_for(place.owner_id), json={"language": "en"})
    assert r.status_code == 200, r.text
    _renter, auth = signed_in()  # Russian, as every account starts
    day = in_days(6)
    r = client.post(f"{API}/bookings", headers=auth, json=body(place.desk_id, local(day, 10), local(day, 12), 1))
    booking_id = r.json()["id"]
    pay_test(client, auth, booking_id)
    with transaction() as s:
        rows = {(n.user_id, n.channel): n for n in s.scalars(select(Notification).where(
            Notification.booking_id == booking_id))}
    owner_notice = rows[(place.owner_id, "in_app")]
    assert owner_notice.title == f"New booking #{booking_id}"
    # The stay and the money are worded in English too (the renter's own notice is Russian).
    assert "₽600" in owner_notice.body and f"{day:%d %b %Y}" in owner_notice.body, owner_notice.body
    renter_notice = rows[(_renter, "in_app")]
    assert renter_notice.title == f"Бронь № {booking_id} оплачена" and "600 ₽" in renter_notice.body
