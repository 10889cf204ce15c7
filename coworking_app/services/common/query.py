"""Base for filter models filled from query strings."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, model_validator


class QueryModel(BaseModel):
    """`?status=&from=` means "no filter": empty values fall back to the defaults."""

    @model_validator(mode="before")
    @classmethod
    def _blank_is_default(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v != ""}
        return data
