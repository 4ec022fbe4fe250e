"""Routers: external gateway (network, gateway port, SNAT) and interfaces on tenant subnets.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("external_network_id", sa.String(length=64), nullable=True),
        sa.Column("gateway_port_id", sa.String(length=64), nullable=True),
        sa.Column("enable_snat", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["external_network_id"], ["networks.id"], name="fk_routers_external_network_id", ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["gateway_port_id"], ["ports.id"], name="fk_routers_gateway_port_id", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_routers"),
        sa.UniqueConstraint("gateway_port_id", name="uq_routers_gateway_port_id"),
    )
    op.create_index("ix_routers_external_network_id", "routers", ["external_network_id"], unique=False)
    op.create_index("ix_routers_project_id", "routers", ["project_id"], unique=False)
    op.create_table(
        "router_interfaces",
        sa.Column("router_id", sa.String(length=64), nullable=False),
        sa.Column("subnet_id", sa.String(length=64), nullable=False),
        sa.Column("port_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["port_id"], ["ports.id"], name="fk_router_interfaces_port_id", ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["router_id"], ["routers.id"], name="fk_router_interfaces_router_id", ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["subnet_id"], ["subnets.id"], name="fk_router_interfaces_subnet_id", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("subnet_id", name="pk_router_interfaces"),
        sa.UniqueConstraint("port_id", name="uq_router_interfaces_port_id"),
    )
    op.create_index("ix_router_interfaces_router_id", "router_interfaces", ["router_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_router_interfaces_router_id", table_name="router_interfaces")
    op.drop_table("router_interfaces")
    op.drop_index("ix_routers_project_id", table_name="routers")
    op.drop_index("ix_routers_external_network_id", table_name="routers")
    op.drop_table("routers")
