"""Block storage (cinder's tables): volume types, volumes, their snapshots and attachments.

A volume's capacity is a placement allocation (DISK_GB on its storage backend's provider, the
volume id as consumer); a snapshot's is one too (its id as consumer), since a snapshot here is a
copy that takes space. ``backend`` is the backend's name (``<storage host>@<driver>``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from stackling.db.models.base import ID_LENGTH, NAME_LENGTH, Base

VOLUME_STATUSES = ("creating", "available", "in-use", "error", "deleting", "extending")
SNAPSHOT_STATUSES = ("creating", "available", "error", "deleting")


class VolumeType(Base):
    """``backend``: a glob over backend names (``*@lvm``, ``storage1@file``); None: any backend."""

    __tablename__ = "volume_types"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    backend: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    created_at: Mapped[datetime]


class Volume(Base):
    __tablename__ = "volumes"
    __table_args__ = (
        CheckConstraint(
            "status IN ('creating', 'available', 'in-use', 'error', 'deleting', 'extending')", name="status"
        ),
        CheckConstraint("size_gb >= 1", name="size"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    size_gb: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    fault: Mapped[str] = mapped_column(Text, default="")
    volume_type_id: Mapped[str] = mapped_column(String(ID_LENGTH))  # no foreign key: a type may go, volumes stay
    backend: Mapped[str | None] = mapped_column(String(NAME_LENGTH), index=True)
    source_image_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    source_snapshot_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class VolumeSnapshot(Base):
    __tablename__ = "volume_snapshots"
    __table_args__ = (
        CheckConstraint("status IN ('creating', 'available', 'error', 'deleting')", name="status"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    volume_id: Mapped[str] = mapped_column(ForeignKey("volumes.id"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    size_gb: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    fault: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class VolumeAttachment(Base):
    """One volume on one server (no multi-attach): ``device`` is the guest's disk (``vdc``),
    ``host`` the server's compute host, ``mode`` ``local`` (same host as the storage) or ``iscsi``."""

    __tablename__ = "volume_attachments"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    volume_id: Mapped[str] = mapped_column(ForeignKey("volumes.id"), unique=True)
    server_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    device: Mapped[str] = mapped_column(String(16))
    host: Mapped[str] = mapped_column(String(NAME_LENGTH))
    mode: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
