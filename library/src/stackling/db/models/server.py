"""Servers (nova's instances) and the record of what the conductor did for each.

A server's ports are ``ports`` rows with ``device_id`` = the server id and ``device_owner``
``compute:<zone>``. The sizes are copied from the flavor when the server is made (as nova keeps
the flavor in the instance), so quota is given back right even if the flavor is deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from stackling.db.models.base import ID_LENGTH, NAME_LENGTH, Base

# REBOOT and HARD_REBOOT while a reboot runs (migration 0009), RESIZE while a resize or a cold
# migration moves the server and REBUILD while a rebuild runs (0011).
STATUSES = ("BUILD", "ACTIVE", "SHUTOFF", "REBOOT", "HARD_REBOOT", "RESIZE", "REBUILD", "ERROR", "DELETING")


class Server(Base):
    __tablename__ = "servers"
    __table_args__ = (
        CheckConstraint("status IN ('BUILD', 'ACTIVE', 'SHUTOFF', 'REBOOT', 'HARD_REBOOT', 'RESIZE', 'REBUILD', "
                        "'ERROR', 'DELETING')", name="status"),
        CheckConstraint("vcpus >= 1 AND ram_mb >= 1 AND disk_gb >= 0", name="sizes"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    flavor_id: Mapped[str] = mapped_column(String(ID_LENGTH))  # no foreign key: a flavor may go, its servers stay
    image_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    vcpus: Mapped[int]
    ram_mb: Mapped[int]
    disk_gb: Mapped[int]
    key_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    status: Mapped[str] = mapped_column(String(16))
    fault: Mapped[str] = mapped_column(Text, default="")
    host: Mapped[str | None] = mapped_column(String(NAME_LENGTH), index=True)
    availability_zone: Mapped[str] = mapped_column(String(NAME_LENGTH))
    server_group_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # nova's instance metadata as a JSON object of strings ("metadata" is taken on declarative classes)
    metadata_json: Mapped[str] = mapped_column("metadata", Text, default="{}", server_default="{}")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ServerAction(Base):
    """One conductor job (or the start of an operation) for a server: ``step`` is the playbook, and
    for a failed job the failed task; ``message`` says why."""

    __tablename__ = "server_actions"

    server_id: Mapped[str] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    action: Mapped[str] = mapped_column(String(32))
    host: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    step: Mapped[str] = mapped_column(String(NAME_LENGTH))
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]
