"""Security groups, their rules and the ports in each group.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_groups",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_security_groups"),
        sa.UniqueConstraint("project_id", "name", name="uq_security_groups_project_id_name"),
    )
    op.create_index("ix_security_groups_project_id", "security_groups", ["project_id"], unique=False)
    op.create_table(
        "security_group_rules",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("security_group_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("ethertype", sa.String(length=8), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("port_range_min", sa.Integer(), nullable=True),
        sa.Column("port_range_max", sa.Integer(), nullable=True),
        sa.Column("remote_ip_prefix", sa.String(length=64), nullable=True),
        sa.Column("remote_group_id", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("direction IN ('ingress', 'egress')", name="ck_security_group_rules_direction"),
        sa.CheckConstraint("ethertype IN ('IPv4', 'IPv6')", name="ck_security_group_rules_ethertype"),
        sa.CheckConstraint("protocol IN ('any', 'tcp', 'udp', 'icmp')", name="ck_security_group_rules_protocol"),
        sa.CheckConstraint(
            "remote_ip_prefix IS NULL OR remote_group_id IS NULL", name="ck_security_group_rules_one_remote"
        ),
        sa.ForeignKeyConstraint(
            ["security_group_id"],
            ["security_groups.id"],
            name="fk_security_group_rules_security_group_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["remote_group_id"],
            ["security_groups.id"],
            name="fk_security_group_rules_remote_group_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_security_group_rules"),
    )
    op.create_index(
        "ix_security_group_rules_security_group_id", "security_group_rules", ["security_group_id"], unique=False
    )
    op.create_index("ix_security_group_rules_project_id", "security_group_rules", ["project_id"], unique=False)
    op.create_index(
        "ix_security_group_rules_remote_group_id", "security_group_rules", ["remote_group_id"], unique=False
    )
    op.create_table(
        "port_security_groups",
        sa.Column("port_id", sa.String(length=64), nullable=False),
        sa.Column("security_group_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["port_id"], ["ports.id"], name="fk_port_security_groups_port_id", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["security_group_id"],
            ["security_groups.id"],
            name="fk_port_security_groups_security_group_id",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("port_id", "security_group_id", name="pk_port_security_groups"),
    )
    op.create_index(
        "ix_port_security_groups_security_group_id", "port_security_groups", ["security_group_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_port_security_groups_security_group_id", table_name="port_security_groups")
    op.drop_table("port_security_groups")
    op.drop_index("ix_security_group_rules_remote_group_id", table_name="security_group_rules")
    op.drop_index("ix_security_group_rules_project_id", table_name="security_group_rules")
    op.drop_index("ix_security_group_rules_security_group_id", table_name="security_group_rules")
    op.drop_table("security_group_rules")
    op.drop_index("ix_security_groups_project_id", table_name="security_groups")
    op.drop_table("security_groups")
