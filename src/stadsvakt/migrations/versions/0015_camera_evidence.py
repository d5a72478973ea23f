"""The centre's cameras, the snapshots kept with activations as evidence, and every view
of a snapshot.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 22:40:00.000000
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _uuid(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Uuid(), nullable=nullable)


def _when(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "cameras",
        _uuid("id"),
        _uuid("tenant_id"),
        _uuid("site_id", True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("snapshot_url", sa.String(1000), nullable=False),
        sa.Column("auth", sa.String(20), nullable=False),
        sa.Column("username", sa.String(200), nullable=True),
        sa.Column("password_sealed", sa.String(1000), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["municipalities.id"], name=op.f("fk_cameras_tenant_id_municipalities")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_cameras_site_id_sites"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cameras")),
    )
    op.create_index("ix_cameras_tenant_position", "cameras", ["tenant_id", "latitude", "longitude"])
    op.create_index(op.f("ix_cameras_site_id"), "cameras", ["site_id"])
    op.create_table(
        "camera_snapshots",
        _uuid("id"),
        _uuid("activation_id"),
        _uuid("tenant_id"),
        _uuid("camera_id", True),
        sa.Column("camera_name", sa.String(120), nullable=False),
        sa.Column("distance_m", sa.Integer(), nullable=False),
        sa.Column("on_site", sa.Boolean(), nullable=False),
        _when("requested_at"),
        _when("fetched_at", True),
        _uuid("requested_by_id", True),
        sa.Column("requested_by_name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(30), nullable=True),
        sa.Column("detail", sa.String(300), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["activation_id"],
            ["activations.id"],
            name=op.f("fk_camera_snapshots_activation_id_activations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["municipalities.id"],
            name=op.f("fk_camera_snapshots_tenant_id_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_snapshots_camera_id_cameras"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_snapshots")),
    )
    op.create_index(
        "ix_camera_snapshots_activation", "camera_snapshots", ["activation_id", "requested_at"]
    )
    op.create_index("ix_camera_snapshots_requested", "camera_snapshots", ["requested_at"])
    op.create_table(
        "camera_snapshot_views",
        _uuid("id"),
        _uuid("snapshot_id"),
        _uuid("activation_id"),
        _when("viewed_at"),
        _uuid("viewer_id", True),
        sa.Column("viewer_name", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["camera_snapshots.id"],
            name=op.f("fk_camera_snapshot_views_snapshot_id_camera_snapshots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["activation_id"],
            ["activations.id"],
            name=op.f("fk_camera_snapshot_views_activation_id_activations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_snapshot_views")),
    )
    op.create_index(
        "ix_camera_snapshot_views_snapshot", "camera_snapshot_views", ["snapshot_id", "viewed_at"]
    )
    op.create_index(
        op.f("ix_camera_snapshot_views_activation_id"), "camera_snapshot_views", ["activation_id"]
    )


def downgrade() -> None:
    """Drops the cameras and every snapshot kept as evidence."""
    for table in ("camera_snapshot_views", "camera_snapshots", "cameras"):
        op.drop_table(table)
