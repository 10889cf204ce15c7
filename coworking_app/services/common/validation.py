"""Russian messages for refused input: the one place that turns pydantic's (and FastAPI's)
validation errors into text a person reads. The API's 422 handler keeps the JSON shape
(`detail[].loc` names the field, `msg` is this text, `type` pydantic's) and the Reflex
forms show `russian_message` alone, without the parameter name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from coworking_app.formatting import group_thousands, plural
from coworking_app.services.common.text import BAD_CHARS_MESSAGE, LINE_PATTERN, TEXT_PATTERN, has_cyrillic

_FIXED = {
    "missing": "Обязательное поле",
    "int_type": "Должно быть целым числом",
    "int_parsing": "Должно быть целым числом",
    "int_from_float": "Должно быть целым числом",
    "int_parsing_size": "Слишком большое число",
    "float_type": "Должно быть числом",
    "float_parsing": "Должно быть числом",
    "finite_number": "Должно быть конечным числом",
    "decimal_type": "Должно быть числом",
    "decimal_parsing": "Должно быть числом",
    "bool_type": "Должно быть true или false",
    "bool_parsing": "Должно быть true или false",
    "string_type": "Должно быть текстом",
    "string_unicode": BAD_CHARS_MESSAGE,
    "string_sub_type": "Должно быть текстом",
    "bytes_type": "Должно быть текстом",
    "list_type": "Должно быть списком",
    "tuple_type": "Должно быть списком",
    "set_type": "Должно быть списком",
    "dict_type": "Должно быть объектом",
    "model_type": "Должно быть объектом",
    "model_attributes_type": "Должно быть объектом",
    "dataclass_type": "Должно быть объектом",
    "date_type": "Дата в формате ГГГГ-ММ-ДД",
    "date_parsing": "Дата в формате ГГГГ-ММ-ДД",
    "date_from_datetime_parsing": "Дата в формате ГГГГ-ММ-ДД",
    "date_from_datetime_inexact": "Дата без времени, в формате ГГГГ-ММ-ДД",
    "datetime_type": "Дата и время в формате ГГГГ-ММ-ДДTЧЧ:ММ+03:00",
    "datetime_parsing": "Дата и время в формате ГГГГ-ММ-ДДTЧЧ:ММ+03:00",
    "datetime_from_date_parsing": "Дата и время в формате ГГГГ-ММ-ДДTЧЧ:ММ+03:00",
    "datetime_object_invalid": "Такой даты нет",
    "timezone_aware": "Укажите часовой пояс, например 2030-01-31T10:00+03:00",
    "timezone_naive": "Без часового пояса",
    "time_type": "Время в формате ЧЧ:ММ",
    "time_parsing": "Время в формате ЧЧ:ММ",
    "extra_forbidden": "Лишнее поле",
    "json_invalid": "Некорректный JSON",
    "json_type": "Некорректный JSON",
    "uuid_type": "Некорректный идентификатор",
    "uuid_parsing": "Некорректный идентификатор",
    "url_type": "Некорректная ссылка",
    "url_parsing": "Некорректная ссылка",
    "none_required": "Должно быть пустым",
    "is_instance_of": "Недопустимое значение",
    "union_tag_invalid": "Недопустимое значение",
    "too_large": "Слишком большой запрос",
}


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
        return f"Не меньше {_number(ctx.get('ge'))}"
    if kind == "greater_than":
        return f"Больше {_number(ctx.get('gt'))}"
    if kind == "less_than_equal":
        return f"Не больше {_number(ctx.get('le'))}"
    if kind == "less_than":
        return f"Меньше {_number(ctx.get('lt'))}"
    if kind == "multiple_of":
        return f"Должно делиться на {_number(ctx.get('multiple_of'))}"
    if kind == "string_too_short":
        n = int(ctx.get("min_length", 1))
        return "Не может быть пустым" if n <= 1 else f"Не короче {plural(n, 'символа', 'символов', 'символов')}"
    if kind == "string_too_long":
        return f"Не длиннее {plural(int(ctx.get('max_length', 0)), 'символа', 'символов', 'символов')}"
    if kind == "too_short":
        n = int(ctx.get("min_length", 1))
        return "Выберите хотя бы одно значение" if n <= 1 else f"Не меньше {plural(n, 'элемента', 'элементов', 'элементов')}"
    if kind == "too_long":
        return f"Не больше {plural(int(ctx.get('max_length', 0)), 'элемента', 'элементов', 'элементов')}"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") in (LINE_PATTERN, TEXT_PATTERN):
            return BAD_CHARS_MESSAGE
        return "Недопустимый формат"
    if kind in ("enum", "literal_error"):
        expected = ctx.get("expected")
        return f"Допустимые значения: {_choices(str(expected))}" if expected else "Недопустимое значение"
    if kind in ("value_error", "assertion_error"):
        # Our own validators raise ValueError with Russian text (services/common/fields.py and the
        # input models); pydantic prefixes it.
        message = str(error.get("msg", ""))
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ") or "Недопустимое значение"
    message = str(error.get("msg", ""))
    if has_cyrillic(message):  # PydanticCustomError of our own types (services/common/fields.py)
        return message
    if kind.startswith(("int_", "float_")):
        return "Должно быть числом"
    if kind.startswith("datetime"):
        return _FIXED["datetime_parsing"]
    if kind.startswith("date"):
        return _FIXED["date_parsing"]
    return "Недопустимое значение"


def russian_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The API's 422 `detail`: loc (where, which field), Russian msg, pydantic's type. The
    refused input is not echoed (it may be anything, including what JSON cannot hold)."""
    return [{"loc": [_loc_part(p) for p in error.get("loc", ())], "msg": russian_message(error),
             "type": str(error.get("type", "value_error"))} for error in errors]


def _loc_part(part: Any) -> str | int:
    return part if isinstance(part, int) and not isinstance(part, bool) else str(part)


def first_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """What a form shows for input its model refused: the first problem, in Russian."""
    return russian_message(errors[0]) if errors else "Проверьте введённые данные"
