"""Effective roles: direct and group grants on a scope, expanded through implied roles."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from stackling.db import models as m
from stackling.db.models import AssignmentType


def implication_graph(session: Session) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for prior, implied in session.execute(select(m.ImpliedRole.prior_role_id, m.ImpliedRole.implied_role_id)):
        graph.setdefault(prior, set()).add(implied)
    return graph


def expand_implied(graph: dict[str, set[str]], role_ids: Iterable[str]) -> set[str]:
    """``role_ids`` plus every role they imply, transitively."""
    result: set[str] = set()
    pending = list(role_ids)
    while pending:
        role_id = pending.pop()
        if role_id not in result:
            result.add(role_id)
            pending.extend(graph.get(role_id, ()))
    return result


def granted_role_ids(
    session: Session, user_id: str, *, project_id: str | None = None, domain_id: str | None = None
) -> set[str]:
    """Roles granted on the scope to the user directly or through a group (not yet expanded)."""
    if project_id is not None:
        target, user_type, group_type = project_id, AssignmentType.USER_PROJECT, AssignmentType.GROUP_PROJECT
    elif domain_id is not None:
        target, user_type, group_type = domain_id, AssignmentType.USER_DOMAIN, AssignmentType.GROUP_DOMAIN
    else:
        return set()
    groups = select(m.GroupMembership.group_id).where(m.GroupMembership.user_id == user_id)
    query = select(m.RoleAssignment.role_id).where(
        m.RoleAssignment.target_id == target,
        or_(
            (m.RoleAssignment.type == user_type) & (m.RoleAssignment.actor_id == user_id),
            (m.RoleAssignment.type == group_type) & m.RoleAssignment.actor_id.in_(groups),
        ),
    )
    return set(session.scalars(query))


def role_names(session: Session, role_ids: Iterable[str]) -> frozenset[str]:
    ids = list(role_ids)
    if not ids:
        return frozenset()
    return frozenset(session.scalars(select(m.Role.name).where(m.Role.id.in_(ids))))


def effective_role_ids(
    session: Session, user_id: str, *, project_id: str | None = None, domain_id: str | None = None
) -> set[str]:
    granted = granted_role_ids(session, user_id, project_id=project_id, domain_id=domain_id)
    return expand_implied(implication_graph(session), granted)


def effective_roles(
    session: Session, user_id: str, *, project_id: str | None = None, domain_id: str | None = None
) -> frozenset[str]:
    """Names of the user's effective roles on the project or domain."""
    return role_names(session, effective_role_ids(session, user_id, project_id=project_id, domain_id=domain_id))
