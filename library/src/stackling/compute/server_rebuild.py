"""Rebuilding a server (nova's rebuild): its root disk made again from an image, the rest kept.

    cloud.servers.rebuild(ctx, "web-1", "debian-12")   # ACTIVE again, booted from the new image

The server (``ACTIVE`` or ``SHUTOFF``) is ``REBUILD`` while ``server_power.yml`` shuts the guest
down and ``server_boot.yml`` removes the root disk and makes a new overlay on the image (cached on
the host as a build does), then starts it if it ran. Host, flavor, claim, ports, addresses, floating
IPs, metadata, the config drive (hostname, keys, user-data) and attached volumes stay. Everything
on the old root disk is lost, with the same image too. A failed step leaves the server ``ERROR``
(its old disk may be gone), the fault saying why; a rebuild again, or a delete, is the way on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from stackling.compute.image_fit import check_image_fits
from stackling.context import Context
from stackling.errors import Conflict, ValidationError
from stackling.images.types import Image

if TYPE_CHECKING:
    from stackling.compute.servers import Server, ServerService

LOG = logging.getLogger(__name__)


class ServerRebuilds:
    """The server service's rebuild (``ServerService.rebuild`` calls it)."""

    def __init__(self, servers: ServerService) -> None:
        self._s = servers

    def rebuild(self, ctx: Context, ref: str, image: str) -> Server:
        s = self._s
        new = s._images.get(ctx, image)
        if new.status != "active":
            raise ValidationError("image %s is %s, not active" % (new.name, new.status), field="image")
        with s._db.read() as session:
            server_id = s._permitted_row(ctx, session, ref, "compute:rebuild_server").id
        with s.operation_lock(server_id):  # a delete meanwhile waits for the rebuild to end
            return self._rebuild(ctx, server_id, new)

    def _rebuild(self, ctx: Context, ref: str, new: Image) -> Server:
        s = self._s
        with s._db.write() as session:
            row = s._permitted_row(ctx, session, ref, "compute:rebuild_server")
            if row.status not in ("ACTIVE", "SHUTOFF") or row.host is None:
                raise Conflict("server %s is %s: only an ACTIVE or SHUTOFF server can be rebuilt" % (row.name, row.status))
            flavor = s._flavors.find(ctx, row.flavor_id)
            check_image_fits(new, flavor.name if flavor else row.flavor_id, row.ram_mb, row.disk_gb, "image")
            server_id, host, was = row.id, row.host, row.status
            row.status, row.updated_at = "REBUILD", s._clock()
            s._record(session, server_id, "rebuild", host, "request", "ok", "image %s" % new.id)
            boot = s.boot_job(session, row, host, new.id, fresh_root_disk=True,
                              power_state="running" if was == "ACTIVE" else "shutdown")  # fmt: skip
        recorder = s.recorder(server_id, "rebuild")
        failure = None
        try:
            for job in (s._job("server_power", host, server={"uuid": server_id}, power_state="shutdown"), boot):
                result = recorder.run(job)
                if not result.ok:
                    failure = "%s: %s" % (job.playbook, result.failure)
                    break
        except BaseException as exc:
            failure = "%s: %s" % (type(exc).__name__, exc)
            raise
        finally:
            with s._db.write() as session:
                row = s._row(session, server_id)
                if failure is None:
                    row.image_id, row.status, row.fault = new.id, was, ""
                else:
                    row.status, row.fault = "ERROR", "rebuild failed on %s: %s" % (host, failure[:20000])
                row.updated_at = s._clock()
                s._record(session, server_id, "rebuild", host, "rebuild", row.status, failure or "")
        if failure is not None:
            with s._db.read() as session:
                shown = s._without_hosts(session, server_id, failure)
            raise Conflict("server %s could not be rebuilt, it is ERROR: %s" % (server_id, shown))
        LOG.info("server %s: rebuilt from image %s", server_id, new.id)
        with s._db.read() as session:
            return s._view(ctx, session, s._row(session, server_id))
