"""Images (with their properties and member projects) and keypairs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "images",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("disk_format", sa.String(length=16), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("virtual_size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=False),
        sa.Column("min_disk_gb", sa.Integer(), nullable=False),
        sa.Column("min_ram_mb", sa.Integer(), nullable=False),
        sa.Column("protected", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("disk_format IN ('qcow2', 'raw')", name="ck_images_disk_format"),
        sa.CheckConstraint("status IN ('queued', 'active')", name="ck_images_status"),
        sa.CheckConstraint("visibility IN ('private', 'shared', 'public')", name="ck_images_visibility"),
        sa.CheckConstraint(
            "size_bytes >= 0 AND virtual_size_bytes >= 0 AND min_disk_gb >= 0 AND min_ram_mb >= 0",
            name="ck_images_sizes",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_images"),
        sa.UniqueConstraint("project_id", "name", name="uq_images_project_id_name"),
    )
    op.create_index("ix_images_project_id", "images", ["project_id"], unique=False)
    op.create_table(
        "image_properties",
        sa.Column("image_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], name="fk_image_properties_image_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("image_id", "key", name="pk_image_properties"),
    )
    op.create_table(
        "image_members",
        sa.Column("image_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], name="fk_image_members_image_id", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name="fk_image_members_project_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("image_id", "project_id", name="pk_image_members"),
    )
    op.create_index("ix_image_members_project_id", "image_members", ["project_id"], unique=False)
    op.create_table(
        "keypairs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_keypairs_user_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_keypairs"),
        sa.UniqueConstraint("user_id", "name", name="uq_keypairs_user_id_name"),
    )
    op.create_index("ix_keypairs_user_id", "keypairs", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_keypairs_user_id", table_name="keypairs")
    op.drop_table("keypairs")
    op.drop_index("ix_image_members_project_id", table_name="image_members")
    op.drop_table("image_members")
    op.drop_table("image_properties")
    op.drop_index("ix_images_project_id", table_name="images")
    op.drop_table("images")
