"""Placement: resource providers, inventories, traits, aggregates, allocation candidates and claims."""

from stackling.placement.candidates import SUMMARY_CLASSES, allocation_candidates
from stackling.placement.engine import PlacementEngine
from stackling.placement.tagging import AVAILABILITY_ZONE
from stackling.placement.types import (
    AggregateInfo,
    AllocationRequest,
    Candidate,
    ConsumerRef,
    Inventory,
    InventorySpec,
    Provider,
    ResourceUsage,
)

__all__ = [
    "AVAILABILITY_ZONE",
    "AggregateInfo",
    "AllocationRequest",
    "Candidate",
    "ConsumerRef",
    "Inventory",
    "InventorySpec",
    "PlacementEngine",
    "Provider",
    "ResourceUsage",
    "SUMMARY_CLASSES",
    "allocation_candidates",
]
