"""A port made before its server (booted with ``ports``) survives the server: preserve_on_delete.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (no table copy on SQLite)
    op.add_column("ports", sa.Column("preserve_on_delete", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # no batch copy: ip_allocations cascade from ports
        op.execute("ALTER TABLE ports DROP COLUMN preserve_on_delete")
    else:
        op.drop_column("ports", "preserve_on_delete")
