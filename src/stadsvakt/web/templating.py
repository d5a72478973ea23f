"""The Jinja2 environment of the web UI, with gettext bound to each render's language and
``vendor_url(name)`` for the front-end packages' files (``stadsvakt.web.vendor``)."""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.templating import Jinja2Templates

from stadsvakt.centre.texts import FILTERS as OPERATOR_LANGUAGE
from stadsvakt.web.labels import label_choices, label_filter
from stadsvakt.web.localtime import input_value, local_clock, local_date, local_time
from stadsvakt.web.refusal import refusal
from stadsvakt.web.vendor import VendorAssets

TRANSLATIONS_KEY = "translations"


@pass_context
def _gettext(context: Context, message: str) -> str:
    return str(context[TRANSLATIONS_KEY].gettext(message))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return str(context[TRANSLATIONS_KEY].ngettext(singular, plural, n))


def _in_page_language(function: Callable[[Any, str], str]) -> Callable[..., str]:
    @pass_context
    def in_language(context: Context, value: Any) -> str:
        return function(value, str(context.get("lang", "sv")))

    return in_language


def build_templates(vendor: VendorAssets) -> Jinja2Templates:
    """Templates from the package, autoescaped, with the i18n extension installed.

    The gettext callables read the translations from the render context, so one
    environment serves every language and request at once. ``vendor_url(name)`` gives
    a front-end package's file by its public name, e.g.
    ``<script src="{{ vendor_url('chart.js/chart.umd.js') }}"></script>``.
    """
    directory = str(files("stadsvakt") / "web" / "templates")
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
    env.policies["ext.i18n.trimmed"] = True
    env.globals["vendor_url"] = vendor.url
    # Every time shown in Swedish time with its zone: {{ alarm.received_at|local_time }}.
    env.filters["local_time"] = local_time
    env.filters["local_clock"] = local_clock
    env.filters["local_date"] = local_date
    env.filters["input_value"] = input_value
    # Stored codes as words (web.labels): {{ credential.state|label("credential_state") }}.
    env.filters["label"] = label_filter
    env.globals["label_choices"] = label_choices
    # The 403 page's facts (web.refusal): the permission needed and who has it.
    env.globals["refusal"] = refusal
    # Code tables in the page's language: {{ alarm|alarm_text }}, {{ x.category|category_label }}.
    for name, function in OPERATOR_LANGUAGE.items():
        env.filters[name] = _in_page_language(function)
    return Jinja2Templates(env=env)
