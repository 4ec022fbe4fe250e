"""Host weighers: one small class per module. ``ALL_WEIGHERS`` maps the names used in
``scheduler.weighers`` (name: multiplier) to the classes."""

from __future__ import annotations

from stackling.scheduler.weighers.base import BaseHostWeigher, normalize
from stackling.scheduler.weighers.cpu import CPUWeigher
from stackling.scheduler.weighers.disk import DiskWeigher
from stackling.scheduler.weighers.num_instances import NumInstancesWeigher
from stackling.scheduler.weighers.ram import RAMWeigher
from stackling.scheduler.weighers.soft_affinity import ServerGroupSoftAffinityWeigher
from stackling.scheduler.weighers.soft_anti_affinity import ServerGroupSoftAntiAffinityWeigher

ALL_WEIGHERS: dict[str, type[BaseHostWeigher]] = {
    cls.__name__: cls
    for cls in (
        RAMWeigher,
        CPUWeigher,
        DiskWeigher,
        NumInstancesWeigher,
        ServerGroupSoftAffinityWeigher,
        ServerGroupSoftAntiAffinityWeigher,
    )
}

__all__ = ["ALL_WEIGHERS", "BaseHostWeigher", "normalize", *ALL_WEIGHERS]
