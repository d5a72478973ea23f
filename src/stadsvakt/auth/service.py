"""User accounts, roles and how a user becomes an :class:`Actor`. Callers commit.

A municipality always keeps an active system owner (tjänste-/systemägare): no change
made here deactivates, or takes the role from, the last active user holding it
municipality-wide, and the system owner role keeps its permissions. The CLI's
``stadsvakt user create`` is the way back in for an operator with database access.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stadsvakt.audit.service import record, snapshot
from stadsvakt.auth.locks import take_turns
from stadsvakt.auth.models import Role, RoleAssignment, User
from stadsvakt.auth.passwords import MIN_LENGTH, Passwords, password_problem
from stadsvakt.auth.permissions import BUILTIN_ROLES, PERMISSIONS
from stadsvakt.auth.schemas import RoleAssignmentIn, RoleUpdate, UserCreate, UserUpdate
from stadsvakt.auth.scope import check_unit_in_scope, require
from stadsvakt.context import Actor
from stadsvakt.errors import N_, Conflict, Forbidden, InvalidInput, NotFound

Grants = dict[str, frozenset[uuid.UUID] | None]

#: The role that may do everything in its municipality, and that one user must keep.
SYSTEM_OWNER = "system_owner"

#: What a person reads when a username is taken.
_TAKEN = N_("The username %(username)s is taken.")
#: What a person reads when a new password is too weak.
_WEAK = N_(
    "A password needs at least %(min)s characters (at most 256), with at least 5 "
    "different characters."
)


class SystemOwnerConflict(Conflict):
    """A change would leave the municipality without an active system owner."""

    code = "system_owner_required"
    title = "A system owner is required"

    def __init__(self, detail: str, *, field: str, rule: str) -> None:
        error = {"field": field, "rule": rule, "message": detail}
        super().__init__(detail, field=field, rule=rule, errors=[error])


def grants_for(assignments: Sequence[RoleAssignment]) -> Grants:
    """Fold role assignments into permission → scope (None means the whole municipality)."""
    grants: Grants = {}
    for assignment in assignments:
        for permission in assignment.role.permissions:
            current = grants.get(permission, frozenset())
            if current is None:
                continue
            if assignment.org_unit_id is None:
                grants[permission] = None
            else:
                grants[permission] = current | {assignment.org_unit_id}
    return grants


def actor_for_user(user: User) -> Actor:
    """The actor a logged-in user acts as."""
    return Actor(
        kind="user",
        id=user.id,
        name=user.display_name,
        tenant_id=user.tenant_id,
        grants=grants_for(user.assignments),
        language=user.language,
    )


def needs_totp(user: User) -> bool:
    """Whether any of the user's roles requires a second factor."""
    return any(a.role.require_totp for a in user.assignments)


def role_by_name(session: Session, tenant_id: uuid.UUID, name: str) -> Role:
    """A municipality's role by its name, or a 422 naming the field."""
    stmt = select(Role).where(Role.tenant_id == tenant_id, Role.name == name)
    role = session.execute(stmt).scalar_one_or_none()
    if role is None:
        raise InvalidInput(f"unknown role '{name}'", field="roles.role", rule="known_role").said(
            N_("There is no role named %(name)s."), name=name
        )
    return role


def ensure_builtin_roles(session: Session, tenant_id: uuid.UUID) -> None:
    """Create any built-in role the municipality lacks (existing roles are left as edited)."""
    existing = set(session.scalars(select(Role.name).where(Role.tenant_id == tenant_id)))
    for spec in BUILTIN_ROLES:
        if spec.name not in existing:
            session.add(
                Role(
                    tenant_id=tenant_id,
                    name=spec.name,
                    label_sv=spec.label_sv,
                    label_en=spec.label_en,
                    permissions=list(spec.permissions),
                    unit_scoped=spec.unit_scoped,
                )
            )
    session.flush()


def list_users(session: Session, actor: Actor, *, limit: int, offset: int) -> list[User]:
    """The municipality's user accounts."""
    require(actor, "user.read")
    stmt = select(User).order_by(User.username).limit(limit).offset(offset)
    if actor.tenant_id is not None:
        stmt = stmt.where(User.tenant_id == actor.tenant_id)
    return list(session.scalars(stmt))


def get_user(
    session: Session, actor: Actor, user_id: uuid.UUID, permission: str = "user.read"
) -> User:
    """One user account in the actor's municipality."""
    require(actor, permission)
    user = session.get(User, user_id)
    if user is None or (actor.tenant_id is not None and user.tenant_id != actor.tenant_id):
        raise NotFound(f"no user {user_id}")
    return user


def _assign(session: Session, actor: Actor, user: User, wanted: Sequence[RoleAssignmentIn]) -> None:
    user.assignments.clear()
    session.flush()
    seen: set[tuple[str, uuid.UUID | None]] = set()
    for item in wanted:
        role = role_by_name(session, user.tenant_id, item.role)
        if actor.kind != "system" and not set(role.permissions) <= set(actor.grants):
            raise Forbidden(
                f"you cannot give the role '{role.name}': it holds permissions you lack"
            ).said(
                N_("You cannot give the role %(name)s: it holds permissions you lack."),
                name=role.name,
            )
        if role.unit_scoped and item.org_unit_id is None:
            raise InvalidInput(
                f"role '{role.name}' must be limited to an organisation unit",
                field="roles.org_unit_id",
                rule="required_for_unit_scoped_role",
            ).said(N_("The role %(name)s must be limited to an organisation unit."), name=role.name)
        if item.org_unit_id is not None:
            check_unit_in_scope(
                session, actor, "user.write", item.org_unit_id, field="roles.org_unit_id"
            )
        key = (role.name, item.org_unit_id)
        if key in seen:
            continue
        seen.add(key)
        user.assignments.append(RoleAssignment(role=role, org_unit_id=item.org_unit_id))


def _audit_user(user: User) -> dict[str, object]:
    data = snapshot(user)
    data["roles"] = sorted(
        f"{a.role.name}@{a.org_unit_id}" if a.org_unit_id else a.role.name for a in user.assignments
    )
    return data


def create_user(
    session: Session,
    actor: Actor,
    data: UserCreate,
    passwords: Passwords,
    *,
    tenant_id: uuid.UUID | None = None,
) -> User:
    """Create a user account with roles; the password must be strong enough."""
    require(actor, "user.write")
    tenant = actor.tenant_id or tenant_id
    if tenant is None:
        raise InvalidInput("a municipality must be given", field="tenant", rule="required")
    problem = password_problem(data.password)
    if problem:
        raise InvalidInput(f"password {problem}", field="password", rule="password_strength").said(
            _WEAK, min=MIN_LENGTH
        )
    if session.execute(select(User.id).where(User.username == data.username)).first():
        raise Conflict(f"username '{data.username}' is taken", field="username").said(
            _TAKEN, username=data.username
        )
    user = User(
        tenant_id=tenant,
        username=data.username,
        display_name=data.display_name,
        email=str(data.email) if data.email else None,
        language=data.language,
        password_hash=passwords.hash(data.password),
    )
    session.add(user)
    _assign(session, actor, user, data.roles)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"username '{data.username}' is taken", field="username").said(
            _TAKEN, username=data.username
        ) from exc
    record(
        session,
        action="user.create",
        object_type="user",
        object_id=user.id,
        object_text=user.username,
        tenant_id=user.tenant_id,
        after=_audit_user(user),
    )
    return user


def _holds_system_owner(user: User) -> bool:
    """Whether the user is an active system owner of the whole municipality."""
    return user.active and any(
        a.role.name == SYSTEM_OWNER and a.org_unit_id is None for a in user.assignments
    )


def _other_system_owners(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """Active municipality-wide system owners of the municipality besides ``user_id``."""
    stmt = (
        select(func.count(func.distinct(User.id)))
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .join(Role, Role.id == RoleAssignment.role_id)
        .where(
            User.tenant_id == tenant_id,
            User.id != user_id,
            User.active == true(),
            Role.name == SYSTEM_OWNER,
            RoleAssignment.org_unit_id.is_(None),
        )
    )
    return session.scalar(stmt) or 0


def keep_a_system_owner(session: Session, user: User, *, stays: bool, field: str) -> None:
    """Refuse (409) a change that leaves ``user`` no longer an active system owner when
    no other active system owner of the municipality remains.

    Checks of one municipality take turns (PostgreSQL advisory lock; SQLite writers are
    serialised anyway), so two owners deactivating each other at once leave one.
    """
    if stays or not _holds_system_owner(user):
        return
    take_turns(session, f"system-owners:{user.tenant_id}")
    if _other_system_owners(session, user.tenant_id, user.id) == 0:
        raise SystemOwnerConflict(
            "this is the municipality's last active system owner: make another user "
            "system owner before deactivating this one or taking the role away",
            field=field,
            rule="last_system_owner",
        ).said(
            N_(
                "This is the municipality's last active system owner: make another user "
                "system owner before deactivating this one or taking the role away."
            )
        )


def _stays_system_owner(user: User, data: UserUpdate) -> tuple[bool, str]:
    """Whether the user is still an active, municipality-wide system owner after the
    update, and the field that would end it."""
    if data.active is False:
        return False, "active"
    if data.roles is not None and not any(
        r.role == SYSTEM_OWNER and r.org_unit_id is None for r in data.roles
    ):
        return False, "roles"
    return True, "roles"


def update_user(session: Session, actor: Actor, user_id: uuid.UUID, data: UserUpdate) -> User:
    """Change a user's details, roles or active flag (never the last system owner's)."""
    user = get_user(session, actor, user_id, "user.write")
    before = _audit_user(user)
    if data.active is False and actor.id == user.id:
        raise Forbidden("you cannot deactivate your own account").said(
            N_("You cannot deactivate your own account.")
        )
    stays, field = _stays_system_owner(user, data)
    keep_a_system_owner(session, user, stays=stays, field=field)
    for field in ("display_name", "language", "active"):
        value = getattr(data, field)
        if value is not None:
            setattr(user, field, value)
    if data.email is not None:
        user.email = str(data.email)
    if data.roles is not None:
        _assign(session, actor, user, data.roles)
    session.flush()
    record(
        session,
        action="user.update",
        object_type="user",
        object_id=user.id,
        object_text=user.username,
        tenant_id=user.tenant_id,
        before=before,
        after=_audit_user(user),
    )
    return user


def set_password(session: Session, user: User, password: str, passwords: Passwords) -> None:
    """Replace a user's password (audited without the hash)."""
    problem = password_problem(password)
    if problem:
        raise InvalidInput(f"password {problem}", field="password", rule="password_strength").said(
            _WEAK, min=MIN_LENGTH
        )
    user.password_hash = passwords.hash(password)
    session.flush()
    record(
        session,
        action="user.password",
        object_type="user",
        object_id=user.id,
        object_text=user.username,
        tenant_id=user.tenant_id,
    )


def list_roles(session: Session, actor: Actor) -> list[Role]:
    """Every role with its permissions."""
    require(actor, "role.read")
    stmt = select(Role).order_by(Role.name)
    if actor.tenant_id is not None:
        stmt = stmt.where(Role.tenant_id == actor.tenant_id)
    return list(session.scalars(stmt))


def _check_role_permissions(actor: Actor, role: Role, wanted: set[str]) -> None:
    """A role's new permissions must be known, held by the actor municipality-wide when
    added, and the system owner role loses none (it is the way to administer the rest)."""
    unknown = sorted(wanted - set(PERMISSIONS))
    if unknown:
        raise InvalidInput(
            f"unknown permissions: {', '.join(unknown)}",
            field="permissions",
            rule="known_permission",
        )
    added = wanted - set(role.permissions)
    lacking = sorted(p for p in added if actor.scope(p) is not None)
    if lacking:
        raise Forbidden(
            f"you cannot give a role permissions you lack municipality-wide: {', '.join(lacking)}"
        )
    dropped = sorted(set(role.permissions) - wanted)
    if role.name == SYSTEM_OWNER and dropped:
        raise SystemOwnerConflict(
            f"the system owner role keeps every permission it holds: {', '.join(dropped)}",
            field="permissions",
            rule="system_owner_keeps_permissions",
        )


def update_role(session: Session, actor: Actor, name: str, data: RoleUpdate) -> Role:
    """Change what a role may do, or require a second factor for it."""
    require(actor, "role.write")
    if actor.scope("role.write") is not None:
        raise Forbidden("roles can only be changed by a municipality-wide administrator").said(
            N_("Roles can only be changed by a municipality-wide administrator.")
        )
    stmt = select(Role).where(Role.name == name)
    if actor.tenant_id is not None:
        stmt = stmt.where(Role.tenant_id == actor.tenant_id)
    role = session.execute(stmt).scalar_one_or_none()
    if role is None:
        raise NotFound(f"no role '{name}'")
    before = snapshot(role)
    if data.permissions is not None:
        _check_role_permissions(actor, role, set(data.permissions))
        role.permissions = sorted(set(data.permissions))
    if data.require_totp is not None:
        role.require_totp = data.require_totp
    session.flush()
    record(
        session,
        action="role.update",
        object_type="role",
        object_id=role.id,
        object_text=role.name,
        tenant_id=role.tenant_id,
        before=before,
        after=snapshot(role),
    )
    return role


def set_own_language(session: Session, user: User, language: str) -> None:
    """A user's own choice of UI language (``sv`` or ``en``); needs no permission, is audited."""
    if language not in ("sv", "en"):
        raise InvalidInput(
            "must be 'sv' or 'en'", field="language", rule="supported_language"
        ).said(N_("Choose one of the options."))
    if user.language == language:
        return
    before = user.language
    user.language = language
    session.flush()
    record(
        session,
        action="user.language",
        object_type="user",
        object_id=user.id,
        object_text=user.username,
        tenant_id=user.tenant_id,
        before={"language": before},
        after={"language": language},
        actor=actor_for_user(user),
    )
