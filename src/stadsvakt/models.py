"""Every table, imported in one place so Alembic and the tests see the whole metadata."""

from stadsvakt.audit.models import AuditEntry, AuditHead
from stadsvakt.auth.models import ApiToken, LoginAttempt, Role, RoleAssignment, User, WebSession
from stadsvakt.db import Base
from stadsvakt.org.models import Municipality, OrgUnit, Site

__all__ = [
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "Base",
    "LoginAttempt",
    "Municipality",
    "OrgUnit",
    "Role",
    "RoleAssignment",
    "Site",
    "User",
    "WebSession",
]
