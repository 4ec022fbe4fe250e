"""Where a tenant network is plumbed, and the network_host.yml jobs that plumb it.

A network's bridge (and VXLAN endpoint) exists on every compute host running a server with a port
on it, and on the network host while that host serves it (DHCP, router ports). The VXLAN devices
learn nothing: each host's static FDB holds one flood entry per *other* host carrying the
network. So when a host joins or leaves a network, every other host carrying it needs its FDB
rewritten, not only the joining one (``fdb_refresh``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.conductor import Inventory, NodeJob
from stackling.db import models as m

FLOOD = "00:00:00:00:00:00"
COMPUTE_OWNER = "compute:"


def server_hosts(session: Session, network_id: str, exclude: str | None = None) -> set[str]:
    """The hosts of the servers with a port on the network (``exclude``: a server id left out)."""
    query = (
        select(m.Server.host)
        .join(m.Port, m.Port.device_id == m.Server.id)
        .where(m.Port.network_id == network_id, m.Server.host.is_not(None))
    )
    if exclude is not None:
        query = query.where(m.Server.id != exclude)
    return {host for host in session.scalars(query) if host}


def network_vars(network: m.Network, state: str = "present") -> dict[str, Any]:
    """network_host.yml's ``network`` for a network row."""
    found: dict[str, Any] = {"id": network.id, "mtu": network.mtu, "state": state}
    if network.network_type == "vxlan" and network.segmentation_id:
        found["vni"] = network.segmentation_id
    return found


def network_job(
    network: Mapping[str, Any], host: str, carriers: Iterable[str], inventory: Inventory, timeout: int | None
) -> NodeJob:
    """network_host.yml for ``host``: the bridge, the VXLAN endpoint and exactly one flood entry
    per other carrier that has a tunnel address."""
    entries = [{"mac": FLOOD, "dst": inventory.tunnel_address(other)}
               for other in sorted(set(carriers) - {host}) if inventory.tunnel_address(other)]  # fmt: skip
    return NodeJob("network_host", host, {"network": dict(network), "tunnel_address": inventory.tunnel_address(host),
                                          "fdb_entries": entries}, timeout=timeout)  # fmt: skip


def fdb_refresh(
    session: Session, network_id: str, carriers: Iterable[str], skip: Iterable[str | None], inventory: Inventory,
    timeout: int | None,
) -> list[NodeJob]:  # fmt: skip
    """The jobs that rewrite the FDB of every host in ``carriers`` except ``skip`` (hosts already
    handled) after the set of carriers changed. Only VXLAN networks have an FDB."""
    network = session.get(m.Network, network_id)
    if network is None or network.network_type != "vxlan" or not network.segmentation_id:
        return []
    wanted = network_vars(network)
    every = set(carriers)
    return [network_job(wanted, host, every, inventory, timeout) for host in sorted(every - set(skip))]
