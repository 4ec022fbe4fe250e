"""IPAM settings (the ``ipam:`` section of the controller configuration)::

ipam:
  vni_ranges: [[1, 16777215]]   # VXLAN VNIs handed to tenant networks (inclusive ranges)
  mac_prefix: "fa:16:3e"        # the first three octets of generated MACs (Neutron's)
  tunnel_mtu: 1450              # MTU of VXLAN networks (1500 - 50 bytes of VXLAN/UDP/IP)
  physical_mtu: 1500            # MTU of flat and VLAN networks
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stackling.errors import ConfigError

MAX_VNI = 2**24 - 1
_PREFIX = re.compile(r"^[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$")


@dataclass(frozen=True)
class IpamConfig:
    vni_ranges: tuple[tuple[int, int], ...] = ((1, MAX_VNI),)
    mac_prefix: str = "fa:16:3e"
    tunnel_mtu: int = 1450
    physical_mtu: int = 1500
    mac_retries: int = 16
    allocation_retries: int = 10

    def __post_init__(self) -> None:
        for low, high in self.vni_ranges:
            if not 1 <= low <= high <= MAX_VNI:
                raise ConfigError("ipam.vni_ranges: %d-%d is not inside 1-%d with low <= high" % (low, high, MAX_VNI))
        if not _PREFIX.match(self.mac_prefix):
            raise ConfigError(
                "ipam.mac_prefix: expected three lowercase hex octets like 'fa:16:3e', got %r" % self.mac_prefix
            )
        if int(self.mac_prefix[:2], 16) & 1:
            raise ConfigError(
                "ipam.mac_prefix: %s is a multicast prefix (lowest bit of the first octet set)" % self.mac_prefix
            )
        for key in ("tunnel_mtu", "physical_mtu"):
            if not 576 <= getattr(self, key) <= 9216:
                raise ConfigError("ipam.%s: expected 576 to 9216, got %r" % (key, getattr(self, key)))


def ipam_config_from_mapping(raw: Any, section: str = "ipam") -> IpamConfig:
    if raw is None:
        return IpamConfig()
    if not isinstance(raw, Mapping):
        raise ConfigError("%s: expected a mapping, got %r" % (section, raw))
    known = ("vni_ranges", "mac_prefix", "tunnel_mtu", "physical_mtu")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError("%s.%s: unknown key (known: %s)" % (section, key, ", ".join(known)))
        if key == "vni_ranges":
            values[key] = _ranges("%s.%s" % (section, key), value)
        elif key == "mac_prefix":
            values[key] = str(value).lower()
        elif isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError("%s.%s: expected an integer, got %r" % (section, key, value))
        else:
            values[key] = value
    return IpamConfig(**values)


def _ranges(key: str, value: Any) -> tuple[tuple[int, int], ...]:
    ranges = []
    if not isinstance(value, list):
        raise ConfigError("%s: expected a list of [low, high] pairs, got %r" % (key, value))
    for item in value:
        if (
            not isinstance(item, (list, tuple))
            or len(item) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in item)
        ):
            raise ConfigError("%s: expected [low, high] integer pairs, got %r" % (key, item))
        ranges.append((item[0], item[1]))
    return tuple(ranges)
