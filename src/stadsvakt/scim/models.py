"""The SCIM resources stadsvakt serves, and the service description built from them.

The models declare only what stadsvakt keeps (personal data is kept minimal), so
``/Schemas`` tells a client exactly what round-trips. Attributes a client sends
that are not declared here (``phoneNumbers``, ``addresses``, ``manager``,
``organization``, ``division``, ``name.formatted``…) are ignored rather than
refused: Entra ID and Okta send them whatever the mapping says. A user's
``displayName`` is computed from the given and family names, so it is read-only.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import EmailStr, Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Extension,
    Filter,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

#: The most resources one search returns (``count`` is capped to it).
MAX_RESULTS = 200


class Name(ComplexAttribute):
    """A user's name; given and family name are required (stadsvakt shows both)."""

    given_name: Annotated[str | None, Required.true] = None
    """The given name (förnamn)."""

    family_name: Annotated[str | None, Required.true] = None
    """The family name (efternamn)."""


class Email(ComplexAttribute):
    """The one e-mail address stadsvakt keeps, published as the work address.

    ``primary`` is not declared: with a single address it says nothing, and a
    declared attribute must read back as written. A client's ``primary`` still
    picks the address kept when several are sent.
    """

    value: EmailStr | None = None
    """The address."""

    type: str | None = Field(None, examples=["work"])
    """Always ``work`` when read back."""


class EnterpriseUser(Extension):
    """The enterprise extension, limited to what maps onto units and people."""

    __schema__ = URN(ENTERPRISE_SCHEMA)

    employee_number: Annotated[str | None, Uniqueness.server] = None
    """The employee number (anställningsnummer), unique in the municipality."""

    department: Annotated[str | None, Required.true] = None
    """The code, else the name, of an organisation unit of the municipality."""


class User(Resource[Any]):
    """A person of the directory, as a SCIM User."""

    __schema__ = URN(USER_SCHEMA)

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """The login name in the provisioning source, unique in the municipality."""

    name: Annotated[Name | None, Required.true] = None
    """Given and family name."""

    display_name: Annotated[str | None, Mutability.read_only] = None
    """Given and family name, computed."""

    title: str | None = None
    """The position (befattning) of the person's SCIM assignment."""

    active: Annotated[bool | None, Required.true] = None
    """False deactivates the person and revokes every right (required: stadsvakt has no
    "unknown" state)."""

    emails: list[Email] | None = None
    """One address is kept: the one marked primary, else the first."""


class Member(ComplexAttribute):
    """A member of a group: always a user."""

    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    """The member's id."""

    ref: Annotated[Reference[Union[User]] | None, Mutability.immutable] = Field(  # noqa: UP007
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    """The member's URL."""

    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User"])
    """Always ``User``: groups hold people, not other groups."""


class Group(Resource[Any]):
    """A directory group, as a SCIM Group."""

    __schema__ = URN(GROUP_SCHEMA)

    display_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """The group's name, unique in the municipality."""

    members: list[Member] | None = None
    """The people in the group."""


#: A user resource always carries the enterprise extension (the department is required).
UserResource = User[Annotated[EnterpriseUser, Required.true]]  # type: ignore[type-arg]

#: Tolerance towards real clients: ignore attributes stadsvakt does not keep, read the
#: ``value`` of a ``remove`` as a filter, and create the entry of an unmatched
#: ``emails[type eq "work"].value`` path (all three as Microsoft Entra ID sends them).
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)

BEARER = AuthenticationScheme(
    type=AuthenticationScheme.Type.oauthbearertoken,
    name="API token",
    description="A stadsvakt API token with the scim.provision scope, as a bearer token",
    primary=True,
)


def service_provider_config() -> ServiceProviderConfig:
    """What the SCIM service supports: PATCH, filters, ETags; no bulk, sort or passwords."""
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[BEARER],
    )


def build_provider() -> ScimProvider:
    """The description of stadsvakt's SCIM service."""
    return ScimProvider(
        models=[User, EnterpriseUser, Group],
        resource_types=[
            ResourceType.from_resource(UserResource),
            ResourceType.from_resource(Group),
        ],
        config=service_provider_config(),
        policy=POLICY,
    )
