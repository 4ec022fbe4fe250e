"""Servers carry metadata (nova's instance metadata: string keys and values), as JSON.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (no table copy on SQLite, so server_actions are untouched)
    op.add_column("servers", sa.Column("metadata", sa.Text(), nullable=False, server_default="{}"))


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # DROP COLUMN needs SQLite >= 3.35 and no batch copy (which would cascade into server_actions)
        op.execute("ALTER TABLE servers DROP COLUMN metadata")
    else:
        op.drop_column("servers", "metadata")
