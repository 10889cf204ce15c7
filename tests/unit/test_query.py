"""Filters filled from query strings (services/query.QueryModel): an empty value means "no
filter", so `?status=&page=2` is the defaults with page 2, not a refusal."""

from __future__ import annotations

import pytest
from pydantic import Field, ValidationError

from coworking_app.services.common.query import QueryModel


class _Filter(QueryModel):
    status: str | None = None
    page: int = Field(1, ge=1)
    q: str = ""


def test_empty_values_fall_back_to_the_defaults():
    assert _Filter.model_validate({"status": "", "page": "", "q": ""}) == _Filter()
    assert _Filter.model_validate({"status": "", "page": "2"}) == _Filter(page=2)
    assert _Filter.model_validate({"status": "paid", "q": " "}) == _Filter(status="paid", q=" ")


def test_a_wrong_value_that_is_not_empty_is_still_refused():
    with pytest.raises(ValidationError) as refused:
        _Filter.model_validate({"page": "0"})
    assert refused.value.errors()[0]["loc"] == ("page",)
