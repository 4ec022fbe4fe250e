"""Identity tables: domains, projects, users, groups, roles, implied roles and role assignments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stackling.db.models.base import ID_LENGTH, NAME_LENGTH, Base


class Domain(Base):
    __tablename__ = "domains"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    # An argon2id PHC string ("$argon2id$v=19$m=...,t=...,p=...$salt$hash"); None: cannot log in by password.
    password_hash: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime | None]


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")


class GroupMembership(Base):
    __tablename__ = "group_memberships"

    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)


class Role(Base):
    __tablename__ = "roles"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class ImpliedRole(Base):
    """``prior`` implies ``implied``: whoever holds the prior role also holds the implied one."""

    __tablename__ = "implied_roles"

    prior_role_id: Mapped[str] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
    implied_role_id: Mapped[str] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)


class AssignmentType(StrEnum):
    USER_PROJECT = "UserProject"
    GROUP_PROJECT = "GroupProject"
    USER_DOMAIN = "UserDomain"
    GROUP_DOMAIN = "GroupDomain"


class RoleAssignment(Base):
    """Keystone's assignment table: (type, actor, target, role); actor/target rows are removed by the code."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        CheckConstraint("type IN ('UserProject', 'GroupProject', 'UserDomain', 'GroupDomain')", name="type"),
        Index("ix_role_assignments_actor_id", "actor_id"),
        Index("ix_role_assignments_target_id", "target_id"),
    )

    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    actor_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    role_id: Mapped[str] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
