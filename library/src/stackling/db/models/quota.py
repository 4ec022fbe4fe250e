"""Per-project quota limits (overrides of the configured defaults) and usage counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from stackling.db.models.base import Base


class QuotaLimit(Base):
    __tablename__ = "quota_limits"

    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    resource: Mapped[str] = mapped_column(String(32), primary_key=True)
    hard_limit: Mapped[int]


class QuotaUsage(Base):
    """One row per (project, resource); reservations lock it (FOR UPDATE / BEGIN IMMEDIATE)."""

    __tablename__ = "quota_usages"

    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    resource: Mapped[str] = mapped_column(String(32), primary_key=True)
    in_use: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]
