"""Server groups (nova's): a policy over a set of instances (consumers).

groups = ServerGroups(clock)
with db.write() as session:
    group = groups.create(session, "web", "anti-affinity", project_id, user_id)
request = RequestSpec(resources, group_id=group.id)   # the scheduler adds the member on claim
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from stackling.clock import Clock
from stackling.db import models as m
from stackling.db.engine import ensure_write_transaction
from stackling.db.models.base import new_id
from stackling.errors import NotFound, ValidationError
from stackling.scheduler.request import ANTI_AFFINITY, POLICIES


@dataclass(frozen=True)
class ServerGroup:
    id: str
    name: str
    policy: str
    project_id: str
    user_id: str
    max_server_per_host: int
    members: frozenset[str]


class ServerGroups:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def create(
        self, session: Session, name: str, policy: str, project_id: str, user_id: str, max_server_per_host: int = 1
    ) -> ServerGroup:
        ensure_write_transaction(session)
        if policy not in POLICIES:
            raise ValidationError("server group policy %r: expected one of %s" % (policy, ", ".join(POLICIES)))
        if max_server_per_host < 1 or (max_server_per_host > 1 and policy != ANTI_AFFINITY):
            raise ValidationError("max_server_per_host must be >= 1, and only anti-affinity groups take it")
        row = m.ServerGroup(
            id=new_id(), name=name, policy=policy, project_id=project_id, user_id=user_id,
            max_server_per_host=max_server_per_host, created_at=self._clock(),
        )  # fmt: skip
        session.add(row)
        session.flush()
        return self.get(session, row.id)

    def get(self, session: Session, group_id: str) -> ServerGroup:
        row = session.get(m.ServerGroup, group_id)
        if row is None:
            raise NotFound("server group", group_id)
        members = frozenset(
            session.scalars(select(m.ServerGroupMember.consumer_uuid).where(m.ServerGroupMember.group_id == group_id))
        )
        return ServerGroup(row.id, row.name, row.policy, row.project_id, row.user_id, row.max_server_per_host, members)

    def delete(self, session: Session, group_id: str) -> None:
        ensure_write_transaction(session)
        row = session.get(m.ServerGroup, group_id)
        if row is None:
            raise NotFound("server group", group_id)
        session.delete(row)
        session.flush()

    def add_member(self, session: Session, group_id: str, consumer_uuid: str) -> None:
        ensure_write_transaction(session)
        self.get(session, group_id)
        if session.get(m.ServerGroupMember, (group_id, consumer_uuid)) is None:
            session.add(m.ServerGroupMember(group_id=group_id, consumer_uuid=consumer_uuid))
            session.flush()

    def remove_member(self, session: Session, consumer_uuid: str) -> None:
        """When the instance is deleted: it leaves every group."""
        ensure_write_transaction(session)
        session.execute(delete(m.ServerGroupMember).where(m.ServerGroupMember.consumer_uuid == consumer_uuid))
