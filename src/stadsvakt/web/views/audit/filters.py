"""The audit trail's filters in the URL: read, checked and turned into a query's filter.

Every parameter is checked (:mod:`stadsvakt.web.listing` and the rules here): an
unknown action or object type, a malformed time, a start after the end, a page size
not offered or a page past the end is refused naming the field and the rule, never
ignored, so a bookmarked or shared view shows exactly what its URL says. The trail page
and the CSV export read the same URL the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from stadsvakt.audit.browse import TrailFilter, used_in_trail
from stadsvakt.context import Actor
from stadsvakt.web.forms import N_, FormErrors
from stadsvakt.web.list_filters import as_uuid, chosen_id, end_of, local_moment, start_of
from stadsvakt.web.listing import ListParameterError, ListSpec, ListState, read_list
from stadsvakt.web.views.audit.texts import ACTIONS, CODE, OBJECT_TYPES

Translate = Callable[[str], str]

#: The filters' names in the URL → their labels (for messages naming the field).
LABELS: Mapping[str, str] = {
    "actor": N_("Actor"),
    "type": N_("Object type"),
    "q": N_("Object"),
    "action": N_("Action"),
    "from": N_("From"),
    "to": N_("To"),
    "sort": N_("Sort order"),
    "p": N_("Page"),
    "size": N_("Rows per page"),
}


def _code(name: str) -> Callable[[str], str]:
    """A filter holding a stored code (an action, an object type)."""

    def check(text: str) -> str:
        if not CODE.match(text):
            raise ListParameterError(name, "choice", N_("Choose one of the options."))
        return text

    return check


TRAIL = ListSpec(
    path="/audit",
    sorts=("time",),
    default_sort="time",
    default_descending=True,
    filters={
        "actor": chosen_id("actor"),
        "type": _code("type"),
        "action": _code("action"),
        "from": local_moment("from"),
        "to": local_moment("to"),
    },
    extra=(),
)


def read_trail(params: QueryParams) -> ListState:
    """The list state the URL asks for, each parameter checked on its own."""
    return read_list(params, TRAIL)


def trail_filter(session: Session, actor: Actor, state: ListState) -> TrailFilter:
    """The query's filter of a checked state; refuses codes the trail does not know and a
    time range that ends before it starts."""
    action, object_type = state.filters["action"], state.filters["type"]
    if action and action not in ACTIONS and not used_in_trail(session, actor, action=action):
        raise ListParameterError(
            "action", "unknown_action", N_("No entry has the action %(code)s."), code=action
        )
    if (
        object_type
        and object_type not in OBJECT_TYPES
        and not used_in_trail(session, actor, object_type=object_type)
    ):
        raise ListParameterError(
            "type",
            "unknown_type",
            N_("No entry is about objects of type %(code)s."),
            code=object_type,
        )
    since, until = start_of(state.filters["from"]), end_of(state.filters["to"])
    if since is not None and until is not None and since >= until:
        raise ListParameterError("to", "after_from", N_("The end must be later than the start."))
    return TrailFilter(
        actor_id=as_uuid(state.filters["actor"]),
        object_type=object_type,
        object=state.q,
        action=action,
        since=since,
        until=until,
        oldest_first=not state.descending,
    )


def refusal(exc: ListParameterError, _: Translate) -> FormErrors:
    """A refused parameter as a message on its filter (an unknown one on the form)."""
    errors = FormErrors()
    name = str(exc.extra["errors"][0]["field"])
    message = _(exc.message) % exc.params
    if name in LABELS:
        errors.fields[name] = message
    else:
        errors.general.append(f"{name}: {message}")
    return errors
