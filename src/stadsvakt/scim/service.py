"""The SCIM protocol service: scim2-server's, with stadsvakt's limits and the tolerances
real clients need."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from itertools import groupby
from typing import Any

from pydantic import ValidationError
from scim2_models import (
    Context,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    NotFoundException,
    PatchOp,
    PatchOperation,
    ResourceType,
    ResponseParameters,
    Schema,
    ScimProvider,
    SearchRequest,
)
from scim2_models import Resource as ScimResource
from scim2_server.conditions import Conditions
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService
from scim2_server.utils import parametrize

from stadsvakt.scim.discovery import with_departments
from stadsvakt.scim.errors import invalid_patch_value
from stadsvakt.scim.limits import check_filter_tree, check_response_parameters, check_search
from stadsvakt.scim.models import USER_SCHEMA, Group
from stadsvakt.scim.patch import PatchChecker
from stadsvakt.settings import ScimSettings

#: Computed, read-only attributes whose writes are dropped from a PATCH: Entra ID and
#: Okta send ``displayName`` and ``name.formatted`` with every change of a name.
_COMPUTED = frozenset(
    {
        "displayname",
        "name.formatted",
        f"{USER_SCHEMA.lower()}:displayname",
        f"{USER_SCHEMA.lower()}:name.formatted",
    }
)


def _computed(path: object) -> bool:
    return isinstance(path, str) and path.strip().lower() in _COMPUTED


def _without_computed(operation: Any) -> Any:
    """The operation without writes to computed attributes, or None if nothing is left."""
    if not isinstance(operation, dict):
        return operation
    path = next((v for k, v in operation.items() if k.lower() == "path"), None)
    if _computed(path):
        return None
    value = next((v for k, v in operation.items() if k.lower() == "value"), None)
    if path is None and isinstance(value, dict):
        kept = {k: v for k, v in value.items() if not _computed(k)}
        name = next((k for k in kept if k.lower() == "name"), None)
        if name is not None and isinstance(kept[name], dict):
            kept[name] = {k: v for k, v in kept[name].items() if k.lower() != "formatted"}
        key = next(k for k in operation if k.lower() == "value")
        return {**operation, key: kept}
    return operation


def _member_ids(operation: PatchOperation[Any]) -> set[str] | None:
    """The ids a ``remove`` of ``members`` lists in its value, as Entra ID sends it, or None.

    scim2-models turns such a value into one ``or`` filter tested against every
    member, which takes minutes for a thousand members; a set takes milliseconds.
    """
    value = operation.value
    if (
        operation.op != PatchOperation.Op.remove
        or operation.path is None
        or str(operation.path).strip().lower() != "members"
        or not isinstance(value, list)
        or not value
    ):
        return None
    ids = set()
    for entry in value:
        if not isinstance(entry, dict) or len(entry) != 1:
            return None
        (key, member), *_ = entry.items()
        if not isinstance(key, str) or key.lower() != "value" or not isinstance(member, str):
            return None
        ids.add(member)
    return ids


class StadsvaktScimService(ScimService):
    """scim2-server's service within stadsvakt's limits, tolerant of computed attributes
    in PATCH, answering PATCH with 200.

    Searches and PATCH bodies are checked against the limits (``settings.scim``)
    before they are parsed, and filters again before SQL is built. RFC 7643 §7 has a
    service ignore read-only attributes in POST and PUT; the same is done for PATCH,
    as Entra ID keeps sending them. A PATCH answers with the updated resource (200)
    rather than 204, which Okta and Entra ID expect. ``/Schemas`` lists ``departments``
    (the asking municipality's unit codes) as ``department``'s canonical values.
    """

    def __init__(
        self, provider: ScimProvider, limits: ScimSettings, departments: Sequence[str] = ()
    ) -> None:
        super().__init__(provider)
        self.limits = limits
        self.departments = tuple(departments)

    def for_departments(self, departments: Sequence[str]) -> StadsvaktScimService:
        """The same service, publishing ``departments`` as the valid departments."""
        return StadsvaktScimService(self.provider, self.limits, departments)

    # -- discovery ----------------------------------------------------------

    def published_schemas(self) -> tuple[Schema, ...]:
        """The schemas ``/Schemas`` serves, with this municipality's departments."""
        return tuple(with_departments(s, self.departments) for s in self.provider.schemas)

    def schemas(self, location: str, query: Mapping[str, str]) -> ScimResponse:
        """Every published schema."""
        self.forbid_filter(query)
        schemas = self.published_schemas()
        response = ListResponse[Schema](
            total_results=len(schemas),
            items_per_page=len(schemas),
            start_index=1,
            resources=[self.locate(s, f"{location}/{s.id}") for s in schemas],
        )
        return ScimResponse(HTTPStatus.OK, response.model_dump())

    def schema(self, location: str, schema_id: str, query: Mapping[str, str]) -> ScimResponse:
        """One published schema, by its URN."""
        self.forbid_filter(query)
        for schema in self.published_schemas():
            if schema.id == schema_id:
                return self.discovery_response(self.locate(schema, location))
        raise NotFoundException(detail=f"no schema {schema_id!r}")

    # -- searches ---------------------------------------------------------

    def read_search(
        self, resource_types: list[ResourceType], payload: Any
    ) -> tuple[SearchRequest[Any], Any]:
        """A search request within the limits: its text before parsing, its filter after."""
        check_search(payload, self.limits)
        search_request, position = super().read_search(resource_types, payload)
        if search_request.filter is not None and search_request.filter.ast is not None:
            check_filter_tree(search_request.filter.ast, self.limits)
        return search_request, position

    def read_response_parameters(
        self, resource_type: ResourceType, query: Mapping[str, str]
    ) -> ResponseParameters[Any]:
        """``attributes``/``excludedAttributes`` of a read or a write, within the limits."""
        check_response_parameters(query, self.limits)
        return super().read_response_parameters(resource_type, query)

    # -- PATCH --------------------------------------------------------------

    def read_patch(
        self, resource_type: ResourceType, body: bytes, content_type: str | None
    ) -> PatchOp[Any]:
        """Validate a PATCH body once checked and the writes to computed attributes dropped."""
        self.ensure_patch_supported()
        payload = self.decode_body(body, content_type)
        PatchChecker(resource_type.name or "", self.limits).check(payload)
        if resource_type.name == "User":
            key = next(k for k in payload if isinstance(k, str) and k.lower() == "operations")
            kept = [op for op in map(_without_computed, payload[key]) if op is not None]
            if not kept:
                # Only computed attributes were written: a PATCH that changes nothing.
                empty: PatchOp[Any] = parametrize(
                    PatchOp, self.get_model(resource_type)
                ).model_construct(operations=[])
                return empty
            payload[key] = kept
        return self.read_body(
            parametrize(PatchOp, self.get_model(resource_type)),
            json.dumps(payload).encode(),
            content_type,
            Context.RESOURCE_PATCH_REQUEST,
        )

    def decode_body(self, body: bytes, content_type: str | None) -> Any:
        """The JSON of a body; a body that is not JSON is ``invalidSyntax``."""
        try:
            return super().decode_body(body, content_type)
        except InvalidSyntaxException:
            raise InvalidSyntaxException(detail="the body is not valid JSON") from None

    def apply_patch(
        self, current: ScimResource[Any], patch_op: PatchOp[Any], conditions: Conditions
    ) -> ScimResource[Any] | None:
        """Apply a PATCH; a value of the wrong type is ``invalidValue`` naming the attribute."""
        self.check_preconditions(current, "PATCH", conditions)
        try:
            changed = self._apply_operations(current, patch_op)
        except InvalidValueException as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise invalid_patch_value(exc.__cause__) from exc
            raise
        return current if changed else None

    def _apply_operations(self, current: ScimResource[Any], patch_op: PatchOp[Any]) -> bool:
        """Apply the operations in order, removing members listed by value through a set."""
        changed = False
        operations = patch_op.operations or []
        fast = isinstance(current, Group)
        for by_set, run in groupby(operations, key=lambda o: fast and _member_ids(o) is not None):
            batch = list(run)
            if not by_set:
                changed |= type(patch_op).model_construct(operations=batch).patch(current)
                continue
            assert isinstance(current, Group)
            for operation in batch:
                ids = _member_ids(operation) or set()
                members = current.members or []
                kept = [m for m in members if m.value not in ids]
                changed |= len(kept) != len(members)
                current.members = kept or None
        return changed

    def patch_response(
        self,
        base_url: str,
        resource: ScimResource[Any],
        response_parameters: ResponseParameters[Any],
    ) -> ScimResponse:
        """The updated resource, with its ETag."""
        return self.resource_response(
            self.publish(base_url, resource),
            Context.RESOURCE_REPLACEMENT_RESPONSE,
            response_parameters,
            status=HTTPStatus.OK,
        )
