"""Placement's values: what callers pass in and get back (plain frozen dataclasses)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from stackling.errors import ValidationError
from stackling.placement.capacity import capacity, validate_inventory_numbers
from stackling.placement.resource_classes import validate_resource_class
from stackling.placement.traits import validate_traits


@dataclass(frozen=True)
class InventorySpec:
    """One resource class's inventory on a provider. ``max_unit`` defaults to ``total``."""

    total: int
    reserved: int = 0
    min_unit: int = 1
    max_unit: int | None = None
    step_size: int = 1
    allocation_ratio: float = 1.0

    def __post_init__(self) -> None:
        validate_inventory_numbers(
            self.total, self.reserved, self.min_unit, self.effective_max_unit, self.step_size, self.allocation_ratio
        )

    @property
    def effective_max_unit(self) -> int:
        return self.total if self.max_unit is None else self.max_unit

    @property
    def capacity(self) -> int:
        return capacity(self.total, self.reserved, self.allocation_ratio)


class ResourceUsage(NamedTuple):
    """An inventory's capacity figures and what is allocated from it (a tuple: thousands are
    built per scheduling request)."""

    total: int
    reserved: int
    allocation_ratio: float
    used: int

    @property
    def capacity(self) -> int:
        return capacity(self.total, self.reserved, self.allocation_ratio)

    @property
    def free(self) -> int:
        return self.capacity - self.used


@dataclass(frozen=True)
class Inventory:
    """An inventory as stored: its spec plus the current usage."""

    resource_class: str
    spec: InventorySpec
    used: int

    @property
    def capacity(self) -> int:
        return self.spec.capacity


@dataclass(frozen=True)
class ProviderSpec:
    """A provider to create in bulk (PlacementEngine.create_providers)."""

    name: str
    inventories: Mapping[str, InventorySpec] = field(default_factory=dict)
    traits: frozenset[str] = frozenset()
    aggregates: frozenset[str] = frozenset()
    uuid: str | None = None

    def __post_init__(self) -> None:
        for resource_class in self.inventories:
            validate_resource_class(resource_class)
        object.__setattr__(self, "traits", validate_traits(self.traits))


@dataclass(frozen=True)
class Provider:
    id: int
    uuid: str
    name: str
    generation: int


@dataclass(frozen=True)
class AggregateInfo:
    uuid: str
    name: str | None
    metadata: Mapping[str, str]


@dataclass(frozen=True)
class ConsumerRef:
    """Who allocations belong to. ``consumer_type``: INSTANCE, VOLUME, MIGRATION."""

    uuid: str
    project_id: str
    user_id: str
    consumer_type: str = "INSTANCE"


def _amounts(resources: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, amount in resources.items():
        validate_resource_class(name)
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
            raise ValidationError("%s: expected an integer >= 1, got %r" % (name, amount))
        out[name] = amount
    return out


@dataclass(frozen=True)
class AllocationRequest:
    """What to find providers for: amounts per resource class, required and forbidden traits,
    ``member_of`` (each entry an any-of set of aggregate uuids; every entry must match) and
    ``limit`` (at most that many candidates, None: all)."""

    resources: Mapping[str, int]
    required_traits: frozenset[str] = frozenset()
    forbidden_traits: frozenset[str] = frozenset()
    member_of: tuple[frozenset[str], ...] = ()
    limit: int | None = None
    randomize: bool = False

    def __post_init__(self) -> None:
        if not self.resources:
            raise ValidationError("an allocation request needs at least one resource class")
        object.__setattr__(self, "resources", _amounts(self.resources))
        object.__setattr__(self, "required_traits", validate_traits(self.required_traits))
        object.__setattr__(self, "forbidden_traits", validate_traits(self.forbidden_traits))
        both = self.required_traits & self.forbidden_traits
        if both:
            raise ValidationError("traits both required and forbidden: %s" % ", ".join(sorted(both)))
        object.__setattr__(self, "member_of", tuple(frozenset(group) for group in self.member_of if group))
        if self.limit is not None and (isinstance(self.limit, bool) or self.limit < 1):
            raise ValidationError("limit: expected an integer >= 1 or None, got %r" % (self.limit,))


@dataclass(slots=True)
class Candidate:
    """A provider that can take the whole request now. ``resources`` holds the requested
    classes plus the summary classes the provider has (for weighing)."""

    provider_id: int
    uuid: str
    name: str
    generation: int
    resources: dict[str, ResourceUsage] = field(default_factory=dict)


def allocations_of(resources: Mapping[str, int], providers: Iterable[str]) -> dict[str, dict[str, int]]:
    """The same amounts on each of ``providers`` (helper for tests and single-provider claims)."""
    return {provider: dict(resources) for provider in providers}
