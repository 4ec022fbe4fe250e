"""Attaching volumes to servers through the policy.

On an all-in-one (the volume's storage host is the server's compute host) the volume's block
device or file goes straight into the libvirt domain. Across hosts the storage host exports it
with tgt (one target per volume, its ACL naming the compute host's initiator) and the compute
host attaches it through QEMU's own iSCSI client. The guest sees a new virtio disk (``vdc``
onwards: ``vda`` is the root disk, ``vdb`` the config drive). One server per volume.
"""

from __future__ import annotations

import builtins
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.context import Context
from stackling.db import models as m
from stackling.errors import Conflict, NotFound
from stackling.storage._volume_base import JobFailed, Volume, VolumeBase

LOG = logging.getLogger(__name__)
FIRST_DEVICE = "c"  # vda: root disk, vdb: config drive


@dataclass(frozen=True)
class _Plan:
    volume_id: str
    server_id: str
    backend: str
    host: str
    device: str


def next_device(used: builtins.set[str]) -> str:
    for letter in "cdefghijklmnopqrstuvwxyz":
        if "vd" + letter not in used:
            return "vd" + letter
    raise Conflict("the server has no free disk name left (vdc to vdz are taken)")


class AttachmentService(VolumeBase):
    def attach(self, ctx: Context, volume: str, server: str) -> Volume:
        """Attach an available volume to a server of the same project (ACTIVE or SHUTOFF)."""
        plan = self._reserve(ctx, volume, server)
        jobs = self.engines.jobs
        try:
            connection = jobs.connection(plan.backend, plan.host, plan.volume_id)
        except Exception:
            self._forget(plan.volume_id)
            raise
        steps = []
        if connection.mode == "iscsi":
            steps.append(jobs.export(plan.backend, plan.volume_id, connection, present=True))
        steps.append(jobs.attach(plan.host, plan.server_id, plan.volume_id, plan.device, connection))
        for job in steps:
            result = self._run(job)
            if not result.ok:
                undo = [jobs.detach(plan.host, plan.server_id, plan.volume_id, plan.device)]
                if connection.mode == "iscsi":
                    undo.append(jobs.export(plan.backend, plan.volume_id, connection, present=False))
                self._run_quietly(undo)
                self._forget(plan.volume_id)
                with self._db.read() as session:
                    message = result.failure if self._is_admin(ctx, ctx.project_id or "") else \
                        self._hide_hosts(session, result.failure)  # fmt: skip
                raise JobFailed("volume %s could not be attached: %s" % (plan.volume_id, message))
        with self._db.write() as session:
            row = session.scalars(select(m.VolumeAttachment).where(m.VolumeAttachment.volume_id == plan.volume_id)).one()
            row.mode = connection.mode
        LOG.info("volume %s attached to server %s as %s", plan.volume_id, plan.server_id, plan.device)
        with self._db.read() as session:
            found = session.get(m.Volume, plan.volume_id)
            assert found is not None
            return self._volume_view(ctx, session, found)

    def _reserve(self, ctx: Context, volume: str, server: str) -> _Plan:
        """The attachment row (the volume in-use), checked and written in one transaction."""
        with self._db.write() as session:
            row = self._find_volume(ctx, session, volume)
            if row is None:
                raise NotFound("volume", volume)
            self._enforce(ctx, "volume:attach_volume", {"project_id": row.project_id})
            target = self._find_server(ctx, session, server)
            if target is None:
                raise NotFound("server", server)
            if target.project_id != row.project_id:
                raise Conflict("volume %s and server %s are in different projects: a volume attaches only to "
                               "servers of its own project" % (row.name, target.name))  # fmt: skip
            current = session.scalars(select(m.VolumeAttachment).where(m.VolumeAttachment.volume_id == row.id)).first()
            if current is not None:
                raise Conflict("volume %s is already attached to server %s" % (row.name, current.server_id))
            if row.status != "available" or row.backend is None:
                raise Conflict("volume %s is %s: only an available volume can be attached" % (row.name, row.status))
            if target.status not in ("ACTIVE", "SHUTOFF") or target.host is None:
                raise Conflict("server %s is %s: volumes attach to ACTIVE or SHUTOFF servers"
                               % (target.name, target.status))
            used = set(session.scalars(select(m.VolumeAttachment.device)
                                       .where(m.VolumeAttachment.server_id == target.id)))  # fmt: skip
            device = next_device(used)
            session.add(m.VolumeAttachment(id=m.new_id(), volume_id=row.id, server_id=target.id, device=device,
                                           host=target.host, mode="pending", created_at=self._clock()))  # fmt: skip
            row.status, row.updated_at = "in-use", self._clock()
            return _Plan(row.id, target.id, row.backend, target.host, device)

    def _find_server(self, ctx: Context, session: Session, ref: str) -> m.Server | None:
        row = session.get(m.Server, ref)
        if row is None:
            row = session.scalars(select(m.Server).where(m.Server.name == ref, m.Server.project_id == ctx.project_id)
                                  .order_by(m.Server.created_at)).first()  # fmt: skip
        if row is None or not self._enforcer.check("compute:get_server", {"project_id": row.project_id}, ctx):
            return None
        return row

    def _forget(self, volume_id: str) -> None:
        """The attachment row gone and the volume available again."""
        with self._db.write() as session:
            for row in session.scalars(select(m.VolumeAttachment).where(m.VolumeAttachment.volume_id == volume_id)):
                session.delete(row)
            volume = session.get(m.Volume, volume_id)
            if volume is not None:
                volume.status, volume.updated_at = "available", self._clock()

    def detach(self, ctx: Context, volume: str, server: str | None = None) -> Volume:
        """Detach the volume (from ``server``, if given, it must be that one); not attached: unchanged."""
        with self._db.read() as session:
            row = self._find_volume(ctx, session, volume)
            if row is None:
                raise NotFound("volume", volume)
            self._enforce(ctx, "volume:detach_volume", {"project_id": row.project_id})
            attached = session.scalars(select(m.VolumeAttachment).where(m.VolumeAttachment.volume_id == row.id)).first()
            if server is not None:
                target = self._find_server(ctx, session, server)
                if target is None:
                    raise NotFound("server", server)
                if attached is not None and attached.server_id != target.id:
                    raise Conflict("volume %s is attached to server %s, not to %s"
                                   % (row.name, attached.server_id, target.name))
            volume_id = row.id
            plan = None if attached is None else (attached.server_id, attached.host, attached.device, row.backend)
        if plan is not None:
            server_id, host, device, backend = plan
            jobs = self.engines.jobs
            result = self._run(jobs.detach(host, server_id, volume_id, device))
            if result.ok and backend is not None and backend.split("@", 1)[0] != host:
                result = self._run(jobs.export(backend, volume_id, jobs.connection(backend, host, volume_id),
                                               present=False))  # fmt: skip
            if not result.ok:
                with self._db.read() as session:
                    message = self._hide_hosts(session, result.failure)
                raise JobFailed("volume %s could not be detached: %s" % (volume_id, message))
            self._forget(volume_id)
            LOG.info("volume %s detached from server %s", volume_id, server_id)
        with self._db.read() as session:
            found = session.get(m.Volume, volume_id)
            assert found is not None
            return self._volume_view(ctx, session, found)

    def release_server(self, server_id: str) -> None:
        """A deleted server's volumes: its domain is gone (server_delete.yml), so only the exports on
        the storage hosts go, and the volumes are available again. Called by ServerService.delete."""
        with self._db.read() as session:
            rows = session.execute(
                select(m.VolumeAttachment, m.Volume.backend)
                .join(m.Volume, m.Volume.id == m.VolumeAttachment.volume_id)
                .where(m.VolumeAttachment.server_id == server_id)
            ).all()
            plans = [(a.volume_id, a.host, backend) for a, backend in rows]
        jobs = self.engines.jobs
        for volume_id, host, backend in plans:
            if backend is not None and backend.split("@", 1)[0] != host:
                failures = self._run_quietly([jobs.export(backend, volume_id, jobs.connection(backend, host, volume_id),
                                                          present=False)])  # fmt: skip
                for failure in failures:
                    LOG.warning("volume %s: its export stays on its storage host: %s", volume_id, failure)
            self._forget(volume_id)
