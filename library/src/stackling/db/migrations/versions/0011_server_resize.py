"""Servers may be RESIZE while a resize or a cold migration moves them, REBUILD while a rebuild runs.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

NAME = "ck_servers_status"
BEFORE = "status IN ('BUILD', 'ACTIVE', 'SHUTOFF', 'REBOOT', 'HARD_REBOOT', 'ERROR', 'DELETING')"
AFTER = ("status IN ('BUILD', 'ACTIVE', 'SHUTOFF', 'REBOOT', 'HARD_REBOOT', 'RESIZE', 'REBUILD', 'ERROR', "
         "'DELETING')")


def _replace_check(condition: str) -> None:
    # As 0009: SQLite recreates the table, and server_actions (cascading from it) are kept aside.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMPORARY TABLE server_actions_0011 AS SELECT * FROM server_actions")
    with op.batch_alter_table("servers") as batch:
        batch.drop_constraint(op.f(NAME), type_="check")
        batch.create_check_constraint(op.f(NAME), condition)
    if sqlite:
        op.execute("DELETE FROM server_actions")
        op.execute("INSERT INTO server_actions SELECT * FROM server_actions_0011")
        op.execute("DROP TABLE server_actions_0011")


def upgrade() -> None:
    _replace_check(AFTER)


def downgrade() -> None:
    op.execute("UPDATE servers SET status = 'ACTIVE' WHERE status IN ('RESIZE', 'REBUILD')")
    _replace_check(BEFORE)
