"""Flavors (nova's): the sizes a server is booted with, their extra specs (scheduler hints
such as ``aggregate_instance_extra_specs:disk`` or ``trait:HW_CPU_X86_AVX2``) and, for
private flavors, the projects allowed to use them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from stackling.db.models.base import ID_LENGTH, NAME_LENGTH, Base


class Flavor(Base):
    __tablename__ = "flavors"
    __table_args__ = (
        CheckConstraint(
            "vcpus >= 1 AND ram_mb >= 1 AND disk_gb >= 0 AND ephemeral_gb >= 0 AND swap_mb >= 0", name="sizes"
        ),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    vcpus: Mapped[int]
    ram_mb: Mapped[int]
    disk_gb: Mapped[int]
    ephemeral_gb: Mapped[int] = mapped_column(default=0)
    swap_mb: Mapped[int] = mapped_column(default=0)
    is_public: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class FlavorExtraSpec(Base):
    __tablename__ = "flavor_extra_specs"

    flavor_id: Mapped[str] = mapped_column(ForeignKey("flavors.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    value: Mapped[str] = mapped_column(String(NAME_LENGTH))


class FlavorProject(Base):
    """A project allowed to use a private flavor (nova's flavor access)."""

    __tablename__ = "flavor_projects"

    flavor_id: Mapped[str] = mapped_column(ForeignKey("flavors.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True, index=True)
