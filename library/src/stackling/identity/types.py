"""What the identity service returns: plain frozen records, never ORM rows (and never secrets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from stackling.db import models as m


@dataclass(frozen=True)
class Domain:
    id: str
    name: str
    description: str
    enabled: bool

    @classmethod
    def of(cls, row: m.Domain) -> Domain:
        return cls(row.id, row.name, row.description, row.enabled)


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    domain_id: str
    description: str
    enabled: bool

    @classmethod
    def of(cls, row: m.Project) -> Project:
        return cls(row.id, row.name, row.domain_id, row.description, row.enabled)


@dataclass(frozen=True)
class User:
    id: str
    name: str
    domain_id: str
    enabled: bool
    has_password: bool

    @classmethod
    def of(cls, row: m.User) -> User:
        return cls(row.id, row.name, row.domain_id, row.enabled, row.password_hash is not None)


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    domain_id: str
    description: str

    @classmethod
    def of(cls, row: m.Group) -> Group:
        return cls(row.id, row.name, row.domain_id, row.description)


@dataclass(frozen=True)
class Role:
    id: str
    name: str
    description: str
    implies: tuple[str, ...]  # names of the roles this one directly implies


@dataclass(frozen=True)
class RoleAssignment:
    role_id: str
    role_name: str
    user_id: str | None = None
    group_id: str | None = None
    project_id: str | None = None
    domain_id: str | None = None


@dataclass(frozen=True)
class ApplicationCredential:
    id: str
    name: str
    user_id: str
    project_id: str
    description: str
    roles: tuple[str, ...]
    expires_at: datetime | None


@dataclass(frozen=True)
class NewApplicationCredential:
    """Returned once, at creation: the secret is not stored and cannot be shown again."""

    credential: ApplicationCredential
    secret: str

    def __repr__(self) -> str:
        return "NewApplicationCredential(credential=%r, secret='***')" % (self.credential,)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    user_id: str
    expires_at: datetime
    audit_id: str
    project_id: str | None = None
    domain_id: str | None = None
    roles: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return "IssuedToken(user_id=%r, project_id=%r, domain_id=%r, audit_id=%r, token='***')" % (
            self.user_id,
            self.project_id,
            self.domain_id,
            self.audit_id,
        )
