"""The quota resources the cloud counts and their built-in default limits (``-1`` = unlimited)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

UNLIMITED = -1

# Nova, Cinder and Neutron's own defaults, under Stackling's names.
BUILTIN_DEFAULTS: Mapping[str, int] = MappingProxyType(
    {
        "instances": 10,
        "cores": 20,
        "ram_mb": 51200,
        "volumes": 10,
        "gigabytes": 1000,
        "snapshots": 10,
        "networks": 100,
        "subnets": 100,
        "ports": 500,
        "routers": 10,
        "floating_ips": 50,
        "security_groups": 10,
        "security_group_rules": 100,
        "keypairs": 100,
    }
)

RESOURCES: tuple[str, ...] = tuple(BUILTIN_DEFAULTS)
