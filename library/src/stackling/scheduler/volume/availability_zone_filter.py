"""AvailabilityZoneFilter (volumes): the backend is enabled and in the requested zone."""

from __future__ import annotations

from stackling.scheduler.volume.backend_state import BackendState, VolumeRequest
from stackling.scheduler.volume.base import BaseBackendFilter


class AvailabilityZoneFilter(BaseBackendFilter):
    def backend_passes(self, backend: BackendState, request: VolumeRequest) -> bool:
        if not backend.enabled:
            return False
        return request.availability_zone is None or backend.availability_zone == request.availability_zone
