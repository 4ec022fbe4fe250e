"""Errors of placement, the schedulers and IPAM, each with a stable symbol (``code``).

They extend stackling.errors (same base class, same rules: map by ``code`` or class, never
by message; each also subclasses the builtin it resembles). Not-found and plain validation
errors reuse stackling.errors.NotFound and ValidationError. The codes live in their own enum
until they are merged into stackling.errors.ErrorCode; their string values are final.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from stackling.errors import StacklingError


class AllocationErrorCode(StrEnum):
    CAPACITY_EXCEEDED = "capacity_exceeded"
    INVALID_ALLOCATION = "invalid_allocation"
    CONCURRENT_UPDATE = "concurrent_update"
    INVENTORY_IN_USE = "inventory_in_use"
    PROVIDER_IN_USE = "provider_in_use"
    NO_VALID_HOST = "no_valid_host"
    IP_ADDRESS_EXHAUSTED = "ip_address_exhausted"
    IP_ADDRESS_IN_USE = "ip_address_in_use"
    MAC_ADDRESS_EXHAUSTED = "mac_address_exhausted"
    SEGMENTATION_ID_EXHAUSTED = "segmentation_id_exhausted"
    SUBNET_OVERLAP = "subnet_overlap"
    NETWORK_IN_USE = "network_in_use"


class AllocationError(StacklingError):
    """Base of this module's errors. StacklingError types ``code`` as ErrorCode; these codes
    extend that enum until they are merged into it, hence one ``type: ignore`` per class."""

    code: ClassVar[AllocationErrorCode]  # type: ignore[assignment]  # extends ErrorCode (class doc)


class CapacityExceeded(AllocationError, RuntimeError):
    """A claim does not fit: ``used + requested > (total - reserved) * allocation_ratio``."""

    code = AllocationErrorCode.CAPACITY_EXCEEDED  # type: ignore[assignment]  # extends ErrorCode

    def __init__(self, provider: str, resource_class: str, requested: int, used: int, capacity: int) -> None:
        super().__init__(
            "%s on provider %s: requested %d, used %d of capacity %d"
            % (resource_class, provider, requested, used, capacity)
        )
        self.provider = provider
        self.resource_class = resource_class
        self.requested = requested
        self.used = used
        self.capacity = capacity


class InvalidAllocation(AllocationError, ValueError):
    """An allocation the inventory can never take: no such inventory, or min/max unit or step size."""

    code = AllocationErrorCode.INVALID_ALLOCATION  # type: ignore[assignment]  # extends ErrorCode


class ConcurrentUpdate(AllocationError, RuntimeError):
    """A generation changed under us (provider or consumer); retried, then reported."""

    code = AllocationErrorCode.CONCURRENT_UPDATE  # type: ignore[assignment]  # extends ErrorCode


class InventoryInUse(AllocationError, ValueError):
    code = AllocationErrorCode.INVENTORY_IN_USE  # type: ignore[assignment]  # extends ErrorCode


class ProviderInUse(AllocationError, ValueError):
    code = AllocationErrorCode.PROVIDER_IN_USE  # type: ignore[assignment]  # extends ErrorCode


@dataclass(frozen=True)
class FilterRecord:
    """What one scheduling step did: ``removed`` are the names of the hosts it took out."""

    name: str
    before: int
    removed: tuple[str, ...]

    @property
    def after(self) -> int:
        return self.before - len(self.removed)


class NoValidHost(AllocationError, RuntimeError):
    """No host passed. ``steps`` says, per step (placement, then each filter), which hosts it removed."""

    code = AllocationErrorCode.NO_VALID_HOST  # type: ignore[assignment]  # extends ErrorCode
    SHOWN = 5  # host names shown per step in the message

    def __init__(self, steps: Sequence[FilterRecord], reason: str = "") -> None:
        self.steps = tuple(steps)
        self.reason = reason
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [self.reason] if self.reason else []
        for step in self.steps:
            if not step.removed:
                continue
            names = ", ".join(step.removed[: self.SHOWN])
            more = " and %d more" % (len(step.removed) - self.SHOWN) if len(step.removed) > self.SHOWN else ""
            parts.append("%s removed %d of %d (%s%s)" % (step.name, len(step.removed), step.before, names, more))
        return "no valid host was found: " + ("; ".join(parts) if parts else "there are no hosts")

    def removed_by(self, name: str) -> tuple[str, ...]:
        """The hosts the step ``name`` removed (empty if it removed none or did not run)."""
        for step in self.steps:
            if step.name == name:
                return step.removed
        return ()


class IpAddressExhausted(AllocationError, RuntimeError):
    code = AllocationErrorCode.IP_ADDRESS_EXHAUSTED  # type: ignore[assignment]  # extends ErrorCode


class IpAddressInUse(AllocationError, ValueError):
    code = AllocationErrorCode.IP_ADDRESS_IN_USE  # type: ignore[assignment]  # extends ErrorCode


class MacAddressExhausted(AllocationError, RuntimeError):
    code = AllocationErrorCode.MAC_ADDRESS_EXHAUSTED  # type: ignore[assignment]  # extends ErrorCode


class SegmentationIdExhausted(AllocationError, RuntimeError):
    code = AllocationErrorCode.SEGMENTATION_ID_EXHAUSTED  # type: ignore[assignment]  # extends ErrorCode


class SubnetOverlap(AllocationError, ValueError):
    code = AllocationErrorCode.SUBNET_OVERLAP  # type: ignore[assignment]  # extends ErrorCode

    def __init__(self, first: str, second: str, detail: str) -> None:
        super().__init__("subnets %s and %s overlap: %s" % (first, second, detail))
        self.first = first
        self.second = second


class NetworkInUse(AllocationError, ValueError):
    code = AllocationErrorCode.NETWORK_IN_USE  # type: ignore[assignment]  # extends ErrorCode
