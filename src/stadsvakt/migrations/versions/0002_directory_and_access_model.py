"""Directory (people, assignments, groups, training) and the access model.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:27:51.714570
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "access_changes",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_access_changes")),
    )
    with op.batch_alter_table("access_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_changes_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "access_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("door_id", sa.Uuid(), nullable=True),
        sa.Column("credential", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_events")),
    )
    with op.batch_alter_table("access_events", schema=None) as batch_op:
        batch_op.create_index("ix_access_events_door_at", ["door_id", "at"], unique=False)
        batch_op.create_index("ix_access_events_person_at", ["person_id", "at"], unique=False)
        batch_op.create_index("ix_access_events_tenant_at", ["tenant_id", "at"], unique=False)

    op.create_table(
        "holiday_calendars",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("include_public", sa.Boolean(), nullable=False),
        sa.Column("local_days", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_holiday_calendars_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_calendars")),
        sa.UniqueConstraint("tenant_id", "code", name="uq_holiday_calendars_code"),
    )
    with op.batch_alter_table("holiday_calendars", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_holiday_calendars_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "service_levels",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("requirements", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_service_levels_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_levels")),
        sa.UniqueConstraint("tenant_id", "code", name="uq_service_levels_code"),
    )
    with op.batch_alter_table("service_levels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_levels_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "people",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("org_unit_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "employee", "contractor", "guest", name="personkind", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("employee_number", sa.String(length=40), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("user_name", sa.String(length=200), nullable=True),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("extended_unlock", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["org_units.id"],
            name=op.f("fk_people_org_unit_id_org_units"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["municipalities.id"], name=op.f("fk_people_tenant_id_municipalities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint(
            "tenant_id", "employee_number", name="uq_people_tenant_employee_number"
        ),
        sa.UniqueConstraint("tenant_id", "external_id", name="uq_people_tenant_external_id"),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_people_org_unit_id"), ["org_unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_people_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_people_user_name"), ["user_name"], unique=False)

    op.create_table(
        "person_groups",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("org_unit_id", sa.Uuid(), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["org_units.id"],
            name=op.f("fk_person_groups_org_unit_id_org_units"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_person_groups_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_groups")),
        sa.UniqueConstraint("tenant_id", "display_name", name="uq_person_groups_name"),
    )
    with op.batch_alter_table("person_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_groups_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "schedules",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("org_unit_id", sa.Uuid(), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("intervals", sa.JSON(), nullable=False),
        sa.Column(
            "holiday_mode",
            sa.Enum(
                "closed",
                "normal",
                "holiday_intervals",
                name="holidaymode",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("holiday_calendar_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["holiday_calendar_id"],
            ["holiday_calendars.id"],
            name=op.f("fk_schedules_holiday_calendar_id_holiday_calendars"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["org_units.id"],
            name=op.f("fk_schedules_org_unit_id_org_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["municipalities.id"], name=op.f("fk_schedules_tenant_id_municipalities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
        sa.UniqueConstraint("tenant_id", "code", name="uq_schedules_tenant_code"),
    )
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schedules_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "access_profiles",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("org_unit_id", sa.Uuid(), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("schedule_id", sa.Uuid(), nullable=False),
        sa.Column("required_course", sa.String(length=60), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["org_units.id"],
            name=op.f("fk_access_profiles_org_unit_id_org_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_access_profiles_schedule_id_schedules"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_access_profiles_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_profiles")),
        sa.UniqueConstraint("tenant_id", "code", name="uq_access_profiles_code"),
    )
    with op.batch_alter_table("access_profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_profiles_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "assignments",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("org_unit_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.String(length=100), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["org_units.id"],
            name=op.f("fk_assignments_org_unit_id_org_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_assignments_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_assignments_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignments_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignments_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "ix_assignments_unit_position", ["org_unit_id", "position"], unique=False
        )

    op.create_table(
        "credentials",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("card", "pin", "mobile", name="credentialkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("technology", sa.String(length=60), nullable=True),
        sa.Column("pin_hash", sa.String(length=200), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "active",
                "suspended",
                "lost",
                "revoked",
                name="credentialstate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_credentials_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_credentials_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("tenant_id", "kind", "identifier", name="uq_credentials_identifier"),
    )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credentials_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credentials_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "person_group_members",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["person_groups.id"],
            name=op.f("fk_person_group_members_group_id_person_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_person_group_members_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "person_id", name=op.f("pk_person_group_members")),
    )
    with op.batch_alter_table("person_group_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_group_members_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "site_services",
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("level_id", sa.Uuid(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["level_id"],
            ["service_levels.id"],
            name=op.f("fk_site_services_level_id_service_levels"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_site_services_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_site_services_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_site_services")),
    )
    with op.batch_alter_table("site_services", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_services_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "training_records",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("course", sa.String(length=60), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_training_records_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_training_records_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_records")),
        sa.UniqueConstraint("person_id", "course", "completed_on", name="uq_training_records_key"),
    )
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_records_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_records_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "zones",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_zones_site_id_sites"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["municipalities.id"], name=op.f("fk_zones_tenant_id_municipalities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zones")),
        sa.UniqueConstraint("tenant_id", "code", name="uq_zones_tenant_code"),
    )
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zones_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_zones_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "access_profile_zones",
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("zone_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["access_profiles.id"],
            name=op.f("fk_access_profile_zones_profile_id_access_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zones.id"],
            name=op.f("fk_access_profile_zones_zone_id_zones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("profile_id", "zone_id", name=op.f("pk_access_profile_zones")),
    )
    with op.batch_alter_table("access_profile_zones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_profile_zones_zone_id"), ["zone_id"], unique=False
        )

    op.create_table(
        "doors",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("zone_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reader_ids", sa.JSON(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "secure",
                "scheduled_unlock",
                "lockdown",
                name="doormode",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("unlock_schedule_id", sa.Uuid(), nullable=True),
        sa.Column("unlock_seconds", sa.Integer(), nullable=False),
        sa.Column("extended_unlock_seconds", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_doors_site_id_sites"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["municipalities.id"], name=op.f("fk_doors_tenant_id_municipalities")
        ),
        sa.ForeignKeyConstraint(
            ["unlock_schedule_id"],
            ["schedules.id"],
            name=op.f("fk_doors_unlock_schedule_id_schedules"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_doors_zone_id_zones"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doors")),
        sa.UniqueConstraint("tenant_id", "code", name="uq_doors_tenant_code"),
    )
    with op.batch_alter_table("doors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_doors_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_doors_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_doors_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "grants",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("org_unit_id", sa.Uuid(), nullable=True),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "guest",
                "contractor",
                "booking",
                "urgent",
                "other",
                name="grantkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["person_groups.id"],
            name=op.f("fk_grants_group_id_person_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["org_units.id"],
            name=op.f("fk_grants_org_unit_id_org_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_grants_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["access_profiles.id"],
            name=op.f("fk_grants_profile_id_access_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["municipalities.id"], name=op.f("fk_grants_tenant_id_municipalities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grants")),
    )
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grants_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grants_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grants_profile_id"), ["profile_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grants_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "position_profiles",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("org_unit_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.String(length=100), nullable=False),
        sa.Column("include_subunits", sa.Boolean(), nullable=False),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["org_units.id"],
            name=op.f("fk_position_profiles_org_unit_id_org_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["access_profiles.id"],
            name=op.f("fk_position_profiles_profile_id_access_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_position_profiles_tenant_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_position_profiles")),
        sa.UniqueConstraint(
            "org_unit_id", "position", "profile_id", name="uq_position_profiles_key"
        ),
    )
    with op.batch_alter_table("position_profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_position_profiles_profile_id"), ["profile_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_position_profiles_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("position_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_position_profiles_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_position_profiles_profile_id"))

    op.drop_table("position_profiles")
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grants_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_grants_profile_id"))
        batch_op.drop_index(batch_op.f("ix_grants_person_id"))
        batch_op.drop_index(batch_op.f("ix_grants_group_id"))

    op.drop_table("grants")
    with op.batch_alter_table("doors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_doors_zone_id"))
        batch_op.drop_index(batch_op.f("ix_doors_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_doors_site_id"))

    op.drop_table("doors")
    with op.batch_alter_table("access_profile_zones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_profile_zones_zone_id"))

    op.drop_table("access_profile_zones")
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_zones_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_zones_site_id"))

    op.drop_table("zones")
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_records_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_training_records_person_id"))

    op.drop_table("training_records")
    with op.batch_alter_table("site_services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_services_tenant_id"))

    op.drop_table("site_services")
    with op.batch_alter_table("person_group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_group_members_person_id"))

    op.drop_table("person_group_members")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_credentials_person_id"))

    op.drop_table("credentials")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_unit_position")
        batch_op.drop_index(batch_op.f("ix_assignments_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_person_id"))

    op.drop_table("assignments")
    with op.batch_alter_table("access_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_profiles_tenant_id"))

    op.drop_table("access_profiles")
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedules_tenant_id"))

    op.drop_table("schedules")
    with op.batch_alter_table("person_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_groups_tenant_id"))

    op.drop_table("person_groups")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_user_name"))
        batch_op.drop_index(batch_op.f("ix_people_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_people_org_unit_id"))

    op.drop_table("people")
    with op.batch_alter_table("service_levels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_levels_tenant_id"))

    op.drop_table("service_levels")
    with op.batch_alter_table("holiday_calendars", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holiday_calendars_tenant_id"))

    op.drop_table("holiday_calendars")
    with op.batch_alter_table("access_events", schema=None) as batch_op:
        batch_op.drop_index("ix_access_events_tenant_at")
        batch_op.drop_index("ix_access_events_person_at")
        batch_op.drop_index("ix_access_events_door_at")

    op.drop_table("access_events")
    with op.batch_alter_table("access_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_changes_tenant_id"))

    op.drop_table("access_changes")
