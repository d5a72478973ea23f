"""Shared base for API input schemas: the schema a client reads is the rule the API keeps.

* Unknown fields are refused, not ignored.
* Text holds no NUL character: PostgreSQL cannot store one, so letting it through would
  turn bad input into a 500 there. The schema says so with a ``pattern``.
* Types are strict: a boolean is ``true`` or ``false`` (not ``0``, ``1`` or ``"yes"``), a
  number is a JSON number (not ``true`` or ``"5"``); pydantic's lax coercion would accept
  input the OpenAPI schema forbids.
* A field an update may leave out but never empty is declared ``X | None = omittable()``:
  the schema does not list ``null`` for it, and an explicit ``null`` is refused naming
  the field, instead of being declared allowed and then refused (or silently ignored).
* Text that is trimmed and must not be empty carries a pattern needing one
  non-blank character, so ``" "`` is not schema-valid and then refused.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

#: A ``pattern`` for query and path strings that must not carry a NUL character.
NO_NUL = r"^[^\x00]*$"
#: Text without NUL that keeps at least one character once trimmed of white space.
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"


def not_null(schema: dict[str, Any]) -> None:
    """Take ``null`` (and a ``null`` default) out of a field's JSON schema."""
    branches = schema.get("anyOf", [])
    kept = [b for b in branches if b != {"type": "null"}]
    if branches and len(kept) == 1:
        del schema["anyOf"]
        schema.update(kept[0])
    elif branches:
        schema["anyOf"] = kept
    if schema.get("default", ...) is None:
        del schema["default"]


def omittable(**constraints: Any) -> Any:
    """The default of an update field that may be left out but not set to ``null``.

    The field stays ``X | None`` in Python (so errors name it plainly, not a union
    member); its schema loses ``null`` and StrictInput refuses an explicit ``null``.
    """
    return Field(default=None, json_schema_extra=not_null, **constraints)


#: Validation context for text from an HTML form or a CSV file, where every value is
#: text by nature:
#: ``Model.model_validate(values, context=FORM_TEXT)`` lets "55.6" be a number and "on"
#: a boolean (the JSON type rule is for JSON bodies).
FORM_TEXT: dict[str, bool] = {"form_text": True}


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(_has_nul(item) for item in value)
    return False


def _members(annotation: Any) -> list[Any]:
    """The alternatives of a (possibly Annotated) union, each unwrapped of Annotated."""
    if get_origin(annotation) is Annotated:
        return _members(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        return [m for arg in get_args(annotation) for m in _members(arg)]
    return [annotation]


def _json_type_error(annotation: Any, value: Any) -> PydanticCustomError | None:
    """The error for a value whose JSON type the annotation's schema does not allow.

    Only booleans and numbers need this: pydantic's lax mode turns ``0`` into ``False``,
    ``"5"`` into 5 and ``True`` into 1, all of which the schema forbids. A field that also
    takes anything else (text, a literal, an enum) is left to pydantic.
    """
    members = [m for m in _members(annotation) if m is not type(None)]
    if isinstance(value, list):
        inner = [get_args(m)[0] for m in members if get_origin(m) in _SEQUENCES and get_args(m)]
        for item in value:
            for arg in inner:
                error = _json_type_error(arg, item)
                if error is not None:
                    return error
        return None
    if members == [bool]:
        if not isinstance(value, bool):
            return PydanticCustomError("bool_type", "must be true or false")
        return None
    numeric = [m for m in members if m in (int, float)]
    if not numeric:
        return None
    if isinstance(value, bool) and bool not in members:
        return _number_error(numeric)
    if isinstance(value, str):
        others = [m for m in members if m not in (int, float, bool)]
        # A string is refused unless another alternative is text that could take it
        # (a literal that names it; str, an enum or a UUID is left to pydantic).
        if all(get_origin(m) is Literal for m in others) and not any(
            value in get_args(m) for m in others
        ):
            return _number_error(numeric)
    return None


def _number_error(numeric: list[Any]) -> PydanticCustomError:
    if float in numeric:
        return PydanticCustomError("float_type", "must be a number")
    return PydanticCustomError("int_type", "must be a whole number")


_SEQUENCES = (list, set, tuple, frozenset)


def _trimmed_minimum(meta: Any) -> int:
    """The length text keeps once trimmed, when the constraint trims it; else 0."""
    if isinstance(meta, StringConstraints) and meta.strip_whitespace:
        return meta.min_length or 0
    return 0


def _trimmed_maximum(annotation: Any, metadata: list[Any]) -> int | None:
    """The maximum length of text that is trimmed before its length is checked."""
    found = [
        m.max_length
        for m in [*metadata, *_constraints(annotation)]
        if isinstance(m, StringConstraints) and m.strip_whitespace and m.max_length is not None
    ]
    return min(found) if found else None


def _constraints(annotation: Any) -> list[Any]:
    """Every Annotated metadata item anywhere in an annotation."""
    if get_origin(annotation) is Annotated:
        args = get_args(annotation)
        return [*args[1:], *_constraints(args[0])]
    return [m for arg in get_args(annotation) for m in _constraints(arg)]


def _trimmed_minimum_of(annotation: Any) -> int:
    """The trimmed minimum length anywhere in an annotation (0: not trimmed)."""
    if get_origin(annotation) is Annotated:
        args = get_args(annotation)
        return max([_trimmed_minimum(m) for m in args[1:]] + [_trimmed_minimum_of(args[0])])
    return max([0] + [_trimmed_minimum_of(arg) for arg in get_args(annotation)])


def _text_pattern(trimmed_minimum: int) -> str:
    """No NUL, and at least ``trimmed_minimum`` characters from the first non-blank one to
    the last (what is left after trimming white space)."""
    if trimmed_minimum <= 0:
        return NO_NUL
    if trimmed_minimum == 1:
        return NOT_BLANK
    middle = f"[^\\x00]{{{trimmed_minimum - 2},}}"
    return rf"^[^\x00]*[^\s\x00]{middle}[^\s\x00][^\x00]*$"


def _text_rules(schema: Any, pattern: str) -> None:
    """Give every string in a property's schema (not behind a $ref) the pattern, unless it
    has one of its own (whose own rule is then the stricter)."""
    if isinstance(schema, dict):
        if schema.get("type") == "string" and "pattern" not in schema and "format" not in schema:
            schema["pattern"] = pattern
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in schema.get(key, []):
                _text_rules(branch, pattern)
        if "items" in schema:
            _text_rules(schema["items"], pattern)


def _allows_null(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    if schema.get("type") == "null":
        return True
    return any(_allows_null(b) for b in schema.get("anyOf", []) + schema.get("oneOf", []))


class StrictInput(BaseModel):
    """Base for input: unknown fields refused, no NUL in text, strict JSON types, and no
    ``null`` where the schema does not list it."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_loose(cls, value: Any, info: core_schema.ValidationInfo) -> Any:
        if _has_nul(value):
            raise PydanticCustomError("no_nul_character", "must not contain NUL characters")
        field = cls.model_fields.get(info.field_name or "")
        if field is None:
            return value
        if value is None:
            if field.json_schema_extra is not_null:
                raise PydanticCustomError("not_null", "may be left out, but not null")
            return value
        maximum = _trimmed_maximum(field.annotation, field.metadata)
        if isinstance(value, str) and maximum is not None and len(value) > maximum:
            # The schema's maxLength is on the text as sent: white space trimmed off
            # does not make over-long input acceptable.
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": maximum},
            )
        if isinstance(info.context, dict) and info.context.get("form_text"):
            return value
        error = _json_type_error(field.annotation, value)
        if error is not None:
            raise error
        return value

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found: dict[str, Any] = handler(schema)
        target = handler.resolve_ref_schema(found)
        for name, prop in target.get("properties", {}).items():
            field = cls.model_fields.get(name)
            if field is None:
                continue
            minimum = max(
                [_trimmed_minimum_of(field.annotation)]
                + [_trimmed_minimum(m) for m in field.metadata]
            )
            pattern = _text_pattern(minimum)
            _text_rules(prop, pattern)
            if prop.get("default", ...) is None and not _allows_null(prop):
                # "default": null on a field that may not be null would invite a client
                # (and a fuzzer) to send the default, which is then refused.
                del prop["default"]
        return found
