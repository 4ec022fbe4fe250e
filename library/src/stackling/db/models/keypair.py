"""Keypairs (nova's): users' SSH public keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stackling.db.models.base import ID_LENGTH, NAME_LENGTH, Base


class Keypair(Base):
    """An SSH public key of a user (never the private key). ``fingerprint``: MD5, colon form, as nova."""

    __tablename__ = "keypairs"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    type: Mapped[str] = mapped_column(String(16), default="ssh")
    public_key: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(NAME_LENGTH))
    created_at: Mapped[datetime]
