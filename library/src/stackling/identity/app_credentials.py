"""Application credentials: a secret that logs a user into ONE project with a subset of their roles."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.context import Context
from stackling.db import models as m
from stackling.errors import NotFound, ValidationError
from stackling.identity import lookup
from stackling.identity._base import ServiceBase, check_name
from stackling.identity.types import ApplicationCredential, NewApplicationCredential

LOG = logging.getLogger(__name__)


class ApplicationCredentialOps(ServiceBase):
    def create_application_credential(
        self,
        ctx: Context,
        name: str,
        *,
        roles: list[str] | None = None,
        expires_at: datetime | None = None,
        description: str = "",
    ) -> NewApplicationCredential:
        """A credential for the caller on the caller's project, with ``roles`` (default: all the
        caller's current roles there). The secret is returned once and stored only as a hash."""
        self._enforce(
            ctx, "identity:create_application_credential", {"user_id": ctx.user_id, "project_id": ctx.project_id}
        )
        if ctx.project_id is None:
            raise ValidationError("application credentials need a project-scoped token")
        name = check_name("application credential", name)
        wanted = set(ctx.roles if roles is None else roles)
        if not wanted <= ctx.roles:
            raise ValidationError("roles %s are not held on this project" % ", ".join(sorted(wanted - ctx.roles)))
        if expires_at is not None and expires_at <= self._clock():
            raise ValidationError("expires_at lies in the past")
        secret = secrets.token_urlsafe(48)
        secret_hash = self._hasher.hash(secret)
        with self._writing("you already have an application credential named %r" % name) as session:
            row = m.ApplicationCredential(
                id=m.new_id(),
                name=name,
                user_id=ctx.user_id,
                project_id=ctx.project_id,
                secret_hash=secret_hash,
                description=description,
                expires_at=expires_at,
                created_at=self._clock(),
            )
            session.add(row)
            session.flush()
            for role_name in sorted(wanted):
                session.add(
                    m.ApplicationCredentialRole(
                        application_credential_id=row.id, role_id=lookup.role_row(session, role_name).id
                    )
                )
            LOG.info(
                "created application credential %s (%s) for user %s on project %s",
                row.id,
                name,
                ctx.user_id,
                ctx.project_id,
            )
            return NewApplicationCredential(_record(row, sorted(wanted)), secret)

    def get_application_credential(self, ctx: Context, credential_id: str) -> ApplicationCredential:
        with self._db.read() as session:
            row = _row(session, credential_id)
            self._enforce(
                ctx, "identity:get_application_credential", {"user_id": row.user_id, "project_id": row.project_id}
            )
            return _record(row, _role_names(session, row.id))

    def list_application_credentials(self, ctx: Context, user_id: str | None = None) -> list[ApplicationCredential]:
        """The user's credentials (default: the caller's)."""
        owner = user_id or ctx.user_id
        self._enforce(ctx, "identity:list_application_credentials", {"user_id": owner})
        with self._db.read() as session:
            query = select(m.ApplicationCredential).where(m.ApplicationCredential.user_id == owner)
            rows = session.scalars(query.order_by(m.ApplicationCredential.name))
            return [_record(row, _role_names(session, row.id)) for row in rows]

    def delete_application_credential(self, ctx: Context, credential_id: str) -> None:
        """Delete the credential and revoke the tokens it issued."""
        with self._db.write() as session:
            row = _row(session, credential_id)
            self._enforce(
                ctx, "identity:delete_application_credential", {"user_id": row.user_id, "project_id": row.project_id}
            )
            self._revocations.revoke(session, application_credential_id=row.id)
            session.delete(row)
            LOG.info("deleted application credential %s", row.id)


def _row(session: Session, credential_id: str) -> m.ApplicationCredential:
    row = session.get(m.ApplicationCredential, credential_id)
    if row is None:
        raise NotFound("application credential", credential_id)
    return row


def _role_names(session: Session, credential_id: str) -> list[str]:
    query = (
        select(m.Role.name)
        .join(m.ApplicationCredentialRole, m.ApplicationCredentialRole.role_id == m.Role.id)
        .where(m.ApplicationCredentialRole.application_credential_id == credential_id)
        .order_by(m.Role.name)
    )
    return list(session.scalars(query))


def _record(row: m.ApplicationCredential, roles: list[str]) -> ApplicationCredential:
    return ApplicationCredential(
        id=row.id,
        name=row.name,
        user_id=row.user_id,
        project_id=row.project_id,
        description=row.description,
        roles=tuple(roles),
        expires_at=row.expires_at,
    )
