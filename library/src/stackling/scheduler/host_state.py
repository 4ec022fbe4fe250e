"""What the scheduler knows about one compute host while it schedules one request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

# Optional facts, loaded only when an active filter or weigher needs them (``needs``).
TRAITS = "traits"
AGGREGATE_METADATA = "aggregate_metadata"
NUM_INSTANCES = "num_instances"
AVAILABILITY_ZONE = "availability_zone"
OPTIONAL_FIELDS = frozenset({TRAITS, AGGREGATE_METADATA, NUM_INSTANCES, AVAILABILITY_ZONE})


class _HostRow(NamedTuple):
    provider_id: int
    uuid: str
    name: str
    free_vcpus: float = 0.0
    free_ram_mb: float = 0.0
    free_disk_gb: float = 0.0
    enabled: bool = True
    hypervisor_type: str = "QEMU"
    hypervisor_version: int = 0
    architecture: str = "x86_64"


class HostState(_HostRow):
    """A compute host as placement and the compute_hosts table describe it now: one row of
    the host query (a tuple, so 10,000 of them are cheap), plus the optional facts below.

    ``free_*`` are capacity minus usage from placement, the capacity already including the
    allocation ratio (whole numbers unless a ratio is fractional). The optional facts keep
    these class defaults until loaded; ``traits`` holds only the traits the request names.
    """

    availability_zone: str = ""
    traits: frozenset[str] = frozenset()
    aggregate_metadata: Mapping[str, frozenset[str]] = {}
    num_instances: int = 0

    def __repr__(self) -> str:
        return "HostState(%s, vcpus=%g, ram_mb=%g, disk_gb=%g%s)" % (
            self.name,
            self.free_vcpus,
            self.free_ram_mb,
            self.free_disk_gb,
            "" if self.enabled else ", disabled",
        )
