"""The audit trail's pages: the list, one entry, the CSV export and the chain check.

Only readers holding ``audit.read`` (auditors, system owners, shift leaders) see them.
"""

from __future__ import annotations

from fastapi import APIRouter

from stadsvakt.web.views.audit import export, trail, verify


def audit_pages() -> APIRouter:
    """Every audit page; the fixed paths (``/audit/verify``) come before ``/audit/{seq}``."""
    router = APIRouter(include_in_schema=False)
    for module in (verify, export, trail):
        router.include_router(module.router)
    return router
