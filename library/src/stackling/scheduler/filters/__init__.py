"""Host filters: one small class per module, nova-style. ``ALL_FILTERS`` maps the names
operators use in ``scheduler.enabled_filters`` to the classes."""

from __future__ import annotations

from stackling.scheduler.filters.aggregate_instance_extra_specs import AggregateInstanceExtraSpecsFilter
from stackling.scheduler.filters.availability_zone import AvailabilityZoneFilter
from stackling.scheduler.filters.base import BaseHostFilter
from stackling.scheduler.filters.compute import ComputeFilter
from stackling.scheduler.filters.different_host import DifferentHostFilter
from stackling.scheduler.filters.image_properties import ImagePropertiesFilter
from stackling.scheduler.filters.same_host import SameHostFilter
from stackling.scheduler.filters.server_group_affinity import ServerGroupAffinityFilter
from stackling.scheduler.filters.server_group_anti_affinity import ServerGroupAntiAffinityFilter
from stackling.scheduler.filters.traits import TraitsFilter

ALL_FILTERS: dict[str, type[BaseHostFilter]] = {
    cls.__name__: cls
    for cls in (
        ComputeFilter,
        AvailabilityZoneFilter,
        AggregateInstanceExtraSpecsFilter,
        ImagePropertiesFilter,
        ServerGroupAffinityFilter,
        ServerGroupAntiAffinityFilter,
        SameHostFilter,
        DifferentHostFilter,
        TraitsFilter,
    )
}

__all__ = ["ALL_FILTERS", "BaseHostFilter", *ALL_FILTERS]
