"""The SCIM protocol service: scim2-server's, with two tolerances real clients need."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from scim2_models import Context, PatchOp, ResourceType, ResponseParameters
from scim2_models import Resource as ScimResource
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService
from scim2_server.utils import parametrize

from stadsvakt.scim.models import USER_SCHEMA

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


class StadsvaktScimService(ScimService):
    """scim2-server's service, tolerant of computed attributes in PATCH, answering PATCH with 200.

    RFC 7643 §7 has a service ignore read-only attributes in POST and PUT; the
    same is done for PATCH, as Entra ID keeps sending them. A PATCH answers with
    the updated resource (200) rather than 204, which Okta and Entra ID expect.
    """

    def read_patch(
        self, resource_type: ResourceType, body: bytes, content_type: str | None
    ) -> PatchOp[Any]:
        """Validate a PATCH body once the writes to computed attributes are dropped."""
        if resource_type.name != "User":
            return super().read_patch(resource_type, body, content_type)
        try:
            payload = json.loads(body)
        except ValueError:
            return super().read_patch(resource_type, body, content_type)
        if isinstance(payload, dict):
            key = next((k for k in payload if k.lower() == "operations"), None)
            if key is not None and isinstance(payload[key], list):
                kept = [op for op in map(_without_computed, payload[key]) if op is not None]
                if payload[key] and not kept:
                    # Only computed attributes were written: a PATCH that changes nothing.
                    self.ensure_patch_supported()
                    empty: PatchOp[Any] = parametrize(
                        PatchOp, self.get_model(resource_type)
                    ).model_construct(operations=[])
                    return empty
                payload[key] = kept
                body = json.dumps(payload).encode()
        return super().read_patch(resource_type, body, content_type)

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
