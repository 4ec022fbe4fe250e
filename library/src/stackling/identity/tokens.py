"""Issue tokens and validate them into a Context: expiry, revocation, current state and current roles."""

from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.clock import Clock
from stackling.config import IdentityConfig
from stackling.context import Context
from stackling.db import Database
from stackling.db import models as m
from stackling.errors import TokenExpired, TokenInvalid, TokenRevoked
from stackling.identity.revocation import RevocationLog, TokenFacts
from stackling.identity.roles import effective_role_ids, expand_implied, implication_graph, role_names
from stackling.identity.types import IssuedToken
from stackling.policy import Enforcer
from stackling.tokens.payload import TokenData
from stackling.tokens.provider import TokenProvider

LOG = logging.getLogger(__name__)


def new_audit_id() -> str:
    """16 random bytes, URL-safe base64 without padding (22 characters), like Keystone's."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Scope:
    project_id: str | None = None
    domain_id: str | None = None


class TokenManager:
    def __init__(
        self,
        db: Database,
        provider: TokenProvider,
        revocations: RevocationLog,
        clock: Clock,
        lifetime: timedelta,
        identity: IdentityConfig,
        enforcer: Enforcer,
    ) -> None:
        self._db = db
        self._provider = provider
        self._revocations = revocations
        self._clock = clock
        self.lifetime = lifetime
        self._identity = identity
        self._enforcer = enforcer

    def issue(
        self,
        user_id: str,
        scope: Scope,
        methods: tuple[str, ...],
        roles: frozenset[str],
        application_credential_id: str | None = None,
        not_after: datetime | None = None,
    ) -> IssuedToken:
        """A new token; it expires after the configured lifetime, or at ``not_after`` if sooner."""
        now = self._clock()
        expires_at = now + self.lifetime
        if not_after is not None and not_after < expires_at:
            expires_at = not_after
        data = TokenData(
            user_id=user_id,
            methods=methods,
            issued_at=now,
            expires_at=expires_at,
            audit_id=new_audit_id(),
            project_id=scope.project_id,
            domain_id=scope.domain_id,
            application_credential_id=application_credential_id,
        )
        token = self._provider.issue(data)
        LOG.info(
            "issued token audit_id=%s user=%s project=%s domain=%s methods=%s",
            data.audit_id,
            user_id,
            scope.project_id,
            scope.domain_id,
            ",".join(methods),
        )
        return IssuedToken(
            token=token,
            user_id=user_id,
            expires_at=expires_at,
            audit_id=data.audit_id,
            project_id=scope.project_id,
            domain_id=scope.domain_id,
            roles=tuple(sorted(roles)),
        )

    def decode(self, token: str) -> TokenData:
        """Integrity and expiry only (no database): the data the token asserts."""
        data = self._provider.decode(token)
        if self._clock() >= data.expires_at:
            raise TokenExpired("token expired at %s" % data.expires_at.isoformat())
        return data

    def validate(self, token: str) -> Context:
        """The caller behind ``token``, with the roles they hold NOW; TokenInvalid/Expired/Revoked otherwise."""
        data = self.decode(token)
        with self._db.read() as session:
            return self._context(session, data)

    def revoke(self, ctx: Context, token: str) -> None:
        """Revoke one token (by its audit id): its owner or the cloud admin may."""
        data = self.decode(token)
        self._enforcer.enforce("identity:revoke_token", {"user_id": data.user_id}, ctx)
        with self._db.write() as session:
            self._revocations.revoke(session, audit_id=data.audit_id)

    def _context(self, session: Session, data: TokenData) -> Context:
        user = session.get(m.User, data.user_id)
        if user is None or not user.enabled or not _domain_enabled(session, user.domain_id):
            raise TokenInvalid("token's user is gone or disabled")
        project_domain_id = None
        if data.project_id is not None:
            project = session.get(m.Project, data.project_id)
            if project is None or not project.enabled or not _domain_enabled(session, project.domain_id):
                raise TokenInvalid("token's project is gone or disabled")
            project_domain_id = project.domain_id
        elif data.domain_id is not None and not _domain_enabled(session, data.domain_id):
            raise TokenInvalid("token's domain is gone or disabled")
        facts = TokenFacts(
            user_id=user.id,
            user_domain_id=user.domain_id,
            issued_at=data.issued_at,
            audit_id=data.audit_id,
            project_id=data.project_id,
            project_domain_id=project_domain_id,
            domain_id=data.domain_id,
            application_credential_id=data.application_credential_id,
        )
        if self._revocations.is_revoked(session, facts):
            raise TokenRevoked("token has been revoked")
        roles = self._current_roles(session, data)
        if not roles:
            raise TokenInvalid("token's user no longer holds any role on its scope")
        return Context(
            user_id=user.id,
            user_domain_id=user.domain_id,
            roles=roles,
            project_id=data.project_id,
            project_domain_id=project_domain_id,
            domain_id=data.domain_id,
            is_admin_project=data.project_id is not None and data.project_id == self.admin_project_id(session),
            application_credential_id=data.application_credential_id,
            audit_id=data.audit_id,
            expires_at=data.expires_at,
            methods=data.methods,
        )

    def _current_roles(self, session: Session, data: TokenData) -> frozenset[str]:
        role_ids = effective_role_ids(session, data.user_id, project_id=data.project_id, domain_id=data.domain_id)
        if data.application_credential_id is not None:
            credential = session.get(m.ApplicationCredential, data.application_credential_id)
            if credential is None:
                raise TokenInvalid("token's application credential is gone")
            role_ids &= application_credential_role_ids(session, credential.id)
        return role_names(session, role_ids)

    def admin_project_id(self, session: Session) -> str | None:
        """The project whose tokens make their admins cloud admins (identity.admin_project_* settings)."""
        query = (
            select(m.Project.id)
            .join(m.Domain, m.Domain.id == m.Project.domain_id)
            .where(m.Project.name == self._identity.admin_project_name)
            .where(m.Domain.name == self._identity.admin_project_domain_name)
        )
        return session.scalars(query).first()


def application_credential_role_ids(session: Session, credential_id: str) -> set[str]:
    """The credential's roles, expanded through implied roles."""
    granted = session.scalars(
        select(m.ApplicationCredentialRole.role_id).where(
            m.ApplicationCredentialRole.application_credential_id == credential_id
        )
    )
    return expand_implied(implication_graph(session), granted)


def _domain_enabled(session: Session, domain_id: str) -> bool:
    domain = session.get(m.Domain, domain_id)
    return domain is not None and domain.enabled
