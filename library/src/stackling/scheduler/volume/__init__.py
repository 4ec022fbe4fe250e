"""The volume scheduler: cinder-style capacity filtering and weighing across storage backends."""

from __future__ import annotations

from stackling.scheduler.volume.availability_zone_filter import AvailabilityZoneFilter
from stackling.scheduler.volume.backend_state import BackendState, VolumeRequest, fits, virtual_free_capacity
from stackling.scheduler.volume.base import BaseBackendFilter, BaseBackendWeigher
from stackling.scheduler.volume.capacity_filter import CapacityFilter
from stackling.scheduler.volume.capacity_weigher import CapacityWeigher

ALL_VOLUME_FILTERS: dict[str, type[BaseBackendFilter]] = {
    "AvailabilityZoneFilter": AvailabilityZoneFilter,
    "CapacityFilter": CapacityFilter,
}
ALL_VOLUME_WEIGHERS: dict[str, type[BaseBackendWeigher]] = {"CapacityWeigher": CapacityWeigher}

__all__ = [
    "ALL_VOLUME_FILTERS",
    "ALL_VOLUME_WEIGHERS",
    "AvailabilityZoneFilter",
    "BackendState",
    "BaseBackendFilter",
    "BaseBackendWeigher",
    "CapacityFilter",
    "CapacityWeigher",
    "VolumeRequest",
    "fits",
    "virtual_free_capacity",
]
