"""Changing a server's security groups after it was booted (nova's add/remove security group).

    cloud.servers.set_security_groups(ctx, "web-1", ["default", "web"])

Every port of the server is put in exactly the named groups of the caller's project (none: the
project's ``default``), as neutron's port update does. The port filters on the server's host are
rewritten at once by ``port_security.yml`` (no restart: the guest keeps running), and so are the
filters of other servers whose rules name one of the old or new groups as remote group (their set
of member addresses changed). If the server's own filter cannot be written, the groups it had are
put back (and their filter written again) and the call raises Conflict.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import delete as sql_delete

from stackling.context import Context
from stackling.db import models as m
from stackling.errors import Conflict
from stackling.networking.port_security import groups_of, items_for
from stackling.networking.security_groups import SecurityGroupService

if TYPE_CHECKING:
    from stackling.compute.servers import Server, ServerService

LOG = logging.getLogger(__name__)


class ServerGroupsChange:
    """The server service's ``set_security_groups``."""

    def __init__(self, servers: ServerService) -> None:
        self._s = servers

    def set_security_groups(self, ctx: Context, ref: str, groups: Sequence[str]) -> Server:
        s = self._s
        if s._security_groups is None:
            raise Conflict("this cloud does not filter ports: it has no security groups")
        with s._db.read() as session:
            row = s._permitted_row(ctx, session, ref, "compute:update_server")
            if row.status not in ("ACTIVE", "SHUTOFF") or row.host is None:
                raise Conflict("server %s is %s: the groups of an ACTIVE or SHUTOFF server can change"
                               % (row.name, row.status))  # fmt: skip
            if row.project_id != ctx.project_id:
                raise Conflict("server %s is of another project: change its groups with a token of its project"
                               % row.name)  # fmt: skip
            server_id, host = row.id, row.host
            ports = [p.id for p in s._ports(session, server_id)]
            before = {port: sorted(groups_of(session, [port])) for port in ports}
        wanted = sorted(s._security_groups.resolve(ctx, groups))
        if all(before[port] == wanted for port in ports):
            with s._db.read() as session:
                return s._view(ctx, session, s._row(session, server_id))
        touched = set(wanted).union(*before.values())  # remote-group members change in old and new groups
        self._bind(server_id, {port: wanted for port in ports}, "security groups %s" % ", ".join(wanted))
        failure = self._filters(server_id, host, ports, touched)
        if failure is not None:
            self._bind(server_id, before, "put back")
            self._filters(server_id, host, ports, touched)
            with s._db.read() as session:
                shown = s._without_hosts(session, server_id, failure)
            raise Conflict("server %s: its ports' filters could not be written, its groups are as they were: %s"
                           % (server_id, shown))  # fmt: skip
        LOG.info("server %s: security groups %s", server_id, wanted)
        with s._db.read() as session:
            return s._view(ctx, session, s._row(session, server_id))

    def _bind(self, server_id: str, groups: dict[str, builtins.list[str]], why: str) -> None:
        s = self._s
        with s._db.write() as session:
            for port, group_ids in groups.items():
                session.execute(sql_delete(m.PortSecurityGroup).where(m.PortSecurityGroup.port_id == port))
                SecurityGroupService.bind(session, port, group_ids)
            s._record(session, server_id, "security_groups", None, "request", "ok", why)

    def _filters(self, server_id: str, host: str, ports: builtins.list[str], touched: set[str]) -> str | None:
        """The server's port filters written on its host (the failure, or None), then quietly the
        filters of the other ports whose remote groups changed members."""
        s = self._s
        with s._db.read() as session:
            own = s._job("port_security", host, port_security=items_for(session, s._ipam, ports))
            others = s.port_security_jobs(session, touched, membership=True, exclude_server=server_id)
        result = s.recorder(server_id, "security_groups").run(own)
        if not result.ok:
            return result.failure
        s._run_quietly(s.node_jobs, others)
        return None
