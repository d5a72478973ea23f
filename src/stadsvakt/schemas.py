"""Shared base for API input schemas: unknown fields refused, NUL characters refused.

PostgreSQL cannot store a NUL character in text, so letting one through would
turn bad input into a 500 there; it is refused as a 422 naming the field instead.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

#: A ``pattern`` for query and path strings that must not carry a NUL character.
NO_NUL = r"^[^\x00]*$"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(_has_nul(item) for item in value)
    return False


class StrictInput(BaseModel):
    """Base for input: unknown fields are refused, not ignored, and text holds no NUL."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise PydanticCustomError("no_nul_character", "must not contain NUL characters")
        return value
