"""CapacityWeigher: virtual free capacity (thin: total x ratio - provisioned - reserved;
thick: free - reserved). Multiplier > 0 spreads volumes, < 0 fills one backend first."""

from __future__ import annotations

from stackling.scheduler.volume.backend_state import BackendState, VolumeRequest, virtual_free_capacity
from stackling.scheduler.volume.base import BaseBackendWeigher


class CapacityWeigher(BaseBackendWeigher):
    def weigh(self, backend: BackendState, request: VolumeRequest) -> float:
        return virtual_free_capacity(backend, request)
