"""Upgrading gives existing municipalities' built-in roles the permissions new ones get."""

from __future__ import annotations

import uuid
from pathlib import Path

from alembic import command
from sqlalchemy import select

from stadsvakt.auth.models import Role
from stadsvakt.auth.permissions import BUILTIN_ROLES
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import create_db_engine, create_session_factory
from stadsvakt.migrate import alembic_config, upgrade
from stadsvakt.org.schemas import MunicipalityCreate
from stadsvakt.org.service import create_municipality
from stadsvakt.settings import Settings

#: Permission families that existed before the directory and access model.
_BEFORE_ACCESS = ("org", "site", "user", "role", "token", "audit", "alarm", "transmitter")
#: Permissions of those families added later (migration 0006).
_LATER = ("alarm.input",)
OLD_TENANT = "00000000-0000-0000-0000-000000000001"


def test_roles_made_before_the_access_model_get_its_permissions(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'old.db'}", _env_file=None)
    engine = create_db_engine(settings)
    upgrade(settings, engine, "0003")
    with engine.begin() as conn:
        # A municipality whose roles hold only the foundation's and the alarm permissions.
        conn.exec_driver_sql(
            "INSERT INTO municipalities (id, name, code, created_at, updated_at) VALUES "
            "('00000000000000000000000000000001', 'Gamla kommun', '9998', "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
        for n, spec in enumerate(BUILTIN_ROLES, start=1):
            old = [
                p for p in spec.permissions if p.split(".")[0] in _BEFORE_ACCESS and p not in _LATER
            ]
            conn.exec_driver_sql(
                "INSERT INTO roles (id, tenant_id, name, label_sv, label_en, permissions, "
                "unit_scoped, require_totp, created_at, updated_at) VALUES "
                f"('{n:032x}', '00000000000000000000000000000001', '{spec.name}', 'x', 'x', "
                f"'{str(old).replace(chr(39), chr(34))}', 0, 0, "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
    upgrade(settings, engine)
    factory = create_session_factory(engine)
    with factory() as session:
        upgraded = {
            r.name: set(r.permissions)
            for r in session.scalars(select(Role).where(Role.tenant_id == uuid.UUID(OLD_TENANT)))
        }
        assert len(upgraded) == len(BUILTIN_ROLES)
        actor = system_actor("test")
        with acting_as(actor):
            fresh = create_municipality(
                session, actor, MunicipalityCreate(name="Ny kommun", code="9997")
            )
        seeded = {
            r.name: set(r.permissions)
            for r in session.scalars(select(Role).where(Role.tenant_id == fresh.id))
        }
    for spec in BUILTIN_ROLES:
        assert seeded[spec.name] <= upgraded[spec.name], spec.name
    # Below the edge devices' migration no role keeps a device permission.
    with engine.begin() as conn:
        config = alembic_config(settings)
        config.attributes["connection"] = conn
        command.downgrade(config, "0020")
    with factory() as session:
        kept = [
            p
            for role in session.scalars(select(Role).where(Role.tenant_id == uuid.UUID(OLD_TENANT)))
            for p in role.permissions
        ]
    engine.dispose()
    assert kept and not [p for p in kept if p.startswith("device.")]
