"""Every refusal a person (or an API client) can read is Russian: a static check over the
raise sites of the service errors, the validators of input models and the API's own
answers, plus the error types' defaults and the Russian text of pydantic's errors."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, ValidationError

from coworking_app.services.common import errors
from coworking_app.services.common.fields import Day, Id, Line, MoneyMinor
from coworking_app.services.common.text import has_cyrillic
from coworking_app.services.common.validation import first_message, russian_errors

ROOT = Path(__file__).resolve().parents[2]
# settings.py refuses bad configuration at start-up: read by whoever deploys, in English.
SOURCES = [path for folder in ("coworking_app", "state", "jobs") for path in sorted((ROOT / folder).rglob("*.py"))
           if path.name != "settings.py"]
# Which argument of each error is the text shown to people.
MESSAGE_ARG = {"InvalidInput": 1, "Conflict": 1, "PayloadTooLarge": 1, "UnsupportedMedia": 1,
               "RateLimited": 1, "NotFound": 0, "NotAuthenticated": 0, "PermissionDenied": 0,
               "SecondFactorRequired": 0, "ProviderError": 0, "PydanticCustomError": 1}
VALIDATORS = {"field_validator", "model_validator"}


def _constants(tree: ast.Module) -> dict[str, ast.expr]:
    return {target.id: node.value for node in tree.body if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)}


def _texts(node: ast.expr, constants: dict[str, ast.expr]) -> list[str] | None:
    """The literal text(s) an expression may produce; None when it is not literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value for v in node.values if isinstance(v, ast.Constant))]
    if isinstance(node, ast.Name) and node.id in constants:
        return _texts(constants[node.id], constants)
    if isinstance(node, ast.IfExp):
        body, orelse = _texts(node.body, constants), _texts(node.orelse, constants)
        return None if body is None or orelse is None else body + orelse
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _texts(node.left, constants), _texts(node.right, constants)
        return None if left is None or right is None else [a + b for a in left for b in right]
    return None


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _in_validator(parents: list[ast.AST]) -> bool:
    return any(isinstance(p, ast.FunctionDef) and any(
        _name(d) in VALIDATORS for d in p.decorator_list if isinstance(d, ast.Call)) for p in parents)


def _english_messages() -> list[str]:
    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)

        def visit(node: ast.AST, parents: list[ast.AST]) -> None:
            texts, where = None, None
            if isinstance(node, ast.Call):
                name = _name(node)
                index = MESSAGE_ARG.get(name)
                if name == "ValueError" and _in_validator(parents):
                    index = 0
                if index is not None and len(node.args) > index:
                    texts, where = _texts(node.args[index], constants), name
            elif isinstance(node, ast.Dict) and "api" in path.parts:  # {"detail": "..."}
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value == "detail" and value is not None:
                        texts, where = _texts(value, constants), "detail"
            for text in texts or []:
                if text.strip() and not has_cyrillic(text):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {where}: {text!r}")
            for child in ast.iter_child_nodes(node):
                visit(child, [*parents, node])

        visit(tree, [])
    return found


def test_every_error_message_raised_is_russian():
    assert _english_messages() == []


@pytest.mark.parametrize("error", [errors.NotFound(), errors.NotAuthenticated(), errors.PermissionDenied(),
                                   errors.SecondFactorRequired(), errors.RateLimited(30)])
def test_error_defaults_are_russian(error):
    assert has_cyrillic(error.message)


def test_rate_limit_text_says_how_long_to_wait():
    assert errors.RateLimited(30).wait_text == "Слишком много попыток. Попробуйте через 30 секунд"
    assert errors.RateLimited(61).wait_text.endswith("через 2 минуты")
    assert errors.RateLimited(3600).wait_text.endswith("через 1 час")


class _Form(BaseModel):
    space_id: Id
    name: Line(200, min_length=2)
    price: MoneyMinor
    day: Day


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"space_id": "x"}, "space_id", "Должно быть целым числом"),
    ({"space_id": 0}, "space_id", "Не меньше 1"),
    ({"space_id": 2**31}, "space_id", "Не больше 2\xa0147\xa0483\xa0647"),
    ({"name": "a" * 201}, "name", "Не длиннее 200 символов"),
    ({"name": "a"}, "name", "Не короче 2 символов"),
    ({"name": "ab\x00"}, "name", "Недопустимые символы: уберите управляющие и непечатаемые знаки"),
    ({"name": "ab\ud800"}, "name", "Недопустимые символы: уберите управляющие и непечатаемые знаки"),
    ({"price": -1}, "price", "Не меньше 0"),
    ({"day": "9999-12-31"}, "day", "Дата между 01.01.2000 и 31.12.2100"),
    ({"day": "31.12.2020"}, "day", "Дата в формате ГГГГ-ММ-ДД"),
    ({}, "space_id", "Обязательное поле"),
])
def test_validation_errors_read_in_russian(data, field, message):
    full = {"space_id": 1, "name": "Имя", "price": 0, "day": "2030-01-01"}
    full.update(data)
    if not data:
        del full["space_id"]
    with pytest.raises(ValidationError) as caught:
        _Form.model_validate(full)
    detail = russian_errors(caught.value.errors())
    assert detail[0]["loc"] == [field]
    assert detail[0]["msg"] == message
    assert first_message(caught.value.errors()) == message  # what a Reflex form shows


def test_a_form_shows_the_message_without_the_parameter_name():
    from state.auth import invalid

    class Offer(BaseModel):
        seats: int = Field(ge=1)

    with pytest.raises(ValidationError) as caught:
        Offer(seats=0)
    assert invalid(caught.value) == "Не меньше 1"


def test_search_and_owner_forms_name_no_parameter():
    from coworking_app.services.common.errors import InvalidInput
    from coworking_app.services.catalog.owner_spaces import SpaceFields
    from state.search_query import error_text

    with pytest.raises(ValidationError) as caught:
        SpaceFields(name="З")
    assert error_text(caught.value) == ("name", "Не короче 2 символов")
    assert error_text(InvalidInput("min_price", "Больше, чем цена «до»")) == (
        "min_price", "Цена от: Больше, чем цена «до»")
