"""Storage backends as the volume scheduler sees them (cinder's pool stats), and the
thin-provisioning arithmetic of cinder's capacity filter and weigher."""

from __future__ import annotations

import math
from dataclasses import dataclass

from stackling.errors import ValidationError


@dataclass
class BackendState:
    """Capacity in GiB. ``free_capacity_gb`` is what the node reports as physically free;
    ``provisioned_capacity_gb`` the sum of the volume sizes on it (thin volumes count in full)."""

    name: str
    uuid: str
    total_capacity_gb: float
    free_capacity_gb: float
    provisioned_capacity_gb: float = 0.0
    thin_provisioning_support: bool = False
    thick_provisioning_support: bool = True
    max_over_subscription_ratio: float = 20.0
    reserved_percentage: int = 0
    availability_zone: str = "nova"
    enabled: bool = True


@dataclass(frozen=True)
class VolumeRequest:
    """``thin`` is the volume type's ``provisioning:type`` (True: thin, the default as in cinder)."""

    size_gb: int
    thin: bool = True
    availability_zone: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.size_gb, bool) or not isinstance(self.size_gb, int) or self.size_gb < 1:
            raise ValidationError("volume size: expected an integer >= 1 GiB, got %r" % (self.size_gb,))


def reserved_gb(backend: BackendState) -> int:
    return math.floor(backend.total_capacity_gb * backend.reserved_percentage / 100)


def uses_thin(backend: BackendState, request: VolumeRequest) -> bool:
    """Whether the volume is provisioned thin on this backend (thin requested and supported)."""
    return request.thin and backend.thin_provisioning_support


def fits(backend: BackendState, request: VolumeRequest) -> bool:
    """Cinder's CapacityFilter: thin volumes may over-subscribe up to the ratio, counting
    provisioned sizes; thick volumes need real free space; both keep the reserved share."""
    total = float(backend.total_capacity_gb)
    if total <= 0:
        return False
    if not request.thin and not backend.thick_provisioning_support:
        return False
    free = backend.free_capacity_gb - reserved_gb(backend)
    if uses_thin(backend, request):
        ratio = backend.max_over_subscription_ratio
        if ratio < 1:
            return False
        if (backend.provisioned_capacity_gb + request.size_gb) / total > ratio:
            return False
        return free * ratio >= request.size_gb
    return free >= request.size_gb


def virtual_free_capacity(backend: BackendState, request: VolumeRequest) -> float:
    """Cinder's calculate_virtual_free_capacity: what the CapacityWeigher ranks by."""
    if uses_thin(backend, request):
        return (
            backend.total_capacity_gb * backend.max_over_subscription_ratio
            - backend.provisioned_capacity_gb
            - reserved_gb(backend)
        )
    return backend.free_capacity_gb - reserved_gb(backend)
