"""CapacityFilter: the backend can hold the volume (thin over-subscription as cinder's)."""

from __future__ import annotations

from stackling.scheduler.volume.backend_state import BackendState, VolumeRequest, fits
from stackling.scheduler.volume.base import BaseBackendFilter


class CapacityFilter(BaseBackendFilter):
    def backend_passes(self, backend: BackendState, request: VolumeRequest) -> bool:
        return fits(backend, request)
