"""Volume snapshots through the policy.

A snapshot is a point-in-time copy of a volume on the volume's storage backend: an LVM snapshot
where device-mapper exists (``lvm`` backend), a copy of the volume's file (``file`` backend). It
counts against the ``snapshots`` and ``gigabytes`` quotas and claims its size on the backend.
A volume with snapshots cannot be deleted; volumes can be made from a snapshot (on its backend).
"""

from __future__ import annotations

import builtins
import logging

from sqlalchemy import select

from stackling.allocation_errors import CapacityExceeded, ConcurrentUpdate
from stackling.context import Context
from stackling.db import models as m
from stackling.errors import Conflict, NotFound, ValidationError
from stackling.placement.resource_classes import DISK_GB
from stackling.placement.types import ConsumerRef
from stackling.storage._volume_base import JobFailed, Snapshot, VolumeBase

LOG = logging.getLogger(__name__)


class SnapshotService(VolumeBase):
    def find(self, ctx: Context, ref: str) -> Snapshot | None:
        self._enforce(ctx, "volume:list_snapshots", {"project_id": ctx.project_id})
        with self._db.read() as session:
            row = self._find_snapshot(ctx, session, ref)
            return None if row is None else self._snapshot_view(ctx, session, row)

    def get(self, ctx: Context, ref: str) -> Snapshot:
        found = self.find(ctx, ref)
        if found is None:
            raise NotFound("volume snapshot", ref)
        return found

    def list(self, ctx: Context, *, volume: str | None = None, all_projects: bool = False) -> builtins.list[Snapshot]:
        self._enforce(ctx, "volume:list_snapshots", {"project_id": ctx.project_id})
        with self._db.read() as session:
            query = select(m.VolumeSnapshot).order_by(m.VolumeSnapshot.name, m.VolumeSnapshot.created_at)
            if volume is not None:
                parent = self._find_volume(ctx, session, volume)
                if parent is None:
                    raise NotFound("volume", volume)
                query = query.where(m.VolumeSnapshot.volume_id == parent.id)
            elif not all_projects:
                query = query.where(m.VolumeSnapshot.project_id == ctx.project_id)
            rows = [r for r in session.scalars(query) if self._may_see(ctx, r.project_id, "volume:get_snapshot")]
            return [self._snapshot_view(ctx, session, r) for r in rows]

    def create(self, ctx: Context, volume: str, name: str, description: str = "", force: bool = False) -> Snapshot:
        """Snapshot ``volume`` (an attached one only with ``force``: the guest may be writing)."""
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise ValidationError("name: a snapshot name must have 1 to 255 characters", field="name")
        with self._db.write() as session:
            parent = self._find_volume(ctx, session, volume)
            if parent is None:
                raise NotFound("volume", volume)
            self._enforce(ctx, "volume:create_snapshot", {"project_id": parent.project_id})
            if parent.status == "in-use" and not force:
                raise Conflict("volume %s is attached (in-use): detach it, or snapshot it with force" % parent.name)
            if parent.status not in ("available", "in-use") or parent.backend is None:
                raise Conflict("volume %s is %s: only an available volume can be snapshotted"
                               % (parent.name, parent.status))  # fmt: skip
            now = self._clock()
            with self.engines.quotas.reserve(session, parent.project_id, snapshots=1, gigabytes=parent.size_gb):
                row = m.VolumeSnapshot(id=m.new_id(), project_id=parent.project_id, user_id=ctx.user_id,
                                       volume_id=parent.id, name=name, description=description,
                                       size_gb=parent.size_gb, status="creating", fault="", created_at=now,
                                       updated_at=now)  # fmt: skip
                session.add(row)
                session.flush()
                provider = self.engines.placement.provider(session, parent.backend)
                try:
                    self.engines.placement.claim(session, ConsumerRef(row.id, row.project_id, ctx.user_id, "VOLUME"),
                                                 {provider.uuid: {DISK_GB: row.size_gb}})  # fmt: skip
                except (CapacityExceeded, ConcurrentUpdate) as exc:
                    raise Conflict("no room for a %d GiB snapshot on the volume's backend (%s)" % (row.size_gb, exc))
            snapshot_id, backend, volume_id, size = row.id, parent.backend, parent.id, parent.size_gb
        jobs = self.engines.jobs
        result = self._run(jobs.snapshot(backend, volume_id, snapshot_id, size, present=True))
        leftovers = [] if result.ok else \
            self._run_quietly([jobs.snapshot(backend, volume_id, snapshot_id, size, present=False)])  # fmt: skip
        with self._db.write() as session:
            made = session.get(m.VolumeSnapshot, snapshot_id)
            assert made is not None
            made.updated_at = self._clock()
            if result.ok:
                made.status = "available"
            else:
                self.engines.placement.delete_allocations(session, snapshot_id)
                made.status = "error"
                made.fault = "volume_snapshot failed on %s: %s%s" % (
                    backend, result.failure, " (clean-up failed too: %s)" % "; ".join(leftovers) if leftovers else "")
        LOG.info("snapshot %s of volume %s: %s", snapshot_id, volume_id, "available" if result.ok else "error")
        return self.get(ctx, snapshot_id)

    def delete(self, ctx: Context, ref: str) -> None:
        with self._db.write() as session:
            row = self._find_snapshot(ctx, session, ref)
            if row is None:
                raise NotFound("volume snapshot", ref)
            self._enforce(ctx, "volume:delete_snapshot", {"project_id": row.project_id})
            if row.status == "creating":
                raise Conflict("snapshot %s is creating: wait until it is done" % row.name)
            parent = session.get(m.Volume, row.volume_id)
            assert parent is not None
            snapshot_id, backend, volume_id, size = row.id, parent.backend, parent.id, row.size_gb
            row.status, row.updated_at = "deleting", self._clock()
        if backend is not None:
            result = self._run(self.engines.jobs.snapshot(backend, volume_id, snapshot_id, size, present=False))
            if not result.ok:
                with self._db.write() as session:
                    row = session.get(m.VolumeSnapshot, snapshot_id)
                    assert row is not None
                    row.status, row.fault = "error", "volume_snapshot (absent) failed on %s: %s" % (
                        backend, result.failure)
                    message = self._hide_hosts(session, result.failure)
                raise JobFailed("snapshot %s: deleting it on its storage host failed (%s)" % (snapshot_id, message))
        with self._db.write() as session:
            row = session.get(m.VolumeSnapshot, snapshot_id)
            assert row is not None
            self.engines.placement.delete_allocations(session, snapshot_id)
            self.engines.quotas.release(session, row.project_id, snapshots=1, gigabytes=row.size_gb)
            session.delete(row)
        LOG.info("deleted snapshot %s", snapshot_id)
