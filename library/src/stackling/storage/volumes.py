"""Volumes through the policy (docs/volumes.md).

    volume = cloud.volumes.create(ctx, VolumeRequest("data", size_gb=10))   # available, or error + fault
    cloud.volumes.extend(ctx, volume.id, 20)
    cloud.volumes.delete(ctx, volume.id)

``create`` counts the quota (volumes, gigabytes) and makes the row (creating) in one transaction,
lets the volume scheduler choose a backend of the volume type and claim DISK_GB there, then runs
``volume_create`` on the backend's storage host. A failed create runs ``volume_delete`` there and
gives the claim back: the volume is ``error`` with ``fault`` saying why, holding only its quota
until it is deleted (as cinder's).
"""

from __future__ import annotations

import builtins
import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stackling.allocation_errors import CapacityExceeded, ConcurrentUpdate, NoValidHost
from stackling.context import Context
from stackling.db import Database
from stackling.db import models as m
from stackling.errors import Conflict, NotFound, ValidationError
from stackling.images import ImageService
from stackling.placement.resource_classes import DISK_GB
from stackling.placement.types import ConsumerRef
from stackling.policy import Enforcer
from stackling.scheduler.volume.backend_state import VolumeRequest as SchedulerRequest
from stackling.scheduler.volume.scheduler import VolumeScheduler
from stackling.storage._volume_base import JobFailed, Volume, VolumeBase, VolumeEngines
from stackling.storage.volume_types import DEFAULT_TYPE, ensure_type_row, type_view

LOG = logging.getLogger(__name__)
GIB = 1 << 30
MAX_NAME = 255


@dataclass(frozen=True)
class VolumeRequest:
    """``image`` and ``snapshot``: ids or names the caller may see (at most one of them)."""

    name: str
    size_gb: int
    volume_type: str | None = None
    image: str | None = None
    snapshot: str | None = None
    description: str = ""


@dataclass(frozen=True)
class _Source:
    image: dict[str, str] | None = None
    image_id: str | None = None
    snapshot_id: str | None = None
    backend: str | None = None  # a snapshot's volume's backend: the new volume goes there too


class VolumeService(VolumeBase):
    def __init__(self, db: Database, enforcer: Enforcer, engines: VolumeEngines, *, scheduler: VolumeScheduler,
                 images: ImageService) -> None:  # fmt: skip
        super().__init__(db, enforcer, engines)
        self._scheduler = scheduler
        self._images = images

    # --- reading -------------------------------------------------------------------------------------
    def find(self, ctx: Context, ref: str) -> Volume | None:
        self._enforce(ctx, "volume:list_volumes", {"project_id": ctx.project_id})
        with self._db.read() as session:
            row = self._find_volume(ctx, session, ref)
            return None if row is None else self._volume_view(ctx, session, row)

    def get(self, ctx: Context, ref: str) -> Volume:
        found = self.find(ctx, ref)
        if found is None:
            raise NotFound("volume", ref)
        return found

    def list(self, ctx: Context, *, all_projects: bool = False) -> builtins.list[Volume]:
        """The caller's project's volumes by name; ``all_projects``: every volume the caller may see."""
        self._enforce(ctx, "volume:list_volumes", {"project_id": ctx.project_id})
        with self._db.read() as session:
            query = select(m.Volume).order_by(m.Volume.name, m.Volume.created_at, m.Volume.id)
            if not all_projects:
                query = query.where(m.Volume.project_id == ctx.project_id)
            rows = [r for r in session.scalars(query) if self._may_see(ctx, r.project_id)]
            return [self._volume_view(ctx, session, r) for r in rows]

    # --- creating ------------------------------------------------------------------------------------
    def create(self, ctx: Context, request: VolumeRequest) -> Volume:
        """Make a volume; returns it available, or error with ``fault``. Bad requests raise first."""
        if ctx.project_id is None:
            raise ValidationError("volumes belong to a project: use a project-scoped token")
        self._enforce(ctx, "volume:create_volume", {"project_id": ctx.project_id})
        if not isinstance(request.name, str) or not request.name.strip() or len(request.name) > MAX_NAME:
            raise ValidationError("name: a volume name must have 1 to 255 characters", field="name")
        if isinstance(request.size_gb, bool) or not isinstance(request.size_gb, int) or request.size_gb < 1:
            raise ValidationError("size_gb: expected a whole number of GiB >= 1, got %r" % (request.size_gb,),
                                  field="size_gb")  # fmt: skip
        if request.image is not None and request.snapshot is not None:
            raise ValidationError("image, snapshot: give at most one source", field="image")
        source = self._source(ctx, request)
        volume_id, type_id = self._insert(ctx, request, source)
        try:
            self._place_and_build(ctx, volume_id, type_id, request.size_gb, source)
        except BaseException as exc:
            self._set_status(volume_id, "error", "%s: %s" % (type(exc).__name__, exc))
            raise
        return self.get(ctx, volume_id)

    def _source(self, ctx: Context, request: VolumeRequest) -> _Source:
        if request.image is not None:
            image = self._images.get(ctx, request.image)
            if image.status != "active":
                raise ValidationError("image: %s is %s, not active" % (image.name, image.status), field="image")
            needed = max(-(-image.virtual_size_bytes // GIB), image.min_disk_gb)
            if request.size_gb < needed:
                raise ValidationError("size_gb: image %s needs a volume of at least %d GiB" % (image.name, needed),
                                      field="size_gb")  # fmt: skip
            path = str(self._images.store.path_of(image.id))
            return _Source(image={"path": path, "format": image.disk_format}, image_id=image.id)
        if request.snapshot is not None:
            with self._db.read() as session:
                snap = self._find_snapshot(ctx, session, request.snapshot)
                if snap is None:
                    raise NotFound("volume snapshot", request.snapshot)
                if snap.status != "available":
                    raise Conflict("snapshot %s is %s, not available" % (snap.name, snap.status))
                if request.size_gb < snap.size_gb:
                    raise ValidationError("size_gb: snapshot %s is %d GiB; the volume needs at least that"
                                          % (snap.name, snap.size_gb), field="size_gb")  # fmt: skip
                parent = session.get(m.Volume, snap.volume_id)
                return _Source(snapshot_id=snap.id, backend=parent.backend if parent is not None else None)
        return _Source()

    def _insert(self, ctx: Context, request: VolumeRequest, source: _Source) -> tuple[str, str]:
        assert ctx.project_id is not None
        with self._db.write() as session:
            vtype = ensure_type_row(session, request.volume_type or DEFAULT_TYPE, self._clock)
            if vtype is None:
                raise NotFound("volume type", request.volume_type or DEFAULT_TYPE)
            now = self._clock()
            with self.engines.quotas.reserve(session, ctx.project_id, volumes=1, gigabytes=request.size_gb):
                row = m.Volume(
                    id=m.new_id(), project_id=ctx.project_id, user_id=ctx.user_id, name=request.name,
                    description=request.description, size_gb=request.size_gb, status="creating", fault="",
                    volume_type_id=vtype.id, backend=None, source_image_id=source.image_id,
                    source_snapshot_id=source.snapshot_id, created_at=now, updated_at=now,
                )  # fmt: skip
                session.add(row)
                session.flush()
            LOG.info("volume %s (%s, %d GiB) in project %s: creating", row.id, request.name, request.size_gb,
                     ctx.project_id)  # fmt: skip
            return row.id, vtype.id

    def _place_and_build(self, ctx: Context, volume_id: str, type_id: str, size_gb: int, source: _Source) -> None:
        assert ctx.project_id is not None
        with self._db.read() as session:
            vtype = session.get(m.VolumeType, type_id)
            assert vtype is not None
            allowed = type_view(vtype)
        consumer = ConsumerRef(volume_id, ctx.project_id, ctx.user_id, "VOLUME")
        try:
            backend = self._scheduler.schedule_and_claim(
                self._db, consumer, SchedulerRequest(size_gb),
                only=lambda b: allowed.allows(b.name) and (source.backend is None or b.name == source.backend),
            ).name  # fmt: skip
        except NoValidHost as exc:
            self._set_status(volume_id, "error", str(exc))
            return
        with self._db.write() as session:
            row = session.get(m.Volume, volume_id)
            assert row is not None
            row.backend = backend
        jobs = self.engines.jobs
        result = self._run(jobs.create(backend, volume_id, size_gb, source.image, source.snapshot_id))
        if result.ok:
            self._set_status(volume_id, "available", "")
            return
        leftovers = self._run_quietly([jobs.delete(backend, volume_id)])
        with self._db.write() as session:
            self.engines.placement.delete_allocations(session, volume_id)
        fault = "volume_create failed on %s: %s" % (backend, result.failure)
        if leftovers:
            fault += " (clean-up failed too: %s)" % "; ".join(leftovers)
        self._set_status(volume_id, "error", fault)

    # --- extending -----------------------------------------------------------------------------------
    def extend(self, ctx: Context, ref: str, size_gb: int) -> Volume:
        """Grow an available volume to ``size_gb`` (never shrink); quota and the claim grow first."""
        with self._db.write() as session:
            row = self._find_volume(ctx, session, ref)
            if row is None:
                raise NotFound("volume", ref)
            self._enforce(ctx, "volume:extend_volume", {"project_id": row.project_id})
            if isinstance(size_gb, bool) or not isinstance(size_gb, int) or size_gb <= row.size_gb:
                raise ValidationError("size_gb: volume %s is %d GiB; it can only grow (asked %r)"
                                      % (row.name, row.size_gb, size_gb), field="size_gb")  # fmt: skip
            if row.status != "available" or row.backend is None:
                raise Conflict("volume %s is %s: only an available volume can be extended" % (row.name, row.status))
            volume_id, backend, old = row.id, row.backend, row.size_gb
            self._claim(session, row, size_gb)
            self.engines.quotas.claim(session, row.project_id, {"gigabytes": size_gb - old})
            row.status, row.updated_at = "extending", self._clock()
        result = self._run(self.engines.jobs.extend(backend, volume_id, size_gb))
        with self._db.write() as session:
            row = session.get(m.Volume, volume_id)
            assert row is not None
            row.status, row.updated_at = "available", self._clock()
            if result.ok:
                row.size_gb = size_gb
            else:  # the volume keeps its size: give the growth back
                self._claim(session, row, old)
                self.engines.quotas.release(session, row.project_id, gigabytes=size_gb - old)
                message = result.failure if self._is_admin(ctx, row.project_id) else \
                    self._hide_hosts(session, result.failure)  # fmt: skip
        if not result.ok:
            raise JobFailed("volume %s could not be extended: %s" % (volume_id, message))
        return self.get(ctx, volume_id)

    def _claim(self, session: Session, row: m.Volume, size_gb: int) -> None:
        assert row.backend is not None
        provider = self.engines.placement.provider(session, row.backend)
        consumer = ConsumerRef(row.id, row.project_id, row.user_id, "VOLUME")
        try:
            placement = self.engines.placement
            generation = placement.consumer_generation(session, row.id)  # a resize replaces the allocation
            placement.claim(session, consumer, {provider.uuid: {DISK_GB: size_gb}}, generation)
        except (CapacityExceeded, ConcurrentUpdate) as exc:
            raise Conflict("volume %s: its storage backend has no room for %d GiB (%s)" % (row.id, size_gb, exc))

    # --- deleting ------------------------------------------------------------------------------------
    def delete(self, ctx: Context, ref: str) -> None:
        """Delete a volume that is not attached and has no snapshots: its LV or file (and any
        export) on the storage host, its claim and its quota."""
        with self._db.write() as session:
            row = self._find_volume(ctx, session, ref)
            if row is None:
                raise NotFound("volume", ref)
            self._enforce(ctx, "volume:delete_volume", {"project_id": row.project_id})
            attached = session.scalars(select(m.VolumeAttachment).where(m.VolumeAttachment.volume_id == row.id)).first()
            if attached is not None:
                raise Conflict("volume %s is attached to server %s: detach it first" % (row.name, attached.server_id))
            snapshots = session.scalar(select(func.count()).select_from(m.VolumeSnapshot)
                                       .where(m.VolumeSnapshot.volume_id == row.id))  # fmt: skip
            if snapshots:
                raise Conflict("volume %s has %d snapshot(s): delete them first" % (row.name, snapshots))
            if row.status in ("creating", "extending"):
                raise Conflict("volume %s is %s: wait until it is done" % (row.name, row.status))
            volume_id, backend = row.id, row.backend
            row.status, row.updated_at = "deleting", self._clock()
        if backend is not None:
            result = self._run(self.engines.jobs.delete(backend, volume_id))
            if not result.ok:
                fault = "volume_delete failed on %s: %s" % (backend, result.failure)
                self._set_status(volume_id, "error", fault)
                with self._db.read() as session:
                    message = self._hide_hosts(session, result.failure)
                raise JobFailed("volume %s: deleting it on its storage host failed (%s); it stays in error, "
                                "delete it again when the host is back" % (volume_id, message))  # fmt: skip
        with self._db.write() as session:
            row = session.get(m.Volume, volume_id)
            assert row is not None
            self.engines.placement.delete_allocations(session, volume_id)
            self.engines.quotas.release(session, row.project_id, volumes=1, gigabytes=row.size_gb)
            session.delete(row)
        LOG.info("deleted volume %s", volume_id)
