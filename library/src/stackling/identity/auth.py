"""Authentication: password or application credential in, a scoped token out.

Every failure raises the same AuthenticationFailed message, whatever the cause
(unknown user, wrong secret, disabled user/project/domain, no role on the scope,
expired credential), so a caller cannot probe which it was; the log says which,
never with the secret.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.clock import Clock
from stackling.db import Database
from stackling.db import models as m
from stackling.errors import AuthenticationFailed, NotFound
from stackling.identity import lookup
from stackling.identity.passwords import SecretHasher
from stackling.identity.roles import effective_role_ids, role_names
from stackling.identity.tokens import Scope, TokenManager, application_credential_role_ids
from stackling.identity.types import IssuedToken

LOG = logging.getLogger(__name__)
FAILED = "the request you have made requires authentication (wrong credentials or no access to the scope)"


@dataclass(frozen=True)
class ScopeRequest:
    """What the token should be scoped to: a project (by id, or name within ``project_domain``) or a domain."""

    project: str | None = None
    project_domain: str | None = None
    domain: str | None = None


class _Refused(Exception):
    """Internal: why authentication failed (logged, never shown to the caller)."""


class Authenticator:
    def __init__(self, db: Database, hasher: SecretHasher, tokens: TokenManager, clock: Clock) -> None:
        self._db = db
        self._hasher = hasher
        self._tokens = tokens
        self._clock = clock

    def password(self, username: str, password: str, scope: ScopeRequest, user_domain: str = "default") -> IssuedToken:
        """Authenticate ``username`` (in ``user_domain``, id or name) by password; a token for ``scope``."""
        try:
            with self._db.read() as session:
                user = self._user_by_password(session, username, user_domain, password)
                resolved, roles = self._scoped_roles(session, user, scope)
                user_id = user.id
                rehash = user.password_hash is not None and self._hasher.needs_rehash(user.password_hash)
        except _Refused as reason:
            LOG.warning("password authentication failed for user %r in domain %r: %s", username, user_domain, reason)
            raise AuthenticationFailed(FAILED) from None
        if rehash:
            self._rehash(user_id, password)
        return self._tokens.issue(user_id, resolved, ("password",), roles)

    def application_credential(
        self,
        secret: str,
        *,
        credential_id: str | None = None,
        name: str | None = None,
        username: str | None = None,
        user_domain: str = "default",
    ) -> IssuedToken:
        """Authenticate by application credential (its id, or its name and its user's name) and secret."""
        label = credential_id or "%s/%s" % (username, name)
        try:
            with self._db.read() as session:
                credential = self._credential(session, credential_id, name, username, user_domain)
                if not self._hasher.verify(credential.secret_hash, secret):
                    raise _Refused("wrong secret")
                if credential.expires_at is not None and self._clock() >= credential.expires_at:
                    raise _Refused("application credential expired at %s" % credential.expires_at.isoformat())
                user = session.get(m.User, credential.user_id)
                if user is None or not _usable(session, user.enabled, user.domain_id):
                    raise _Refused("user disabled")
                scope = ScopeRequest(project=credential.project_id)
                resolved, roles = self._scoped_roles(session, user, scope, credential.id)
                user_id, credential_id, not_after = user.id, credential.id, credential.expires_at
        except _Refused as reason:
            LOG.warning("application credential authentication failed for %r: %s", label, reason)
            raise AuthenticationFailed(FAILED) from None
        return self._tokens.issue(
            user_id,
            resolved,
            ("application_credential",),
            roles,
            application_credential_id=credential_id,
            not_after=not_after,
        )

    def _user_by_password(self, session: Session, username: str, user_domain: str, password: str) -> m.User:
        try:
            user = lookup.user_row(session, username, user_domain)
        except NotFound:
            self._hasher.verify(None, password)  # same cost as a wrong password
            raise _Refused("no such user") from None
        if not self._hasher.verify(user.password_hash, password):
            raise _Refused("wrong password" if user.password_hash else "user has no password")
        if not _usable(session, user.enabled, user.domain_id):
            raise _Refused("user or its domain is disabled")
        return user

    def _credential(
        self, session: Session, credential_id: str | None, name: str | None, username: str | None, user_domain: str
    ) -> m.ApplicationCredential:
        credential: m.ApplicationCredential | None = None
        if credential_id is not None:
            credential = session.get(m.ApplicationCredential, credential_id)
        elif name is not None and username is not None:
            try:
                user = lookup.user_row(session, username, user_domain)
            except NotFound:
                raise _Refused("no such user") from None
            query = select(m.ApplicationCredential).where(
                m.ApplicationCredential.user_id == user.id, m.ApplicationCredential.name == name
            )
            credential = session.scalars(query).first()
        if credential is None:
            self._hasher.verify(None, "")
            raise _Refused("no such application credential")
        return credential

    def _scoped_roles(
        self, session: Session, user: m.User, scope: ScopeRequest, credential_id: str | None = None
    ) -> tuple[Scope, frozenset[str]]:
        try:
            if scope.project is not None:
                project = lookup.project_row(session, scope.project, scope.project_domain)
                if not _usable(session, project.enabled, project.domain_id):
                    raise _Refused("project %s or its domain is disabled" % project.id)
                resolved = Scope(project_id=project.id)
            elif scope.domain is not None:
                domain = lookup.domain_row(session, scope.domain)
                if not domain.enabled:
                    raise _Refused("domain %s is disabled" % domain.id)
                resolved = Scope(domain_id=domain.id)
            else:
                raise _Refused("no scope requested (a token is scoped to a project or a domain)")
        except NotFound as missing:
            raise _Refused(str(missing)) from None
        role_ids = effective_role_ids(session, user.id, project_id=resolved.project_id, domain_id=resolved.domain_id)
        if credential_id is not None:
            role_ids &= application_credential_role_ids(session, credential_id)
        if not role_ids:
            raise _Refused("no role on the requested scope")
        return resolved, role_names(session, role_ids)

    def _rehash(self, user_id: str, password: str) -> None:
        with self._db.write() as session:
            user = session.get(m.User, user_id)
            if user is not None:
                user.password_hash = self._hasher.hash(password)
        LOG.info("rehashed the password of user %s with the configured argon2 parameters", user_id)


def _usable(session: Session, enabled: bool, domain_id: str) -> bool:
    domain = session.get(m.Domain, domain_id)
    return enabled and domain is not None and domain.enabled
