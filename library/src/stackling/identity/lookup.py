"""Find identity rows by id or by name (names are unique within a domain; roles and domains globally)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.db import models as m
from stackling.errors import Conflict, NotFound

DomainOwned = TypeVar("DomainOwned", m.Project, m.User, m.Group)


def domain_row(session: Session, ref: str) -> m.Domain:
    row = session.get(m.Domain, ref) or session.scalars(select(m.Domain).where(m.Domain.name == ref)).first()
    if row is None:
        raise NotFound("domain", ref)
    return row


def role_row(session: Session, ref: str) -> m.Role:
    row = session.get(m.Role, ref) or session.scalars(select(m.Role).where(m.Role.name == ref)).first()
    if row is None:
        raise NotFound("role", ref)
    return row


def _owned_row(session: Session, model: type[DomainOwned], kind: str, ref: str, domain: str | None) -> DomainOwned:
    by_id = session.get(model, ref)
    if by_id is not None and (domain is None or by_id.domain_id == domain_row(session, domain).id):
        return by_id
    query = select(model).where(model.name == ref)
    if domain is not None:
        query = query.where(model.domain_id == domain_row(session, domain).id)
    rows = list(session.scalars(query.limit(2)))
    if not rows:
        raise NotFound(kind, ref)
    if len(rows) > 1:
        raise Conflict("several %ss are named %r; name the domain too" % (kind, ref))
    return rows[0]


def project_row(session: Session, ref: str, domain: str | None = None) -> m.Project:
    return _owned_row(session, m.Project, "project", ref, domain)


def user_row(session: Session, ref: str, domain: str | None = None) -> m.User:
    return _owned_row(session, m.User, "user", ref, domain)


def group_row(session: Session, ref: str, domain: str | None = None) -> m.Group:
    return _owned_row(session, m.Group, "group", ref, domain)
