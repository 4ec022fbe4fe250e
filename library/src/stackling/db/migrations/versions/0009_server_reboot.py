"""Servers may be REBOOT or HARD_REBOOT while a reboot runs.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# 0006 made the constraint under this name (the naming convention applied to a full name).
OLD_NAME = "ck_servers_ck_servers_status"
NEW_NAME = "ck_servers_status"  # what the model's naming convention gives
BEFORE = "status IN ('BUILD', 'ACTIVE', 'SHUTOFF', 'ERROR', 'DELETING')"
AFTER = "status IN ('BUILD', 'ACTIVE', 'SHUTOFF', 'REBOOT', 'HARD_REBOOT', 'ERROR', 'DELETING')"


def _replace_check(old_name: str, new_name: str, condition: str) -> None:
    # SQLite recreates the table (batch mode); with foreign keys on, dropping the old one would
    # cascade into server_actions, so its rows are kept aside meanwhile.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMPORARY TABLE server_actions_0009 AS SELECT * FROM server_actions")
    with op.batch_alter_table("servers") as batch:
        batch.drop_constraint(op.f(old_name), type_="check")
        batch.create_check_constraint(op.f(new_name), condition)
    if sqlite:
        op.execute("DELETE FROM server_actions")
        op.execute("INSERT INTO server_actions SELECT * FROM server_actions_0009")
        op.execute("DROP TABLE server_actions_0009")


def upgrade() -> None:
    _replace_check(OLD_NAME, NEW_NAME, AFTER)


def downgrade() -> None:
    op.execute("UPDATE servers SET status = 'ACTIVE' WHERE status IN ('REBOOT', 'HARD_REBOOT')")
    _replace_check(NEW_NAME, OLD_NAME, BEFORE)
