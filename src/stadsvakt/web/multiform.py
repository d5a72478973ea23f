"""Posted forms with repeated fields: a multi-choice picker (``<select multiple>``) posts
one field per chosen value, which :func:`stadsvakt.web.deps.form_data` (the last value
per name) cannot see."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from stadsvakt.api.deps import SAFE_METHODS
from stadsvakt.web.deps import FORM_LIMIT_FIELDS


async def form_lists(request: Request) -> dict[str, list[str]]:
    """Every value of each field of a posted form, in the order sent (text only)."""
    if request.method in SAFE_METHODS:
        return {}
    # The same limits as form_data: Starlette parses the body once and keeps the result.
    form = await request.form(max_files=0, max_fields=FORM_LIMIT_FIELDS, max_part_size=64_000)
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            values.setdefault(key, []).append(value)
    return values


FormListsDep = Annotated[dict[str, list[str]], Depends(form_lists)]
