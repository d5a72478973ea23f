"""PATCH requests checked against the schemas before scim2-models applies them (RFC 7644 §3.5.2).

stadsvakt ignores the attributes RFC 7643 defines but stadsvakt does not keep
(``phoneNumbers``, ``addresses``, enterprise ``manager``…), since Entra ID and
Okta send them whatever the mapping says. Anything else is a mistake of the
client and is refused, rather than answered with a silent 200, with the
``scimType`` of RFC 7644 §3.12:

* ``invalidSyntax``: the body is not a PatchOp (not JSON, no ``Operations`` list,
  an operation that is not an object or has no ``op``);
* ``tooMany``: more operations, or more values in one operation, than allowed;
* ``invalidPath``: a path that is too long, is not a string, names a schema the
  resource type does not have, an attribute or sub-attribute that schema does not
  define, or selects values of an attribute that holds one;
* ``invalidFilter``: a value filter in a path that is too big, or names what the
  attribute's values do not have;
* ``invalidValue``: a value whose keys the attribute does not define (the types
  of values are checked by scim2-models).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scim2_models import (
    InvalidFilterException,
    InvalidPathException,
    InvalidSyntaxException,
    InvalidValueException,
    Path,
    TooManyException,
)
from scim2_models.path import Comparison, FilterNode, LogicalExpr, Not, Present, ValuePath

from stadsvakt.scim.limits import check_filter_text, check_filter_tree
from stadsvakt.scim.models import ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA
from stadsvakt.settings import ScimSettings


@dataclass(frozen=True, slots=True)
class Attribute:
    """An attribute RFC 7643 defines: its sub-attributes (lower case) and whether it is a list."""

    subs: frozenset[str] = frozenset()
    multi: bool = False


def _multi(*subs: str) -> Attribute:
    return Attribute(frozenset(subs), multi=True)


def _complex(*subs: str) -> Attribute:
    return Attribute(frozenset(subs))


_SCALAR = Attribute()
_PLURAL = _multi("value", "display", "type", "primary")  # RFC 7643 §2.4

#: Attributes every resource has (RFC 7643 §3.1).
_COMMON = {
    "id": _SCALAR,
    "externalid": _SCALAR,
    "schemas": _multi("value"),
    "meta": _complex("resourcetype", "created", "lastmodified", "location", "version"),
}

#: The User schema (RFC 7643 §4.1), in lower case.
_USER = {
    **_COMMON,
    **dict.fromkeys(
        (
            "username",
            "displayname",
            "nickname",
            "profileurl",
            "title",
            "usertype",
            "preferredlanguage",
            "locale",
            "timezone",
            "active",
            "password",
        ),
        _SCALAR,
    ),
    "name": _complex(
        "formatted",
        "familyname",
        "givenname",
        "middlename",
        "honorificprefix",
        "honorificsuffix",
    ),
    **dict.fromkeys(
        ("emails", "phonenumbers", "ims", "photos", "entitlements", "roles", "x509certificates"),
        _PLURAL,
    ),
    "addresses": _multi(
        "formatted",
        "streetaddress",
        "locality",
        "region",
        "postalcode",
        "country",
        "type",
        "primary",
    ),
    "groups": _multi("value", "$ref", "display", "type"),
}

#: The enterprise User extension (RFC 7643 §4.3), in lower case.
_ENTERPRISE = {
    **dict.fromkeys(
        ("employeenumber", "costcenter", "organization", "division", "department"), _SCALAR
    ),
    "manager": _complex("value", "$ref", "displayname"),
}

#: The Group schema (RFC 7643 §4.2), in lower case.
_GROUP = {**_COMMON, "displayname": _SCALAR, "members": _multi("value", "$ref", "display", "type")}

Schema = dict[str, Attribute]

#: The schemas of each resource type, by URN, the core schema first.
SCHEMAS: dict[str, dict[str, Schema]] = {
    "User": {USER_SCHEMA: _USER, ENTERPRISE_SCHEMA: _ENTERPRISE},
    "Group": {GROUP_SCHEMA: _GROUP},
}


@dataclass(frozen=True, slots=True)
class _Target:
    """What a path names: a whole schema, or an attribute (and maybe a sub-attribute)."""

    schema: str | None = None  # the lower-case URN of a whole schema
    attribute: Attribute | None = None
    sub: str | None = None


def _key(mapping: dict[str, Any], name: str) -> str | None:
    """The key of ``mapping`` that is ``name`` without regard to case (SCIM ignores it)."""
    return next((k for k in mapping if isinstance(k, str) and k.lower() == name), None)


def _filter_names(root: FilterNode) -> list[tuple[str, str | None, str | None]]:
    """The (attribute, sub-attribute, URN) each comparison of a filter names."""
    names = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Comparison | Present):
            path = node.attr_path
            names.append((path.attr, path.sub_attr, path.uri))
        elif isinstance(node, LogicalExpr):
            stack.extend(node.terms)
        elif isinstance(node, Not):
            stack.append(node.expr)
        elif isinstance(node, ValuePath):
            stack.append(node.val_filter)
    return names


class PatchChecker:
    """Checks one PATCH body for a resource type, within the configured limits."""

    def __init__(self, resource_type: str, limits: ScimSettings) -> None:
        self.resource_type = resource_type
        # URNs compare without case (RFC 8141 §2 for the namespace; SCIM clients vary).
        self.urns = {urn.lower(): urn for urn in SCHEMAS[resource_type]}
        self.schemas = {urn.lower(): schema for urn, schema in SCHEMAS[resource_type].items()}
        self.core_urn = next(iter(self.schemas))
        self.core = self.schemas[self.core_urn]
        self.limits = limits

    def check(self, payload: Any) -> None:
        """Refuse a PATCH body that is malformed, too big, or names what the schemas do not."""
        if not isinstance(payload, dict):
            raise InvalidSyntaxException(detail="a PATCH body is a JSON object, a PatchOp")
        key = _key(payload, "operations")
        operations = payload.get(key) if key is not None else None
        if not isinstance(operations, list) or not operations:
            raise InvalidSyntaxException(detail="Operations: a list of one or more operations")
        if len(operations) > self.limits.patch_max_operations:
            raise TooManyException(
                detail=f"Operations: at most {self.limits.patch_max_operations} in one request "
                f"({len(operations)} sent); send several requests"
            )
        for index, operation in enumerate(operations):
            self._operation(f"Operations[{index}]", operation)

    def _operation(self, where: str, operation: Any) -> None:
        if not isinstance(operation, dict):
            raise InvalidSyntaxException(detail=f"{where}: an operation is a JSON object")
        op_key = _key(operation, "op")
        if op_key is None or not isinstance(operation[op_key], str):
            raise InvalidSyntaxException(detail=f"{where}.op: add, remove or replace is required")
        path_key = _key(operation, "path")
        path = operation[path_key] if path_key is not None else None
        value_key = _key(operation, "value")
        value = operation[value_key] if value_key is not None else None
        if isinstance(value, list | dict) and len(value) > self.limits.patch_max_values:
            raise TooManyException(
                detail=f"{where}.value: at most {self.limits.patch_max_values} values in one "
                f"operation ({len(value)} sent); send several requests"
            )
        if path is None or path == "":
            target = _Target(schema=self.core_urn)
        elif isinstance(path, str):
            target = self._path(f"{where}.path", path)
        else:
            raise InvalidPathException(detail=f'{where}.path: a string, such as "title"')
        self._value(f"{where}.value", target, value)

    def _path(self, where: str, text: str) -> _Target:
        """What a path names, once its length, filter and names are checked."""
        if len(text) > self.limits.path_max_length:
            raise InvalidPathException(
                detail=f"{where}: at most {self.limits.path_max_length} characters "
                f"({len(text)} sent)"
            )
        check_filter_text(text, self.limits, name=where)
        try:
            path: Path[Any] = Path(text)
        except InvalidPathException as exc:
            raise InvalidPathException(detail=f"{where}: {exc.detail}") from exc
        except InvalidFilterException as exc:
            raise InvalidFilterException(detail=f"{where}: {exc.detail}") from exc
        if path.value_filter is not None:
            check_filter_tree(path.value_filter, self.limits, name=where)
        if text.strip().lower() in self.schemas:
            return _Target(schema=text.strip().lower())
        uri = path.schema.lower() if path.schema else None
        schema = self.core if uri is None else self.schemas.get(uri)
        if schema is None:
            raise InvalidPathException(
                detail=f"{where}: {path.schema} is not a schema of {self.resource_type}; "
                f"they are {', '.join(self.urns.values())}"
            )
        attr, *rest = path.parts
        attribute = schema.get(attr.lower())
        if attribute is None:
            raise InvalidPathException(
                detail=f"{where}: {path.schema or self.resource_type} has no attribute '{attr}'"
            )
        sub = rest[0] if rest else None
        if sub is not None and sub.lower() not in attribute.subs:
            raise InvalidPathException(detail=f"{where}: '{attr}' has no sub-attribute '{sub}'")
        if path.value_filter is not None:
            self._selection(where, attr, attribute, path.value_filter)
        return _Target(attribute=attribute, sub=sub)

    def _selection(self, where: str, attr: str, attribute: Attribute, flt: FilterNode) -> None:
        """Refuse a value filter on a single value, or naming what the values do not have."""
        if not attribute.multi:
            raise InvalidPathException(
                detail=f"{where}: '{attr}' holds one value; only a list takes a [filter]"
            )
        for name, sub, uri in _filter_names(flt):
            if uri is not None or sub is not None or name.lower() not in attribute.subs:
                raise InvalidFilterException(
                    detail=f"{where}: the values of '{attr}' have no '{name}'; they have "
                    f"{', '.join(sorted(attribute.subs))}"
                )

    def _value(self, where: str, target: _Target, value: Any) -> None:
        """Refuse keys of a value that the schema, or the complex attribute, does not define."""
        entries = value if isinstance(value, list) else [value]
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            if target.schema is not None:
                self._members_of_schema(where, target.schema, entry)
            elif target.attribute is not None and target.sub is None and target.attribute.subs:
                self._sub_keys(where, target.attribute, entry)

    def _members_of_schema(self, where: str, urn: str, value: dict[Any, Any]) -> None:
        schema = self.schemas[urn]
        core = schema is self.core
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidValueException(detail=f"{where}: {key!r} is not an attribute name")
            if key.lower() == "schemas":
                continue  # an extension's value may list its schema; the resource's decide
            if core and key.lower() in self.schemas:
                if isinstance(item, dict):
                    self._members_of_schema(f"{where}.{key}", key.lower(), item)
                continue
            attribute = schema.get(key.lower())
            if attribute is None and core and (":" in key or "." in key):
                # A pathless value may name attributes by their path, as Entra ID does
                # ("name.givenName", "urn:…:enterprise:2.0:User:department").
                try:
                    target = self._path(f"{where}.{key}", key)
                except InvalidPathException as exc:
                    # The key is part of the value, so the value is what is wrong.
                    raise InvalidValueException(detail=exc.detail) from exc
                self._value(f"{where}.{key}", target, item)
                continue
            if attribute is None:
                raise InvalidValueException(
                    detail=f"{where}: {self.urns[urn]} has no attribute '{key}'"
                )
            self._value(f"{where}.{key}", _Target(attribute=attribute), item)

    @staticmethod
    def _sub_keys(where: str, attribute: Attribute, value: dict[Any, Any]) -> None:
        for key in value:
            if not isinstance(key, str) or key.lower() not in attribute.subs:
                raise InvalidValueException(
                    detail=f"{where}: {key!r} is not one of {', '.join(sorted(attribute.subs))}"
                )
