"""Server groups through the policy: owned by a project; its members create, see and delete
their project's groups, cloud admins any. The policy (affinity, anti-affinity, soft-*) is
fixed at creation, as in nova."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.compute._base import PolicyService
from stackling.compute.types import ServerGroupRecord
from stackling.context import Context
from stackling.db import Database
from stackling.db import models as m
from stackling.errors import Conflict, NotFound, ValidationError
from stackling.policy import Enforcer
from stackling.scheduler.server_groups import ServerGroup, ServerGroups

LOG = logging.getLogger(__name__)


def _record(group: ServerGroup) -> ServerGroupRecord:
    return ServerGroupRecord(
        group.id, group.name, group.policy, group.project_id, group.user_id, group.max_server_per_host,
        tuple(sorted(group.members)),
    )  # fmt: skip


def _target(group: ServerGroup | ServerGroupRecord) -> dict[str, str]:
    return {"project_id": group.project_id, "user_id": group.user_id}


class ServerGroupService(PolicyService):
    def __init__(self, db: Database, enforcer: Enforcer, groups: ServerGroups) -> None:
        super().__init__(db, enforcer)
        self.groups = groups

    def find(self, ctx: Context, ref: str, project_id: str | None = None) -> ServerGroupRecord | None:
        """The group with id ``ref``, or named ``ref`` in ``project_id`` (default: the caller's
        project); None if there is none. A group the caller may not see: PolicyNotAuthorized."""
        project_id = project_id or ctx.project_id
        with self._db.read() as session:
            row = session.get(m.ServerGroup, ref)
            if row is None:
                rows = session.scalars(
                    select(m.ServerGroup).where(m.ServerGroup.name == ref, m.ServerGroup.project_id == project_id)
                ).all()
                if len(rows) > 1:
                    raise Conflict("several server groups are named %r in project %s; use the id" % (ref, project_id))
                row = rows[0] if rows else None
            if row is None:
                self._enforce(ctx, "compute:get_server_group", {"project_id": project_id})
                return None
            group = self.groups.get(session, row.id)
        self._enforce(ctx, "compute:get_server_group", _target(group))
        return _record(group)

    def list(self, ctx: Context) -> list[ServerGroupRecord]:
        """The groups the caller may see (a member: its project's; a cloud admin: all)."""
        self._enforce(ctx, "compute:list_server_groups", {"project_id": ctx.project_id})
        with self._db.read() as session:
            ids = session.scalars(select(m.ServerGroup.id).order_by(m.ServerGroup.name, m.ServerGroup.id)).all()
            groups = [self.groups.get(session, group_id) for group_id in ids]
        return self._visible(ctx, "compute:get_server_group", ((_record(g), _target(g)) for g in groups))

    def create(self, ctx: Context, name: str, policy: str, max_server_per_host: int = 1) -> ServerGroupRecord:
        """A group in the caller's project."""
        if ctx.project_id is None:
            raise ValidationError("server groups belong to a project: use a project-scoped token")
        self._enforce(ctx, "compute:create_server_group", {"project_id": ctx.project_id, "user_id": ctx.user_id})
        if not name or len(name) > 255:
            raise ValidationError("a server group name must have 1 to 255 characters", field="name")
        with self._db.write() as session:
            group = self.groups.create(session, name, policy, ctx.project_id, ctx.user_id, max_server_per_host)
            LOG.info("created server group %s (%s, %s) in project %s", group.id, name, policy, ctx.project_id)
            return _record(group)

    def delete(self, ctx: Context, group_id: str) -> None:
        with self._db.write() as session:
            group = self._get(session, group_id)
            self._enforce(ctx, "compute:delete_server_group", _target(group))
            self.groups.delete(session, group.id)
            LOG.info("deleted server group %s (%s)", group.id, group.name)

    def _get(self, session: Session, group_id: str) -> ServerGroup:
        if session.get(m.ServerGroup, group_id) is None:
            raise NotFound("server group", group_id)
        return self.groups.get(session, group_id)
