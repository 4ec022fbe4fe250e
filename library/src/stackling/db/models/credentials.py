"""Application credentials and token revocation events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stackling.db.models.base import ID_LENGTH, NAME_LENGTH, Base


class ApplicationCredential(Base):
    __tablename__ = "application_credentials"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class ApplicationCredentialRole(Base):
    __tablename__ = "application_credential_roles"

    application_credential_id: Mapped[str] = mapped_column(
        ForeignKey("application_credentials.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[str] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)


class RevocationEvent(Base):
    """Keystone's revoke model: a token matches when every non-null field equals the token's value
    and the token was issued at or before ``issued_before``. No foreign keys: events outlive objects."""

    __tablename__ = "revocation_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    project_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    domain_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    audit_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    application_credential_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    issued_before: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime]
