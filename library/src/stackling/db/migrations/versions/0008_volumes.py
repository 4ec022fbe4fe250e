"""Block storage: volume types (with the ``default`` type), volumes, snapshots, attachments.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from stackling.db.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "volume_types",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("backend", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_volume_types"),
        sa.UniqueConstraint("name", name="uq_volume_types_name"),
    )
    op.create_table(
        "volumes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("size_gb", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fault", sa.Text(), nullable=False),
        sa.Column("volume_type_id", sa.String(length=64), nullable=False),
        sa.Column("backend", sa.String(length=255), nullable=True),
        sa.Column("source_image_id", sa.String(length=64), nullable=True),
        sa.Column("source_snapshot_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('creating', 'available', 'in-use', 'error', 'deleting', 'extending')",
            name="ck_volumes_status",
        ),
        sa.CheckConstraint("size_gb >= 1", name="ck_volumes_size"),
        sa.PrimaryKeyConstraint("id", name="pk_volumes"),
    )
    op.create_index("ix_volumes_project_id", "volumes", ["project_id"], unique=False)
    op.create_index("ix_volumes_backend", "volumes", ["backend"], unique=False)
    op.create_table(
        "volume_snapshots",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("volume_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("size_gb", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fault", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('creating', 'available', 'error', 'deleting')", name="ck_volume_snapshots_status"
        ),
        sa.ForeignKeyConstraint(["volume_id"], ["volumes.id"], name="fk_volume_snapshots_volume_id"),
        sa.PrimaryKeyConstraint("id", name="pk_volume_snapshots"),
    )
    op.create_index("ix_volume_snapshots_project_id", "volume_snapshots", ["project_id"], unique=False)
    op.create_index("ix_volume_snapshots_volume_id", "volume_snapshots", ["volume_id"], unique=False)
    op.create_table(
        "volume_attachments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("volume_id", sa.String(length=64), nullable=False),
        sa.Column("server_id", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["volume_id"], ["volumes.id"], name="fk_volume_attachments_volume_id"),
        sa.PrimaryKeyConstraint("id", name="pk_volume_attachments"),
        sa.UniqueConstraint("volume_id", name="uq_volume_attachments_volume_id"),
    )
    op.create_index("ix_volume_attachments_server_id", "volume_attachments", ["server_id"], unique=False)
    # Every cloud has the ``default`` type (any backend), as cinder's __DEFAULT__.
    types = sa.table("volume_types", sa.column("id", sa.String()), sa.column("name", sa.String()),
                     sa.column("description", sa.Text()), sa.column("backend", sa.String()),
                     sa.column("created_at", UTCDateTime()))
    op.bulk_insert(types, [{"id": uuid.uuid4().hex, "name": "default", "description": "Any storage backend",
                            "backend": None, "created_at": datetime.now(timezone.utc)}])


def downgrade() -> None:
    op.drop_index("ix_volume_attachments_server_id", table_name="volume_attachments")
    op.drop_table("volume_attachments")
    op.drop_index("ix_volume_snapshots_volume_id", table_name="volume_snapshots")
    op.drop_index("ix_volume_snapshots_project_id", table_name="volume_snapshots")
    op.drop_table("volume_snapshots")
    op.drop_index("ix_volumes_backend", table_name="volumes")
    op.drop_index("ix_volumes_project_id", table_name="volumes")
    op.drop_table("volumes")
    op.drop_table("volume_types")
