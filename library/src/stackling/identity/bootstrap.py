"""``keystone-manage bootstrap`` for Stackling: the minimum a cloud needs to be administered.

Creates (when missing) the default domain (id ``default``, name ``Default``), the
roles admin, member and reader with admin -> member -> reader implications, the
admin project, the admin user and the admin user's admin grant on the admin project.

Idempotent: a re-run with the same password changes nothing. Like Keystone's, a
re-run with a different password resets the admin password (and revokes the admin's
tokens), and a disabled admin user is enabled again: bootstrap is the recovery path.
It works on the database directly (no Context): it is how the first admin comes to be.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.clock import Clock
from stackling.db import Database
from stackling.db import models as m
from stackling.db.models import AssignmentType
from stackling.identity.passwords import SecretHasher
from stackling.identity.revocation import RevocationLog

LOG = logging.getLogger(__name__)

DEFAULT_DOMAIN_ID = "default"
DEFAULT_DOMAIN_NAME = "Default"
DEFAULT_ROLES = ("admin", "member", "reader")
DEFAULT_IMPLICATIONS = (("admin", "member"), ("member", "reader"))


@dataclass
class BootstrapResult:
    changes: list[str] = field(default_factory=list)
    admin_user_id: str = ""
    admin_project_id: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.changes)


@dataclass(frozen=True)
class BootstrapRequest:
    admin_password: str
    admin_username: str = "admin"
    project_name: str = "admin"
    domain_name: str = DEFAULT_DOMAIN_NAME


class Bootstrapper:
    def __init__(self, db: Database, hasher: SecretHasher, revocations: RevocationLog, clock: Clock) -> None:
        self._db = db
        self._hasher = hasher
        self._revocations = revocations
        self._clock = clock

    def run(self, request: BootstrapRequest) -> BootstrapResult:
        result = BootstrapResult()
        with self._db.write() as session:
            domain = self._domain(session, request.domain_name, result)
            roles = {name: self._role(session, name, result) for name in DEFAULT_ROLES}
            for prior, implied in DEFAULT_IMPLICATIONS:
                if session.get(m.ImpliedRole, (roles[prior].id, roles[implied].id)) is None:
                    session.add(m.ImpliedRole(prior_role_id=roles[prior].id, implied_role_id=roles[implied].id))
                    result.changes.append("role %s implies %s" % (prior, implied))
            project = self._project(session, domain, request.project_name, result)
            user = self._user(session, domain, request, result)
            grant = (AssignmentType.USER_PROJECT.value, user.id, project.id, roles["admin"].id)
            if session.get(m.RoleAssignment, grant) is None:
                session.add(
                    m.RoleAssignment(type=grant[0], actor_id=user.id, target_id=project.id, role_id=roles["admin"].id)
                )
                result.changes.append("granted admin to user %s on project %s" % (user.name, project.name))
            result.admin_user_id, result.admin_project_id = user.id, project.id
        for change in result.changes:
            LOG.info("bootstrap: %s", change)
        return result

    def _domain(self, session: Session, name: str, result: BootstrapResult) -> m.Domain:
        domain = session.scalars(select(m.Domain).where(m.Domain.name == name)).first()
        if domain is None:
            domain_id = DEFAULT_DOMAIN_ID if name == DEFAULT_DOMAIN_NAME else m.new_id()
            domain = m.Domain(
                id=domain_id, name=name, description="The default domain", enabled=True, created_at=self._clock()
            )
            session.add(domain)
            session.flush()
            result.changes.append("created domain %s" % name)
        return domain

    def _role(self, session: Session, name: str, result: BootstrapResult) -> m.Role:
        role = session.scalars(select(m.Role).where(m.Role.name == name)).first()
        if role is None:
            role = m.Role(id=m.new_id(), name=name, description="")
            session.add(role)
            session.flush()
            result.changes.append("created role %s" % name)
        return role

    def _project(self, session: Session, domain: m.Domain, name: str, result: BootstrapResult) -> m.Project:
        query = select(m.Project).where(m.Project.domain_id == domain.id, m.Project.name == name)
        project = session.scalars(query).first()
        if project is None:
            project = m.Project(
                id=m.new_id(),
                domain_id=domain.id,
                name=name,
                description="Bootstrap project for the cloud admin",
                enabled=True,
                created_at=self._clock(),
            )
            session.add(project)
            session.flush()
            result.changes.append("created project %s" % name)
        return project

    def _user(self, session: Session, domain: m.Domain, request: BootstrapRequest, result: BootstrapResult) -> m.User:
        query = select(m.User).where(m.User.domain_id == domain.id, m.User.name == request.admin_username)
        user = session.scalars(query).first()
        now = self._clock()
        if user is None:
            user = m.User(
                id=m.new_id(),
                domain_id=domain.id,
                name=request.admin_username,
                enabled=True,
                created_at=now,
                password_hash=self._hasher.hash(request.admin_password),
                password_changed_at=now,
            )
            session.add(user)
            session.flush()
            result.changes.append("created user %s" % request.admin_username)
            return user
        if not user.enabled:
            user.enabled = True
            result.changes.append("enabled user %s" % user.name)
        if not self._hasher.verify(user.password_hash, request.admin_password):
            user.password_hash = self._hasher.hash(request.admin_password)
            user.password_changed_at = now
            self._revocations.revoke(session, user_id=user.id)
            result.changes.append("reset the password of user %s" % user.name)
        return user
