"""What the volume, snapshot and attachment services share: the engines, the node jobs, and
how a volume is shown to a caller (backends and hosts to cloud admins only)."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.clock import Clock
from stackling.compute._base import PolicyService
from stackling.conductor import JobResult, JobRunner, NodeJob
from stackling.context import Context
from stackling.db import Database
from stackling.db import models as m
from stackling.errors import Conflict
from stackling.placement.engine import PlacementEngine
from stackling.policy import Enforcer
from stackling.quota import QuotaEngine
from stackling.storage.volume_jobs import VolumeJobs, storage_host

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class VolumeAttachmentView:
    server_id: str
    device: str
    host: str | None  # None unless the caller passes volume:get_volume_host


@dataclass(frozen=True)
class Volume:
    id: str
    name: str
    description: str
    project_id: str
    user_id: str
    size_gb: int
    status: str
    fault: str
    volume_type: str
    backend: str | None  # None unless the caller passes volume:get_volume_host
    source_image_id: str | None
    source_snapshot_id: str | None
    attachments: tuple[VolumeAttachmentView, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Snapshot:
    id: str
    name: str
    description: str
    project_id: str
    volume_id: str
    size_gb: int
    status: str
    fault: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class VolumeEngines:
    """Everything below the policy that the volume services use."""

    clock: Clock
    runner: JobRunner
    jobs: VolumeJobs
    quotas: QuotaEngine
    placement: PlacementEngine


class JobFailed(Conflict):
    """A node job failed; the message is the failed step (hosts hidden from tenants by the caller)."""


class VolumeBase(PolicyService):
    def __init__(self, db: Database, enforcer: Enforcer, engines: VolumeEngines) -> None:
        super().__init__(db, enforcer)
        self.engines = engines
        self._clock = engines.clock

    def _run(self, job: NodeJob) -> JobResult:
        result = self.engines.runner.run(job)
        if result.ok:
            LOG.info("%s on %s: %s", job.playbook, job.host, "changed" if result.changed else "ok")
        else:
            LOG.warning("%s on %s failed: %s", job.playbook, job.host, result.failure)
        return result

    def _run_quietly(self, jobs: Sequence[NodeJob]) -> list[str]:
        """Clean-up jobs: each failure is logged and returned, never raised."""
        failures = []
        for job in jobs:
            try:
                result = self._run(job)
            except Exception as exc:  # noqa: BLE001  (a clean-up must not hide the first error)
                failures.append("%s on %s: %s" % (job.playbook, job.host, exc))
                continue
            if not result.ok:
                failures.append("%s on %s: %s" % (job.playbook, job.host, result.failure))
        return failures

    # --- visibility -------------------------------------------------------------------------------
    def _may_see(self, ctx: Context, project_id: str, action: str = "volume:get_volume") -> bool:
        return self._enforcer.check(action, {"project_id": project_id}, ctx)

    def _is_admin(self, ctx: Context, project_id: str) -> bool:
        return self._enforcer.check("volume:get_volume_host", {"project_id": project_id}, ctx)

    def _find_volume(self, ctx: Context, session: Session, ref: str) -> m.Volume | None:
        """The volume with id ``ref``, or named ``ref`` in the caller's project, if the caller may see it."""
        row = session.get(m.Volume, ref)
        if row is not None:
            return row if self._may_see(ctx, row.project_id) else None
        named = [r for r in session.scalars(select(m.Volume).where(m.Volume.name == ref,
                                                                   m.Volume.project_id == ctx.project_id)
                                            .order_by(m.Volume.created_at, m.Volume.id))
                 if self._may_see(ctx, r.project_id)]  # fmt: skip
        if len(named) > 1:
            raise Conflict("several volumes are named %r; use the id" % ref)
        return named[0] if named else None

    def _find_snapshot(self, ctx: Context, session: Session, ref: str) -> m.VolumeSnapshot | None:
        row = session.get(m.VolumeSnapshot, ref)
        if row is None:
            row = session.scalars(select(m.VolumeSnapshot).where(
                m.VolumeSnapshot.name == ref, m.VolumeSnapshot.project_id == ctx.project_id)).first()  # fmt: skip
        return row if row is not None and self._may_see(ctx, row.project_id, "volume:get_snapshot") else None

    def _hide_hosts(self, session: Session, text: str) -> str:
        """``text`` with the cloud's host names replaced by ``<host>`` (where things run is for admins)."""
        names = set(session.scalars(select(m.ResourceProvider.name)))
        names.update(storage_host(b) for b in session.scalars(select(m.Volume.backend)) if b)
        names.update(session.scalars(select(m.VolumeAttachment.host)))
        for name in sorted((n for n in names if n), key=len, reverse=True):
            text = re.sub(r"(?<![\w.-])%s(?![\w.-])" % re.escape(name), "<host>", text)
        return text

    def _volume_view(self, ctx: Context, session: Session, row: m.Volume) -> Volume:
        admin = self._is_admin(ctx, row.project_id)
        vtype = session.get(m.VolumeType, row.volume_type_id)
        attached = session.scalars(select(m.VolumeAttachment).where(m.VolumeAttachment.volume_id == row.id)).all()
        fault = row.fault if admin or not row.fault else self._hide_hosts(session, row.fault)
        return Volume(
            id=row.id, name=row.name, description=row.description, project_id=row.project_id, user_id=row.user_id,
            size_gb=row.size_gb, status=row.status, fault=fault,
            volume_type=vtype.name if vtype is not None else row.volume_type_id,
            backend=row.backend if admin else None, source_image_id=row.source_image_id,
            source_snapshot_id=row.source_snapshot_id,
            attachments=tuple(VolumeAttachmentView(a.server_id, a.device, a.host if admin else None) for a in attached),
            created_at=row.created_at, updated_at=row.updated_at,
        )  # fmt: skip

    def _snapshot_view(self, ctx: Context, session: Session, row: m.VolumeSnapshot) -> Snapshot:
        admin = self._is_admin(ctx, row.project_id)
        fault = row.fault if admin or not row.fault else self._hide_hosts(session, row.fault)
        return Snapshot(row.id, row.name, row.description, row.project_id, row.volume_id, row.size_gb, row.status,
                        fault, row.created_at, row.updated_at)  # fmt: skip

    def _set_status(self, volume_id: str, status: str, fault: str | None = None) -> None:
        with self._db.write() as session:
            row = session.get(m.Volume, volume_id)
            if row is not None:
                row.status, row.updated_at = status, self._clock()
                if fault is not None:
                    row.fault = fault[:20000]
