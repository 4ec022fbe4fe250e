"""Instance snapshots (nova's createImage): a server's root disk becomes an image of the caller's project.

    image = cloud.servers.snapshot(ctx, "web-1", "web-1-2026-11-29")

``server_snapshot.yml`` on the server's host copies the root disk with its base into one qcow2
file (a running guest is paused meanwhile: crash-consistent) and brings it into the conductor's
work directory; the image service then stores it as any upload (qemu-img checked, checksummed).
Like nova's, the image says what it came from: ``image_type: snapshot``, ``instance_uuid``,
``base_image_ref``, the base image's other properties, and ``min_disk`` (the server's root disk)
and ``min_ram`` (the base image's). The server keeps its status (nova shows the snapshot as a task
state, not a status). Nothing is left behind when a step fails: no image, no file.
"""

from __future__ import annotations

import logging
import shutil
from typing import TYPE_CHECKING

from stackling.context import Context
from stackling.errors import Conflict, NotFound
from stackling.images.service import ImageSpec
from stackling.images.types import Image

if TYPE_CHECKING:
    from stackling.compute.servers import ServerService

LOG = logging.getLogger(__name__)
# the base image's own properties that would be wrong for the snapshot
_NOT_INHERITED = frozenset(("image_type", "instance_uuid", "base_image_ref"))


class ServerSnapshots:
    """The server service's snapshot (``ServerService.snapshot`` calls it)."""

    def __init__(self, servers: ServerService) -> None:
        self._s = servers

    def snapshot(self, ctx: Context, ref: str, name: str) -> Image:
        s = self._s
        with s._db.read() as session:
            row = s._permitted_row(ctx, session, ref, "compute:create_image")
            if row.status not in ("ACTIVE", "SHUTOFF") or row.host is None:
                raise Conflict("server %s is %s: only an ACTIVE or SHUTOFF server can be snapshotted"
                               % (row.name, row.status))  # fmt: skip
            server_id, host, base_id, disk_gb = row.id, row.host, row.image_id, row.disk_gb
        if s._images.find(ctx, name, own=True) is not None:  # before the copy, not after it
            raise Conflict("your project has an image named %r (images are immutable: delete it, or pick another "
                           "name)" % name)  # fmt: skip
        properties = {"image_type": "snapshot", "instance_uuid": server_id, "base_image_ref": base_id}
        min_ram = 0
        try:
            base = s._images.get(ctx, base_id)
        except NotFound:  # the base is gone or not the caller's to see: the snapshot stands alone
            base = None
        if base is not None:
            properties.update((k, v) for k, v in base.properties.items() if k not in _NOT_INHERITED)
            min_ram = base.min_ram_mb
        spec = ImageSpec(properties=properties, min_disk_gb=disk_gb, min_ram_mb=min_ram)
        files = s.conductor.work_dir / "snapshots" / server_id
        with s._db.write() as session:
            s._record(session, server_id, "createImage", host, "request", "ok", name)
        try:
            job = s._job("server_snapshot", host, server={"uuid": server_id}, server_files=str(files))
            result = s.recorder(server_id, "createImage").run(job)
            if not result.ok:
                with s._db.read() as session:
                    shown = s._without_hosts(session, server_id, result.failure)
                raise Conflict("server %s could not be snapshotted: %s" % (server_id, shown))
            image = s._images.create_from_file(ctx, name, files / "snapshot.qcow2", disk_format="qcow2", spec=spec)
        finally:
            shutil.rmtree(files, ignore_errors=True)
        LOG.info("server %s: snapshot %s is image %s", server_id, name, image.id)
        return image
