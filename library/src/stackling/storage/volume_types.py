"""Volume types (cloud admin): a name users pick, mapped to the storage backends that may hold
its volumes. ``backend`` is a glob over backend names (``*@lvm``, ``storage1@file``); None means
any backend. Every cloud has the ``default`` type (made by the 0008 migration)."""

from __future__ import annotations

import builtins
import fnmatch
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stackling.clock import Clock
from stackling.compute._base import PolicyService
from stackling.context import Context
from stackling.db import Database
from stackling.db import models as m
from stackling.db.models.base import NAME_LENGTH
from stackling.errors import Conflict, NotFound, ValidationError
from stackling.policy import Enforcer

LOG = logging.getLogger(__name__)
DEFAULT_TYPE = "default"


@dataclass(frozen=True)
class VolumeType:
    id: str
    name: str
    description: str
    backend: str | None
    created_at: datetime

    def allows(self, backend_name: str) -> bool:
        return self.backend is None or fnmatch.fnmatchcase(backend_name, self.backend)


def type_view(row: m.VolumeType) -> VolumeType:
    return VolumeType(row.id, row.name, row.description, row.backend, row.created_at)


def find_type_row(session: Session, ref: str) -> m.VolumeType | None:
    row = session.get(m.VolumeType, ref)
    return row or session.scalars(select(m.VolumeType).where(m.VolumeType.name == ref)).first()


def ensure_type_row(session: Session, ref: str, clock: Clock) -> m.VolumeType | None:
    """find_type_row(), with the ``default`` type made if it went missing (it always exists)."""
    row = find_type_row(session, ref)
    if row is None and ref == DEFAULT_TYPE:
        row = m.VolumeType(id=m.new_id(), name=DEFAULT_TYPE, description="Any storage backend", backend=None,
                           created_at=clock())  # fmt: skip
        session.add(row)
        session.flush()
    return row


class VolumeTypeService(PolicyService):
    def __init__(self, db: Database, enforcer: Enforcer, clock: Clock) -> None:
        super().__init__(db, enforcer)
        self._clock = clock

    def list(self, ctx: Context) -> builtins.list[VolumeType]:
        self._enforce(ctx, "volume:list_types")
        with self._db.read() as session:
            return [type_view(r) for r in session.scalars(select(m.VolumeType).order_by(m.VolumeType.name))]

    def find(self, ctx: Context, ref: str) -> VolumeType | None:
        self._enforce(ctx, "volume:get_type")
        with self._db.read() as session:
            row = find_type_row(session, ref)
            return None if row is None else type_view(row)

    def apply(self, ctx: Context, name: str, backend: str | None = None, description: str = "") -> VolumeType:
        """Create the type, or set its backend and description."""
        if not name or len(name) > NAME_LENGTH:
            raise ValidationError("name: a volume type needs a name of 1 to 255 characters", field="name")
        with self._db.write() as session:
            row = find_type_row(session, name)
            self._enforce(ctx, "volume:update_type" if row else "volume:create_type")
            if row is None:
                row = m.VolumeType(id=m.new_id(), name=name, created_at=self._clock())
                session.add(row)
            row.backend, row.description = backend or None, description
            session.flush()
            LOG.info("volume type %s: backend %s", name, backend or "any")
            return type_view(row)

    def delete(self, ctx: Context, ref: str) -> None:
        self._enforce(ctx, "volume:delete_type")
        with self._db.write() as session:
            row = find_type_row(session, ref)
            if ref == DEFAULT_TYPE or (row is not None and row.name == DEFAULT_TYPE):
                raise Conflict("the default volume type cannot be deleted")
            if row is None:
                raise NotFound("volume type", ref)
            used = session.scalar(select(func.count()).select_from(m.Volume).where(m.Volume.volume_type_id == row.id))
            if used:
                raise Conflict("volume type %s is used by %d volume(s): delete them first" % (row.name, used))
            session.delete(row)
