"""Roles, implied roles and role assignments (grants), policy-enforced."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.context import Context
from stackling.db import models as m
from stackling.db.models import AssignmentType
from stackling.errors import Conflict, ValidationError
from stackling.identity import lookup
from stackling.identity._base import ServiceBase, check_name
from stackling.identity.roles import expand_implied, implication_graph
from stackling.identity.types import Role, RoleAssignment

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Grant:
    """A resolved (actor, target, role) triple plus the policy target describing it."""

    type: AssignmentType
    actor_id: str
    target_id: str
    role: m.Role
    policy_target: dict[str, Any]
    user_id: str | None
    project_id: str | None
    domain_id: str | None


class AssignmentOps(ServiceBase):
    # --- roles -------------------------------------------------------------------------------
    def list_roles(self, ctx: Context) -> list[Role]:
        self._enforce(ctx, "identity:list_roles", {})
        with self._db.read() as session:
            return _roles(session)

    def create_role(self, ctx: Context, name: str, description: str = "") -> Role:
        self._enforce(ctx, "identity:create_role", {})
        name = check_name("role", name)
        with self._writing("a role named %r already exists" % name) as session:
            row = m.Role(id=m.new_id(), name=name, description=description)
            session.add(row)
            session.flush()
            LOG.info("created role %s (%s)", row.id, name)
            return Role(row.id, row.name, row.description, ())

    def delete_role(self, ctx: Context, role: str) -> None:
        """Delete a role; its grants and implications go with it (tokens lose it at once)."""
        self._enforce(ctx, "identity:delete_role", {})
        with self._db.write() as session:
            row = lookup.role_row(session, role)
            session.delete(row)
            LOG.info("deleted role %s (%s)", row.id, row.name)

    def create_implied_role(self, ctx: Context, prior: str, implied: str) -> bool:
        """Make ``prior`` imply ``implied``; False if it already does; Conflict if that makes a cycle."""
        self._enforce(ctx, "identity:create_implied_role", {})
        with self._db.write() as session:
            prior_row, implied_row = lookup.role_row(session, prior), lookup.role_row(session, implied)
            if session.get(m.ImpliedRole, (prior_row.id, implied_row.id)) is not None:
                return False
            if prior_row.id in expand_implied(implication_graph(session), [implied_row.id]):
                raise Conflict(
                    "role %s already implies %s: the implication would be a cycle" % (implied_row.name, prior_row.name)
                )
            session.add(m.ImpliedRole(prior_role_id=prior_row.id, implied_role_id=implied_row.id))
            LOG.info("role %s now implies role %s", prior_row.name, implied_row.name)
            return True

    def delete_implied_role(self, ctx: Context, prior: str, implied: str) -> bool:
        self._enforce(ctx, "identity:delete_implied_role", {})
        with self._db.write() as session:
            prior_row, implied_row = lookup.role_row(session, prior), lookup.role_row(session, implied)
            row = session.get(m.ImpliedRole, (prior_row.id, implied_row.id))
            if row is None:
                return False
            session.delete(row)
            return True

    # --- assignments -------------------------------------------------------------------------
    def assign_role(
        self,
        ctx: Context,
        role: str,
        *,
        user: str | None = None,
        group: str | None = None,
        project: str | None = None,
        domain: str | None = None,
    ) -> bool:
        """Grant ``role`` to a user or group on a project or domain (ids or names); False if already granted."""
        with self._writing("the same grant was being made concurrently") as session:
            grant = _resolve(session, role, user, group, project, domain)
            self._enforce(ctx, "identity:create_grant", grant.policy_target)
            key = (grant.type.value, grant.actor_id, grant.target_id, grant.role.id)
            if session.get(m.RoleAssignment, key) is not None:
                return False
            session.add(
                m.RoleAssignment(
                    type=grant.type.value, actor_id=grant.actor_id, target_id=grant.target_id, role_id=grant.role.id
                )
            )
            LOG.info(
                "granted role %s to %s %s on %s", grant.role.name, grant.type.value, grant.actor_id, grant.target_id
            )
            return True

    def unassign_role(
        self,
        ctx: Context,
        role: str,
        *,
        user: str | None = None,
        group: str | None = None,
        project: str | None = None,
        domain: str | None = None,
    ) -> bool:
        """Remove a grant; the affected users' tokens on that scope issued until now are revoked."""
        with self._db.write() as session:
            grant = _resolve(session, role, user, group, project, domain)
            self._enforce(ctx, "identity:revoke_grant", grant.policy_target)
            key = (grant.type.value, grant.actor_id, grant.target_id, grant.role.id)
            row = session.get(m.RoleAssignment, key)
            if row is None:
                return False
            session.delete(row)
            users = (
                [grant.user_id]
                if grant.user_id
                else list(
                    session.scalars(
                        select(m.GroupMembership.user_id).where(m.GroupMembership.group_id == grant.actor_id)
                    )
                )
            )
            for user_id in users:
                self._revocations.revoke(
                    session,
                    user_id=user_id,
                    project_id=grant.project_id,
                    domain_id=grant.domain_id if grant.project_id is None else None,
                )
            LOG.info(
                "revoked role %s from %s %s on %s", grant.role.name, grant.type.value, grant.actor_id, grant.target_id
            )
            return True

    def list_role_assignments(
        self,
        ctx: Context,
        *,
        user: str | None = None,
        group: str | None = None,
        project: str | None = None,
        domain: str | None = None,
    ) -> list[RoleAssignment]:
        """Direct grants matching the filters that the caller may see."""
        with self._db.read() as session:
            query = select(m.RoleAssignment, m.Role.name).join(m.Role, m.Role.id == m.RoleAssignment.role_id)
            target: dict[str, Any] = {"project_id": ctx.project_id, "domain_id": ctx.domain_id}  # the caller's scope
            if user is not None:
                query = query.where(m.RoleAssignment.actor_id == lookup.user_row(session, user).id)
            if group is not None:
                query = query.where(m.RoleAssignment.actor_id == lookup.group_row(session, group).id)
            if project is not None:
                row = lookup.project_row(session, project)
                query = query.where(m.RoleAssignment.target_id == row.id)
                target = {"project_id": row.id, "domain_id": row.domain_id}
            if domain is not None:
                domain_id = lookup.domain_row(session, domain).id
                query = query.where(m.RoleAssignment.target_id == domain_id)
                target = {"domain_id": domain_id}
            self._enforce(ctx, "identity:list_role_assignments", target)
            rows = session.execute(query.order_by(m.RoleAssignment.target_id, m.Role.name)).all()
            return self._visible(
                ctx, "identity:list_role_assignments", (_assignment(session, row, name) for row, name in rows)
            )


def _roles(session: Session) -> list[Role]:
    names = dict(session.execute(select(m.Role.id, m.Role.name)).all())
    graph = implication_graph(session)
    return [
        Role(row.id, row.name, row.description, tuple(sorted(names[i] for i in graph.get(row.id, ()))))
        for row in session.scalars(select(m.Role).order_by(m.Role.name))
    ]


def _resolve(
    session: Session, role: str, user: str | None, group: str | None, project: str | None, domain: str | None
) -> _Grant:
    if (user is None) == (group is None):
        raise ValidationError("a grant names exactly one of user and group")
    if (project is None) == (domain is None):
        raise ValidationError("a grant names exactly one of project and domain")
    role_row = lookup.role_row(session, role)
    actor_id = lookup.user_row(session, user).id if user is not None else lookup.group_row(session, group or "").id
    policy_target: dict[str, Any] = {"role": role_row.name, "user_id" if user else "group_id": actor_id}
    if project is not None:
        project_row = lookup.project_row(session, project)
        kind = AssignmentType.USER_PROJECT if user else AssignmentType.GROUP_PROJECT
        policy_target.update(project_id=project_row.id, domain_id=project_row.domain_id)
        return _Grant(
            kind,
            actor_id,
            project_row.id,
            role_row,
            policy_target,
            actor_id if user else None,
            project_row.id,
            project_row.domain_id,
        )
    domain_row = lookup.domain_row(session, domain or "")
    kind = AssignmentType.USER_DOMAIN if user else AssignmentType.GROUP_DOMAIN
    policy_target.update(domain_id=domain_row.id)
    return _Grant(
        kind, actor_id, domain_row.id, role_row, policy_target, actor_id if user else None, None, domain_row.id
    )


def _assignment(session: Session, row: m.RoleAssignment, role_name: str) -> tuple[RoleAssignment, dict[str, Any]]:
    """The record and its policy target (a project grant's target carries the project's domain)."""
    is_user = row.type in (AssignmentType.USER_PROJECT, AssignmentType.USER_DOMAIN)
    on_project = row.type in (AssignmentType.USER_PROJECT, AssignmentType.GROUP_PROJECT)
    record = RoleAssignment(
        role_id=row.role_id,
        role_name=role_name,
        user_id=row.actor_id if is_user else None,
        group_id=None if is_user else row.actor_id,
        project_id=row.target_id if on_project else None,
        domain_id=None if on_project else row.target_id,
    )
    if on_project:
        project = session.get(m.Project, row.target_id)
        return record, {"project_id": row.target_id, "domain_id": project.domain_id if project else None}
    return record, {"domain_id": row.target_id}
