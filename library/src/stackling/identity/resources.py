"""Domains and projects (Keystone's "resource" backend), policy-enforced."""

from __future__ import annotations

import logging

from sqlalchemy import delete, func, select

from stackling.context import Context
from stackling.db import models as m
from stackling.db.models import AssignmentType
from stackling.errors import Conflict
from stackling.identity import lookup
from stackling.identity._base import ServiceBase, check_name, missing_as_none
from stackling.identity.types import Domain, Project

LOG = logging.getLogger(__name__)


class ResourceOps(ServiceBase):
    # --- domains -----------------------------------------------------------------------------
    def create_domain(self, ctx: Context, name: str, description: str = "", enabled: bool = True) -> Domain:
        self._enforce(ctx, "identity:create_domain", {})
        name = check_name("domain", name)
        with self._writing("a domain named %r already exists" % name) as session:
            row = m.Domain(id=m.new_id(), name=name, description=description, enabled=enabled, created_at=self._clock())
            session.add(row)
            session.flush()
            LOG.info("created domain %s (%s)", row.id, name)
            return Domain.of(row)

    def get_domain(self, ctx: Context, ref: str) -> Domain:
        with self._db.read() as session:
            row = lookup.domain_row(session, ref)
            self._enforce(ctx, "identity:get_domain", {"domain_id": row.id})
            return Domain.of(row)

    def list_domains(self, ctx: Context) -> list[Domain]:
        self._enforce(ctx, "identity:list_domains", {})
        with self._db.read() as session:
            return [Domain.of(row) for row in session.scalars(select(m.Domain).order_by(m.Domain.name))]

    def update_domain(
        self, ctx: Context, domain_id: str, *, enabled: bool | None = None, description: str | None = None
    ) -> Domain:
        with self._db.write() as session:
            row = lookup.domain_row(session, domain_id)
            self._enforce(ctx, "identity:update_domain", {"domain_id": row.id})
            if description is not None:
                row.description = description
            if enabled is not None and enabled != row.enabled:
                row.enabled = enabled
                if not enabled:
                    self._revocations.revoke(session, domain_id=row.id)
                LOG.info("%s domain %s", "enabled" if enabled else "disabled", row.id)
            return Domain.of(row)

    def delete_domain(self, ctx: Context, domain_id: str) -> None:
        """Delete a disabled, empty domain (no projects, users or groups)."""
        with self._db.write() as session:
            row = lookup.domain_row(session, domain_id)
            self._enforce(ctx, "identity:delete_domain", {"domain_id": row.id})
            if row.enabled:
                raise Conflict("disable domain %s before deleting it" % row.name)
            for model in (m.Project, m.User, m.Group):
                count = session.scalar(select(func.count()).select_from(model).where(model.domain_id == row.id))
                if count:
                    raise Conflict("domain %s still holds %d %s" % (row.name, count, model.__tablename__))
            session.execute(delete(m.RoleAssignment).where(m.RoleAssignment.target_id == row.id))
            session.delete(row)
            LOG.info("deleted domain %s", row.id)

    # --- projects ----------------------------------------------------------------------------
    def create_project(
        self, ctx: Context, name: str, domain_id: str = "default", description: str = "", enabled: bool = True
    ) -> Project:
        name = check_name("project", name)
        with self._writing("a project named %r already exists in that domain" % name) as session:
            domain = lookup.domain_row(session, domain_id)
            self._enforce(ctx, "identity:create_project", {"domain_id": domain.id})
            row = m.Project(
                id=m.new_id(),
                domain_id=domain.id,
                name=name,
                description=description,
                enabled=enabled,
                created_at=self._clock(),
            )
            session.add(row)
            session.flush()
            LOG.info("created project %s (%s) in domain %s", row.id, name, domain.id)
            return Project.of(row)

    def get_project(self, ctx: Context, name_or_id: str, domain: str | None = None) -> Project:
        """The project named or numbered ``name_or_id``; NotFound if missing."""
        with self._db.read() as session:
            row = lookup.project_row(session, name_or_id, domain)
            self._enforce(ctx, "identity:get_project", _project_target(row))
            return Project.of(row)

    def find_project(
        self, ctx: Context, name_or_id: str, domain: str | None = None, ignore_missing: bool = True
    ) -> Project | None:
        """Like get_project, but None when missing and ``ignore_missing``."""
        return missing_as_none(lambda: self.get_project(ctx, name_or_id, domain), ignore_missing)

    def list_projects(self, ctx: Context, domain: str | None = None) -> list[Project]:
        """Projects the caller may see (all for the cloud admin, their domain's or their own otherwise)."""
        return self._list_in_domain(ctx, m.Project, "project", Project.of, _project_target, domain)

    def update_project(
        self,
        ctx: Context,
        project_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> Project:
        """Change a project; disabling it revokes every token scoped to it."""
        with self._writing("a project named %r already exists in that domain" % name) as session:
            row = lookup.project_row(session, project_id)
            self._enforce(ctx, "identity:update_project", _project_target(row))
            if name is not None:
                row.name = check_name("project", name)
            if description is not None:
                row.description = description
            if enabled is not None and enabled != row.enabled:
                row.enabled = enabled
                if not enabled:
                    self._revocations.revoke(session, project_id=row.id)
                LOG.info("%s project %s", "enabled" if enabled else "disabled", row.id)
            session.flush()
            return Project.of(row)

    def delete_project(self, ctx: Context, project_id: str) -> None:
        """Delete a project that holds no resources (all quota usage zero); revokes its tokens."""
        with self._db.write() as session:
            row = lookup.project_row(session, project_id)
            self._enforce(ctx, "identity:delete_project", _project_target(row))
            used = session.execute(
                select(m.QuotaUsage.resource, m.QuotaUsage.in_use).where(
                    m.QuotaUsage.project_id == row.id, m.QuotaUsage.in_use > 0
                )
            ).all()
            if used:
                held = ", ".join("%d %s" % (in_use, resource) for resource, in_use in used)
                raise Conflict("project %s still holds resources (%s); delete them first" % (row.name, held))
            session.execute(
                delete(m.RoleAssignment).where(
                    m.RoleAssignment.target_id == row.id,
                    m.RoleAssignment.type.in_((AssignmentType.USER_PROJECT, AssignmentType.GROUP_PROJECT)),
                )
            )
            self._revocations.revoke(session, project_id=row.id)
            session.delete(row)
            LOG.info("deleted project %s (%s)", row.id, row.name)


def _project_target(row: m.Project) -> dict[str, str]:
    return {"project_id": row.id, "domain_id": row.domain_id}
