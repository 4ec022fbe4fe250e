"""Images (glance's): disk images in the controller's image store, their properties and the
projects a shared image is shared with.

``images.project_id`` is the owner project, kept without a foreign key as in glance: an image
outlives its project until an admin deletes it (and its file with it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stackling.db.models.base import ID_LENGTH, NAME_LENGTH, Base

CHECKSUM_LENGTH = 64  # sha256, hex


class Image(Base):
    __tablename__ = "images"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        CheckConstraint("visibility IN ('private', 'shared', 'public')", name="visibility"),
        CheckConstraint("status IN ('queued', 'active')", name="status"),
        CheckConstraint("disk_format IN ('qcow2', 'raw')", name="disk_format"),
        CheckConstraint("size_bytes >= 0 AND virtual_size_bytes >= 0 AND min_disk_gb >= 0 AND min_ram_mb >= 0",
                        name="sizes"),  # fmt: skip
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    project_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    visibility: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    disk_format: Mapped[str] = mapped_column(String(16))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    virtual_size_bytes: Mapped[int] = mapped_column(BigInteger)
    checksum: Mapped[str] = mapped_column(String(CHECKSUM_LENGTH))  # sha256, hex
    md5: Mapped[str] = mapped_column(String(32))  # glance's legacy ``checksum``
    min_disk_gb: Mapped[int] = mapped_column(default=0)
    min_ram_mb: Mapped[int] = mapped_column(default=0)
    protected: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ImageProperty(Base):
    """Free-form and known properties (``architecture``, ``hypervisor_type``)."""

    __tablename__ = "image_properties"

    image_id: Mapped[str] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ImageMember(Base):
    """A project a shared image is shared with: it may see and use the image (no accept step)."""

    __tablename__ = "image_members"

    image_id: Mapped[str] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime]
