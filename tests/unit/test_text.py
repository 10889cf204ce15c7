"""Text people type (services/common/text.py) and the Russian words for refused input
(services/common/validation.py), without a database."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationError

from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.common.fields import Line, Text
from coworking_app.services.common.text import (
    BAD_CHARS_MESSAGE,
    check_chars,
    check_plain_text,
    has_bad_chars,
    has_cyrillic,
)
from coworking_app.services.common.validation import first_message, russian_errors, russian_message

# --- which characters a text may hold ----------------------------------------------------------


@pytest.mark.parametrize("value", ["Кофе ☕ и чай", "Tab-free line", "«Улей» — 24/7", "𝕏 emoji 🚀", ""])
def test_ordinary_text_passes_unchanged(value):
    assert check_chars("name", value) == value
    assert not has_bad_chars(value)


@pytest.mark.parametrize("value", ["a\x00b", "a\x1bb", "line\nbreak", "a\x7fb", "a\x85b", "a\ud800b", "\udfff"])
def test_control_characters_and_lone_surrogates_are_refused_in_a_line(value):
    with pytest.raises(InvalidInput) as refused:
        check_chars("name", value)
    assert (refused.value.field, refused.value.message) == ("name", BAD_CHARS_MESSAGE)


def test_several_lines_may_keep_tabs_and_line_breaks_but_not_nul():
    assert check_chars("text", "первая\r\n\tвторая", multiline=True) == "первая\r\n\tвторая"
    assert has_bad_chars("a\x00b", multiline=True)
    assert has_bad_chars("a\x0bb", multiline=True)  # vertical tab
    assert check_chars("text", None) is None


def test_russian_text_is_recognised():
    assert has_cyrillic("Не найдено") and has_cyrillic("ok, ёлка")
    assert not has_cyrillic("Not found") and not has_cyrillic("")


# --- plain text: reviews, replies, messages, reasons -------------------------------------------


def test_plain_text_is_trimmed_with_plain_line_ends():
    assert check_plain_text("text", "  Привет\r\nмир \n", minimum=1, maximum=50, what="Сообщение") == "Привет\nмир"


def test_plain_text_limits_are_inclusive_and_named():
    assert check_plain_text("text", "ab", minimum=2, maximum=3, what="Отзыв") == "ab"
    assert check_plain_text("text", "abc", minimum=2, maximum=3, what="Отзыв") == "abc"
    cases = [
        ("a", 2, 3, "Отзыв: не короче 2 символов"),
        ("abcd", 2, 3, "Отзыв: не длиннее 3 символов"),
        ("   ", 1, 3, "Отзыв: напишите текст"),
        (None, 1, 3, "Отзыв: напишите текст"),
        (42, 1, 3, "Отзыв: ожидается текст"),
        ("a\x00b", 1, 9, "Отзыв: недопустимые символы"),
    ]
    for value, minimum, maximum, message in cases:
        with pytest.raises(InvalidInput) as refused:
            check_plain_text("review", value, minimum=minimum, maximum=maximum, what="Отзыв")
        assert (refused.value.field, refused.value.message) == ("review", message), value


# --- refused input in Russian --------------------------------------------------------------------


class _Offer(BaseModel):
    title: Line(40, min_length=3)
    note: Text(500) | None = None
    seats: int = Field(ge=1, le=10_000)
    kind: str = Field(pattern="^(desk|room)$")
    tags: list[str] = Field(default_factory=list, min_length=0, max_length=2)


def _errors(**data) -> list[dict]:
    full = {"title": "Окно", "seats": 1, "kind": "desk"} | data
    with pytest.raises(ValidationError) as caught:
        _Offer.model_validate(full)
    return russian_errors(caught.value.errors())


@pytest.mark.parametrize(("data", "loc", "message"), [
    ({"seats": 10_001}, ["seats"], "Не больше 10\xa0000"),
    ({"seats": 1.5}, ["seats"], "Должно быть целым числом"),
    ({"seats": "много"}, ["seats"], "Должно быть целым числом"),
    ({"title": "Ок"}, ["title"], "Не короче 3 символов"),
    ({"title": "x" * 41}, ["title"], "Не длиннее 40 символов"),
    ({"title": "ab\x07c"}, ["title"], BAD_CHARS_MESSAGE),
    ({"note": "абв\x00"}, ["note"], BAD_CHARS_MESSAGE),
    ({"kind": "sofa"}, ["kind"], "Недопустимый формат"),
    ({"tags": ["a", "b", "c"]}, ["tags"], "Не больше 2 элементов"),
    ({"tags": "a"}, ["tags"], "Должно быть списком"),
])
def test_each_refusal_names_the_field_in_russian(data, loc, message):
    [error] = _errors(**data)
    assert error["loc"] == loc and error["msg"] == message
    assert "input" not in error  # the refused input is never echoed back


def test_unknown_error_kinds_still_read_in_russian():
    assert russian_message({"type": "int_something_new", "msg": "Input should be fine"}) == "Должно быть числом"
    assert russian_message({"type": "datetime_future", "msg": "Input should be in the future"}) == (
        "Дата и время в формате ГГГГ-ММ-ДДTЧЧ:ММ+03:00")
    assert russian_message({"type": "whatever", "msg": "Some English"}) == "Недопустимое значение"
    assert russian_message({"type": "custom", "msg": "Дата между 01.01.2000 и 31.12.2100"}) == (
        "Дата между 01.01.2000 и 31.12.2100")
    assert russian_message({"type": "value_error", "msg": "Value error, Слишком рано"}) == "Слишком рано"
    assert russian_message({"type": "enum", "ctx": {"expected": "'hour', 'day' or 'month'"}}) == (
        "Допустимые значения: hour, day, month")


def test_a_form_shows_the_first_problem_or_a_general_word():
    assert first_message([{"type": "missing"}, {"type": "int_type"}]) == "Обязательное поле"
    assert first_message([]) == "Проверьте введённые данные"


def test_the_api_detail_keeps_the_location_as_json_values():
    [error] = russian_errors([{"type": "missing", "loc": ("body", "items", 2, "code"), "msg": "Field required"}])
    assert error == {"loc": ["body", "items", 2, "code"], "msg": "Обязательное поле", "type": "missing"}
