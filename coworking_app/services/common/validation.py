"""Messages for refused input (written in Russian, read in the current language): the one
place that turns pydantic's (and FastAPI's) validation errors into text a person reads. The
API's 422 handler keeps the JSON shape (`detail[].loc` names the field, `msg` is this text,
`type` pydantic's) and the Reflex forms show `russian_message` alone, without the parameter
name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from coworking_app.formatting import group_thousands, plural
from coworking_app.services.common.text import BAD_CHARS_MESSAGE, LINE_PATTERN, TEXT_PATTERN, has_cyrillic
from coworking_app.i18n import Labels, N_, tr

_FIXED = Labels({
    "missing": N_("Обязательное поле"),
    "int_type": N_("Должно быть целым числом"),
    "int_parsing": N_("Должно быть целым числом"),
    "int_from_float": N_("Должно быть целым числом"),
    "int_parsing_size": N_("Слишком большое число"),
    "float_type": N_("Должно быть числом"),
    "float_parsing": N_("Должно быть числом"),
    "finite_number": N_("Должно быть конечным числом"),
    "decimal_type": N_("Должно быть числом"),
    "decimal_parsing": N_("Должно быть числом"),
    "bool_type": N_("Должно быть true или false"),
    "bool_parsing": N_("Должно быть true или false"),
    "string_type": N_("Должно быть текстом"),
    "string_unicode": BAD_CHARS_MESSAGE,
    "string_sub_type": N_("Должно быть текстом"),
    "bytes_type": N_("Должно быть текстом"),
    "list_type": N_("Должно быть списком"),
    "tuple_type": N_("Должно быть списком"),
    "set_type": N_("Должно быть списком"),
    "dict_type": N_("Должно быть объектом"),
    "model_type": N_("Должно быть объектом"),
    "model_attributes_type": N_("Должно быть объектом"),
    "dataclass_type": N_("Должно быть объектом"),
    "date_type": N_("Дата в формате ГГГГ-ММ-ДД"),
    "date_parsing": N_("Дата в формате ГГГГ-ММ-ДД"),
    "date_from_datetime_parsing": N_("Дата в формате ГГГГ-ММ-ДД"),
    "date_from_datetime_inexact": N_("Дата без времени, в формате ГГГГ-ММ-ДД"),
    "datetime_type": N_("Дата и время в формате ГГГГ-ММ-ДДTЧЧ:ММ+03:00"),
    "datetime_parsing": N_("Дата и время в формате ГГГГ-ММ-ДДTЧЧ:ММ+03:00"),
    "datetime_from_date_parsing": N_("Дата и время в формате ГГГГ-ММ-ДДTЧЧ:ММ+03:00"),
    "datetime_object_invalid": N_("Такой даты нет"),
    "timezone_aware": N_("Укажите часовой пояс, например 2030-01-31T10:00+03:00"),
    "timezone_naive": N_("Без часового пояса"),
    "time_type": N_("Время в формате ЧЧ:ММ"),
    "time_parsing": N_("Время в формате ЧЧ:ММ"),
    "extra_forbidden": N_("Лишнее поле"),
    "json_invalid": N_("Некорректный JSON"),
    "json_type": N_("Некорректный JSON"),
    "uuid_type": N_("Некорректный идентификатор"),
    "uuid_parsing": N_("Некорректный идентификатор"),
    "url_type": N_("Некорректная ссылка"),
    "url_parsing": N_("Некорректная ссылка"),
    "none_required": N_("Должно быть пустым"),
    "is_instance_of": N_("Недопустимое значение"),
    "union_tag_invalid": N_("Недопустимое значение"),
    "too_large": N_("Слишком большой запрос"),
})


def _number(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return group_thousands(value)
    if isinstance(value, float) and value.is_integer():
        return group_thousands(int(value))
    return str(value).replace(".", ",")


def _choices(expected: str) -> str:
    """pydantic's "'a', 'b' or 'c'" as "a, b, c"."""
    return expected.replace(" or ", ", ").replace("'", "")


def russian_message(error: Mapping[str, Any]) -> str:
    """The Russian text for one pydantic error (an item of `ValidationError.errors()`)."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in _FIXED:
        return _FIXED[kind]
    if kind == "greater_than_equal":
        return tr("Не меньше {number}", number=_number(ctx.get('ge')))
    if kind == "greater_than":
        return tr("Больше {number}", number=_number(ctx.get('gt')))
    if kind == "less_than_equal":
        return tr("Не больше {number}", number=_number(ctx.get('le')))
    if kind == "less_than":
        return tr("Меньше {number}", number=_number(ctx.get('lt')))
    if kind == "multiple_of":
        return tr("Должно делиться на {number}", number=_number(ctx.get('multiple_of')))
    if kind == "string_too_short":
        n = int(ctx.get("min_length", 1))
        return tr("Не может быть пустым") if n <= 1 else tr("Не короче {plural}", plural=plural(n, 'символа', 'символов', 'символов'))
    if kind == "string_too_long":
        return tr("Не длиннее {plural}", plural=plural(int(ctx.get('max_length', 0)), 'символа', 'символов', 'символов'))
    if kind == "too_short":
        n = int(ctx.get("min_length", 1))
        return tr("Выберите хотя бы одно значение") if n <= 1 else tr("Не меньше {plural}", plural=plural(n, 'элемента', 'элементов', 'элементов'))
    if kind == "too_long":
        return tr("Не больше {plural}", plural=plural(int(ctx.get('max_length', 0)), 'элемента', 'элементов', 'элементов'))
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") in (LINE_PATTERN, TEXT_PATTERN):
            return tr(BAD_CHARS_MESSAGE)
        return tr("Недопустимый формат")
    if kind in ("enum", "literal_error"):
        expected = ctx.get("expected")
        return tr("Допустимые значения: {choices}", choices=_choices(str(expected))) if expected else tr("Недопустимое значение")
    if kind in ("value_error", "assertion_error"):
        # Our own validators raise ValueError with Russian text (services/common/fields.py and the
        # input models); pydantic prefixes it.
        message = str(error.get("msg", ""))
        return tr(message.removeprefix("Value error, ").removeprefix("Assertion failed, ")) or tr("Недопустимое значение")
    message = str(error.get("msg", ""))
    if kind == "date_range" or has_cyrillic(message):  # PydanticCustomError of our own types (fields.py)
        return tr(message)
    if kind.startswith(("int_", "float_")):
        return tr("Должно быть числом")
    if kind.startswith("datetime"):
        return _FIXED["datetime_parsing"]
    if kind.startswith("date"):
        return _FIXED["date_parsing"]
    return tr("Недопустимое значение")


def russian_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The API's 422 `detail`: loc (where, which field), Russian msg, pydantic's type. The
    refused input is not echoed (it may be anything, including what JSON cannot hold)."""
    return [{"loc": [_loc_part(p) for p in error.get("loc", ())], "msg": russian_message(error),
             "type": str(error.get("type", "value_error"))} for error in errors]


def _loc_part(part: Any) -> str | int:
    return part if isinstance(part, int) and not isinstance(part, bool) else str(part)


def first_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """What a form shows for input its model refused: the first problem, in the current language."""
    return russian_message(errors[0]) if errors else tr("Проверьте введённые данные")
