"""A scheduling request (nova's RequestSpec), and what the scheduler answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from stackling.errors import ValidationError
from stackling.placement.resource_classes import DISK_GB, MEMORY_MB, VCPU, validate_resource_class
from stackling.placement.traits import validate_traits
from stackling.scheduler.host_state import HostState

AFFINITY = "affinity"
ANTI_AFFINITY = "anti-affinity"
SOFT_AFFINITY = "soft-affinity"
SOFT_ANTI_AFFINITY = "soft-anti-affinity"
POLICIES = (AFFINITY, ANTI_AFFINITY, SOFT_AFFINITY, SOFT_ANTI_AFFINITY)


class FlavorSizes(Protocol):
    """What from_flavor reads of a flavor (stackling.compute.Flavor has it)."""

    @property
    def vcpus(self) -> int: ...
    @property
    def ram_mb(self) -> int: ...
    @property
    def disk_gb(self) -> int: ...
    @property
    def ephemeral_gb(self) -> int: ...
    @property
    def swap_mb(self) -> int: ...
    @property
    def extra_specs(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class ServerGroupInfo:
    """A server group as the filters need it: ``hosts`` counts the group's members per host
    (provider uuid), as placed now."""

    id: str
    policy: str
    hosts: Mapping[str, int] = field(default_factory=dict)
    max_server_per_host: int = 1

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ValidationError("server group policy %r: expected one of %s" % (self.policy, ", ".join(POLICIES)))


@dataclass(frozen=True)
class RequestSpec:
    """What to place. ``same_host`` / ``different_host`` are scheduler hints (instance uuids);
    the scheduler resolves them (and the group's member hosts) into ``*_hosts`` before filtering."""

    resources: Mapping[str, int]
    extra_specs: Mapping[str, str] = field(default_factory=dict)
    image_properties: Mapping[str, str] = field(default_factory=dict)
    availability_zone: str | None = None
    group_id: str | None = None
    group: ServerGroupInfo | None = None
    same_host: frozenset[str] = frozenset()
    different_host: frozenset[str] = frozenset()
    same_host_hosts: frozenset[str] | None = None  # resolved: provider uuids holding same_host instances
    different_host_hosts: frozenset[str] = frozenset()
    required_traits: frozenset[str] = frozenset()
    forbidden_traits: frozenset[str] = frozenset()
    ignore_hosts: frozenset[str] = frozenset()  # names or uuids never to pick (e.g. where a build failed)

    def __post_init__(self) -> None:
        if not self.resources:
            raise ValidationError("a request needs resources (e.g. VCPU, MEMORY_MB, DISK_GB)")
        for name, amount in self.resources.items():
            validate_resource_class(name)
            if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
                raise ValidationError("%s: expected an integer >= 1, got %r" % (name, amount))
        object.__setattr__(self, "required_traits", validate_traits(self.required_traits))
        object.__setattr__(self, "forbidden_traits", validate_traits(self.forbidden_traits))

    @classmethod
    def from_flavor(
        cls,
        flavor: FlavorSizes | int,
        ram_mb: int | None = None,
        disk_gb: int | None = None,
        extra_specs: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> RequestSpec:
        """Nova's translation of a flavor (a stackling.compute.Flavor, or its vcpus, ram_mb and
        disk_gb): VCPU, MEMORY_MB and DISK_GB (root + ephemeral + swap rounded up to GiB, as nova
        counts a server's local disk), ``resources:CLASS=N`` overrides (0 drops a class) and
        ``trait:NAME=required|forbidden`` extra specs."""
        if isinstance(flavor, int):
            if ram_mb is None or disk_gb is None:
                raise ValidationError("from_flavor: give a flavor, or vcpus, ram_mb and disk_gb")
            vcpus = flavor
        else:
            vcpus, ram_mb = flavor.vcpus, flavor.ram_mb
            disk_gb = flavor.disk_gb + flavor.ephemeral_gb + -(-flavor.swap_mb // 1024)
            extra_specs = flavor.extra_specs if extra_specs is None else extra_specs
        specs = dict(extra_specs or {})
        resources = {VCPU: vcpus, MEMORY_MB: ram_mb, DISK_GB: disk_gb}
        required: set[str] = set()
        forbidden: set[str] = set()
        for key, value in specs.items():
            scope, _sep, name = key.partition(":")
            if scope == "resources" and name:
                resources[name] = int(value)
            elif scope == "trait" and name:
                if value not in ("required", "forbidden"):
                    raise ValidationError("extra spec %s: expected 'required' or 'forbidden', got %r" % (key, value))
                (required if value == "required" else forbidden).add(name)
        resources = {name: amount for name, amount in resources.items() if amount}
        return cls(
            resources=resources,
            extra_specs=specs,
            required_traits=frozenset(required),
            forbidden_traits=frozenset(forbidden),
            **fields,
        )

    def resolved(self, **changes: Any) -> RequestSpec:
        return replace(self, **changes)


@dataclass(frozen=True)
class Selection:
    """The chosen host and the alternates to try, in order, if the claim or the build fails."""

    host: HostState
    alternates: tuple[HostState, ...] = ()
    considered: int = 0  # hosts placement returned

    @property
    def hosts(self) -> tuple[HostState, ...]:
        return (self.host, *self.alternates)
