"""Which ports' filters a change touches, and their port_security.yml items (reads only, in the
caller's transaction). A server port's filter is on its server's host; it depends on the rules of
the port's groups and on the members of the groups those rules name as remote group, so a rule
change touches the group's members, and a membership change (a server made or deleted) touches
the members of every group whose rules name that group."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.db import models as m
from stackling.ipam import Ipam
from stackling.networking.port_filter import PortFilter, port_security
from stackling.networking.security_groups import _rule


def groups_of(session: Session, port_ids: Iterable[str]) -> set[str]:
    ids = list(port_ids)
    if not ids:
        return set()
    return set(session.scalars(
        select(m.PortSecurityGroup.security_group_id).where(m.PortSecurityGroup.port_id.in_(ids))
    ))  # fmt: skip


def port_filter(session: Session, ipam: Ipam, port_id: str) -> PortFilter | None:
    """The port's filter; None when the port is in no group (it is not filtered)."""
    group_ids = groups_of(session, [port_id])
    port = session.get(m.Port, port_id)
    if not group_ids or port is None:
        return None
    rows = session.scalars(
        select(m.SecurityGroupRule)
        .where(m.SecurityGroupRule.security_group_id.in_(group_ids))
        .order_by(m.SecurityGroupRule.created_at, m.SecurityGroupRule.id)
    ).all()
    rules = tuple(_rule(row) for row in rows)
    remotes = {rule.remote_group_id for rule in rules if rule.remote_group_id}
    members = {group_id: tuple(sorted(_member_addresses(session, ipam, group_id))) for group_id in remotes}
    addresses = tuple(ip.ip_address for ip in ipam.get_port(session, port_id).fixed_ips)
    return PortFilter(port_id, port.mac_address, addresses, rules, members)


def _member_addresses(session: Session, ipam: Ipam, group_id: str) -> set[str]:
    ports = session.scalars(
        select(m.PortSecurityGroup.port_id).where(m.PortSecurityGroup.security_group_id == group_id)
    ).all()
    return {ip.ip_address for port_id in ports for ip in ipam.get_port(session, port_id).fixed_ips}


def items_for(session: Session, ipam: Ipam, port_ids: Iterable[str]) -> list[dict[str, Any]]:
    """port_security.yml's ``port_security`` for the ports (those in no group are left out)."""
    filters = (port_filter(session, ipam, port_id) for port_id in port_ids)
    return [port_security(found) for found in filters if found is not None]


def touched_by(session: Session, ipam: Ipam, group_ids: Iterable[str], *, membership: bool,
               exclude_server: str | None = None) -> dict[str, list[dict[str, Any]]]:  # fmt: skip
    """Host -> port_security items of the server ports whose filter changes: after a rule change
    in ``group_ids``, their members; after a membership change (``membership``), the members of
    the groups with a rule naming one of them as remote group."""
    wanted = set(group_ids)
    if membership:
        wanted = set(session.scalars(
            select(m.SecurityGroupRule.security_group_id).where(m.SecurityGroupRule.remote_group_id.in_(wanted))
        ))  # fmt: skip
    if not wanted:
        return {}
    rows = session.execute(
        select(m.Server.host, m.Port.id)
        .join(m.Port, m.Port.device_id == m.Server.id)
        .join(m.PortSecurityGroup, m.PortSecurityGroup.port_id == m.Port.id)
        .where(m.PortSecurityGroup.security_group_id.in_(wanted), m.Server.host.is_not(None),
               m.Server.status.in_(("ACTIVE", "SHUTOFF", "BUILD")))
        .order_by(m.Port.id)
    ).all()  # fmt: skip
    by_host: dict[str, list[str]] = {}
    for host, port_id in rows:
        if host and port_id not in by_host.get(host, []):
            by_host.setdefault(host, []).append(port_id)
    if exclude_server is not None:
        mine = set(session.scalars(select(m.Port.id).where(m.Port.device_id == exclude_server)))
        by_host = {h: [p for p in ports if p not in mine] for h, ports in by_host.items()}
    return {host: items for host, ports in sorted(by_host.items()) if (items := items_for(session, ipam, ports))}


def group_names(session: Session, port_ids: Iterable[str]) -> tuple[str, ...]:
    """The names of the ports' groups, sorted (what a server shows)."""
    ids = groups_of(session, port_ids)
    if not ids:
        return ()
    return tuple(sorted(set(session.scalars(select(m.SecurityGroup.name).where(m.SecurityGroup.id.in_(ids))))))
