"""Resource classes: placement's standard ones and operator-defined ``CUSTOM_*`` ones."""

from __future__ import annotations

import re

from stackling.errors import ValidationError

VCPU = "VCPU"
MEMORY_MB = "MEMORY_MB"
DISK_GB = "DISK_GB"

# os-resource-classes' standard classes (the ones a small cloud meets).
STANDARD = frozenset(
    {
        VCPU,
        MEMORY_MB,
        DISK_GB,
        "PCPU",
        "VGPU",
        "VGPU_DISPLAY_HEAD",
        "PCI_DEVICE",
        "SRIOV_NET_VF",
        "NUMA_SOCKET",
        "NUMA_CORE",
        "NUMA_THREAD",
        "NUMA_MEMORY_MB",
        "IPV4_ADDRESS",
        "NET_BW_EGR_KILOBIT_PER_SEC",
        "NET_BW_IGR_KILOBIT_PER_SEC",
        "NET_PACKET_RATE_KILOPACKET_PER_SEC",
        "MEM_ENCRYPTION_CONTEXT",
        "FPGA",
        "PGPU",
    }
)
CUSTOM_PREFIX = "CUSTOM_"
_CUSTOM = re.compile(r"^CUSTOM_[A-Z0-9_]+$")
MAX_LENGTH = 255


def is_custom(name: str) -> bool:
    return _CUSTOM.match(name) is not None and len(name) <= MAX_LENGTH


def validate_resource_class(name: object) -> str:
    """``name`` if it is a standard class or a well-formed ``CUSTOM_*`` one, else ValidationError."""
    if isinstance(name, str) and (name in STANDARD or is_custom(name)):
        return name
    raise ValidationError(
        "resource class %r is neither standard (%s, ...) nor CUSTOM_ followed by A-Z, 0-9 and _"
        % (name, ", ".join(sorted((VCPU, MEMORY_MB, DISK_GB))))
    )
