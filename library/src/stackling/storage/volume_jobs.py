"""The node jobs behind volumes: which host runs which node playbook with which variables.

A backend is named ``<storage host>@<driver>`` (the storage role registers it so), so its volumes
live on that inventory host. The storage host's own settings (VG, file directory, IQN prefix)
are in its ``/etc/stackling/storage.yaml``, which the node playbooks read there; what the
controller must know to connect a compute host to a volume comes from the conductor inventory:

- ``stackling_iscsi_portal`` of the storage host (default: its ``stackling_tunnel_address``:3260);
- ``stackling_iscsi_iqn_prefix`` (default ``iqn.2024-01.org.stackling``) for target and initiator names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from stackling.conductor import Inventory, NodeJob, read_inventory
from stackling.config import ConductorConfig
from stackling.errors import ConfigError

IQN_PREFIX = "iqn.2024-01.org.stackling"
ISCSI_PORT = 3260
_NAME_BAD = re.compile(r"[^a-z0-9.-]+")


def storage_host(backend: str) -> str:
    """The inventory host of backend ``<host>@<driver>`` (a bare name is the host itself)."""
    return backend.split("@", 1)[0]


@dataclass(frozen=True)
class Connection:
    """How a compute host reaches a volume: ``local`` (same host) or ``iscsi``."""

    mode: str
    portal: str = ""
    iqn: str = ""
    initiator: str = ""

    def as_vars(self) -> dict[str, Any]:
        if self.mode == "local":
            return {"mode": "local"}
        host, port = self.portal.rsplit(":", 1)
        return {"mode": "iscsi", "host": host, "port": int(port), "iqn": self.iqn, "lun": 1,
                "initiator": self.initiator}  # fmt: skip


class VolumeJobs:
    def __init__(self, conductor: ConductorConfig) -> None:
        self.conductor = conductor

    def job(self, playbook: str, host: str, **extravars: Any) -> NodeJob:
        return NodeJob(playbook, host, extravars, timeout=self.conductor.job_timeout)

    def inventory(self) -> Inventory:
        return read_inventory(self.conductor.inventory)

    def connection(self, backend: str, compute_host: str, volume_id: str) -> Connection:
        storage = storage_host(backend)
        if storage == compute_host:
            return Connection("local")
        inventory = self.inventory()
        prefix = str(inventory.var(storage, "stackling_iscsi_iqn_prefix", IQN_PREFIX))
        portal = str(inventory.var(storage, "stackling_iscsi_portal", "") or "")
        if not portal:
            address = inventory.tunnel_address(storage)
            if not address:
                raise ConfigError("conductor inventory: host %s needs stackling_iscsi_portal (or "
                                  "stackling_tunnel_address) so compute hosts can reach its volumes" % storage)
            portal = "%s:%d" % (address, ISCSI_PORT)
        initiator = "%s:compute-%s" % (prefix, _NAME_BAD.sub("-", compute_host.lower()))
        return Connection("iscsi", portal, "%s:volume-%s" % (prefix, volume_id), initiator)

    # --- storage host ---------------------------------------------------------------------------
    def create(self, backend: str, volume_id: str, size_gb: int, image: dict[str, str] | None = None,
               snapshot_id: str | None = None) -> NodeJob:  # fmt: skip
        source: dict[str, Any] = {}
        if image is not None:
            source["image"] = image
        if snapshot_id is not None:
            source["snapshot_id"] = snapshot_id
        return self.job("volume_create", storage_host(backend), volume={"id": volume_id, "size_gb": size_gb},
                        source=source)  # fmt: skip

    def delete(self, backend: str, volume_id: str) -> NodeJob:
        return self.job("volume_delete", storage_host(backend), volume={"id": volume_id})

    def extend(self, backend: str, volume_id: str, size_gb: int) -> NodeJob:
        return self.job("volume_extend", storage_host(backend), volume={"id": volume_id, "size_gb": size_gb})

    def snapshot(self, backend: str, volume_id: str, snapshot_id: str, size_gb: int, present: bool) -> NodeJob:
        return self.job("volume_snapshot", storage_host(backend), volume={"id": volume_id, "size_gb": size_gb},
                        snapshot={"id": snapshot_id, "state": "present" if present else "absent"})  # fmt: skip

    def export(self, backend: str, volume_id: str, connection: Connection, present: bool) -> NodeJob:
        return self.job("volume_export", storage_host(backend), volume={"id": volume_id},
                        export={"iqn": connection.iqn, "initiators": [connection.initiator],
                                "state": "present" if present else "absent"})  # fmt: skip

    # --- compute host ---------------------------------------------------------------------------
    def attach(self, host: str, server_id: str, volume_id: str, device: str, connection: Connection) -> NodeJob:
        return self.job("volume_attach", host, server={"uuid": server_id}, volume={"id": volume_id},
                        device=device, connection=connection.as_vars())  # fmt: skip

    def detach(self, host: str, server_id: str, volume_id: str, device: str) -> NodeJob:
        return self.job("volume_detach", host, server={"uuid": server_id}, volume={"id": volume_id}, device=device)
