"""Operator settings of the compute and volume schedulers (typed, frozen, validated).

In the controller configuration (YAML)::

    scheduler:
      enabled_filters: [ComputeFilter, AvailabilityZoneFilter, ...]   # order = run order
      weighers: {RAMWeigher: 1.0, CPUWeigher: 1.0, DiskWeigher: 1.0}  # name: multiplier; absent = off
      host_subset_size: 1          # pick at random among the N best hosts
      max_attempts: 3              # the chosen host + (max_attempts - 1) alternates
      max_placement_results: 0     # 0: consider every host that fits; N: N random ones
      default_availability_zone: nova
      claim_retries: 10            # generation-conflict retries of one claim
    volume_scheduler:
      enabled_filters: [AvailabilityZoneFilter, CapacityFilter]
      weighers: {CapacityWeigher: 1.0}

``scheduler_config_from_mapping`` / ``volume_scheduler_config_from_mapping`` read those
sections; every error is a ConfigError naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stackling.errors import ConfigError

DEFAULT_FILTERS: tuple[str, ...] = (
    "ComputeFilter",
    "AvailabilityZoneFilter",
    "AggregateInstanceExtraSpecsFilter",
    "ImagePropertiesFilter",
    "ServerGroupAntiAffinityFilter",
    "ServerGroupAffinityFilter",
    "SameHostFilter",
    "DifferentHostFilter",
    "TraitsFilter",
)
DEFAULT_WEIGHERS: Mapping[str, float] = {
    "RAMWeigher": 1.0,
    "CPUWeigher": 1.0,
    "DiskWeigher": 1.0,
    "ServerGroupSoftAffinityWeigher": 1.0,
    "ServerGroupSoftAntiAffinityWeigher": 1.0,
}
DEFAULT_VOLUME_FILTERS: tuple[str, ...] = ("AvailabilityZoneFilter", "CapacityFilter")
DEFAULT_VOLUME_WEIGHERS: Mapping[str, float] = {"CapacityWeigher": 1.0}


@dataclass(frozen=True)
class SchedulerConfig:
    enabled_filters: tuple[str, ...] = DEFAULT_FILTERS
    weighers: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHERS))
    host_subset_size: int = 1
    max_attempts: int = 3
    max_placement_results: int = 0
    default_availability_zone: str = "nova"
    claim_retries: int = 10

    def __post_init__(self) -> None:
        from stackling.scheduler.filters import ALL_FILTERS
        from stackling.scheduler.weighers import ALL_WEIGHERS

        _known("scheduler.enabled_filters", self.enabled_filters, ALL_FILTERS)
        _known("scheduler.weighers", self.weighers, ALL_WEIGHERS)
        _at_least("scheduler.host_subset_size", self.host_subset_size, 1)
        _at_least("scheduler.max_attempts", self.max_attempts, 1)
        _at_least("scheduler.max_placement_results", self.max_placement_results, 0)
        _at_least("scheduler.claim_retries", self.claim_retries, 0)

    @property
    def alternates(self) -> int:
        return self.max_attempts - 1


@dataclass(frozen=True)
class VolumeSchedulerConfig:
    enabled_filters: tuple[str, ...] = DEFAULT_VOLUME_FILTERS
    weighers: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_VOLUME_WEIGHERS))
    default_availability_zone: str = "nova"

    def __post_init__(self) -> None:
        from stackling.scheduler.volume import ALL_VOLUME_FILTERS, ALL_VOLUME_WEIGHERS

        _known("volume_scheduler.enabled_filters", self.enabled_filters, ALL_VOLUME_FILTERS)
        _known("volume_scheduler.weighers", self.weighers, ALL_VOLUME_WEIGHERS)


def _known(key: str, names: Any, known: Mapping[str, object]) -> None:
    for name in names:
        if name not in known:
            raise ConfigError("%s: unknown name %r (known: %s)" % (key, name, ", ".join(sorted(known))))


def _at_least(key: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError("%s: expected an integer >= %d, got %r" % (key, minimum, value))


def _names(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError("%s: expected a list of names, got %r" % (key, value))
    if len(set(value)) != len(value):
        raise ConfigError("%s: a name is listed twice" % key)
    return tuple(value)


def _multipliers(key: str, value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise ConfigError("%s: expected a mapping of weigher name: multiplier, got %r" % (key, value))
    out: dict[str, float] = {}
    for name, multiplier in value.items():
        if isinstance(multiplier, bool) or not isinstance(multiplier, (int, float)):
            raise ConfigError("%s.%s: expected a number, got %r" % (key, name, multiplier))
        out[str(name)] = float(multiplier)
    return out


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("%s: expected a non-empty string, got %r" % (key, value))
    return value


def _section(raw: Any, section: str, readers: Mapping[str, Any]) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError("%s: expected a mapping, got %r" % (section, raw))
    out = {}
    for key, value in raw.items():
        if key not in readers:
            raise ConfigError("%s.%s: unknown key (known: %s)" % (section, key, ", ".join(readers)))
        reader = readers[key]
        out[key] = reader("%s.%s" % (section, key), value) if reader is not None else value
    return out


def scheduler_config_from_mapping(raw: Any, section: str = "scheduler") -> SchedulerConfig:
    """The ``scheduler:`` section of the controller configuration (None: all defaults)."""
    readers = {
        "enabled_filters": _names,
        "weighers": _multipliers,
        "host_subset_size": None,
        "max_attempts": None,
        "max_placement_results": None,
        "default_availability_zone": _text,
        "claim_retries": None,
    }
    return SchedulerConfig(**_section(raw, section, readers))


def volume_scheduler_config_from_mapping(raw: Any, section: str = "volume_scheduler") -> VolumeSchedulerConfig:
    readers = {"enabled_filters": _names, "weighers": _multipliers, "default_availability_zone": _text}
    return VolumeSchedulerConfig(**_section(raw, section, readers))
