"""Errors of placement, the schedulers and IPAM, each with a stable symbol (``code``).

They extend stackling.errors (same base class, same rules: map by ``code`` or class, never
by message; each also subclasses the builtin it resembles). Their codes are members of
stackling.errors.ErrorCode; the string values are final. Not-found and plain validation
errors reuse stackling.errors.NotFound and ValidationError.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from stackling.errors import ErrorCode, StacklingError


class AllocationError(StacklingError):
    """Base of this module's errors."""


class CapacityExceeded(AllocationError, RuntimeError):
    """A claim does not fit: ``used + requested > (total - reserved) * allocation_ratio``."""

    code = ErrorCode.CAPACITY_EXCEEDED

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

    code = ErrorCode.INVALID_ALLOCATION


class ConcurrentUpdate(AllocationError, RuntimeError):
    """A generation changed under us (provider or consumer); retried, then reported."""

    code = ErrorCode.CONCURRENT_UPDATE


class InventoryInUse(AllocationError, ValueError):
    code = ErrorCode.INVENTORY_IN_USE


class ProviderInUse(AllocationError, ValueError):
    code = ErrorCode.PROVIDER_IN_USE


@dataclass(frozen=True)
class FilterRecord:
    """What one scheduling step did: ``removed`` are the names of the hosts it took out;
    ``why`` says, for some of them, what they lack (host name -> reason)."""

    name: str
    before: int
    removed: tuple[str, ...]
    why: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def after(self) -> int:
        return self.before - len(self.removed)


class NoValidHost(AllocationError, RuntimeError):
    """No host passed. ``steps`` says, per step (placement, then each filter), which hosts it removed."""

    code = ErrorCode.NO_VALID_HOST
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
            names = ", ".join(_named(name, step.why) for name in step.removed[: self.SHOWN])
            more = " and %d more" % (len(step.removed) - self.SHOWN) if len(step.removed) > self.SHOWN else ""
            parts.append("%s removed %d of %d (%s%s)" % (step.name, len(step.removed), step.before, names, more))
        return "no valid host was found: " + ("; ".join(parts) if parts else "there are no hosts")

    def removed_by(self, name: str) -> tuple[str, ...]:
        """The hosts the step ``name`` removed (empty if it removed none or did not run)."""
        for step in self.steps:
            if step.name == name:
                return step.removed
        return ()


def _named(host: str, why: Mapping[str, str]) -> str:
    return "%s [%s]" % (host, why[host]) if host in why else host


class IpAddressExhausted(AllocationError, RuntimeError):
    code = ErrorCode.IP_ADDRESS_EXHAUSTED


class IpAddressInUse(AllocationError, ValueError):
    code = ErrorCode.IP_ADDRESS_IN_USE


class MacAddressExhausted(AllocationError, RuntimeError):
    code = ErrorCode.MAC_ADDRESS_EXHAUSTED


class SegmentationIdExhausted(AllocationError, RuntimeError):
    code = ErrorCode.SEGMENTATION_ID_EXHAUSTED


class SubnetOverlap(AllocationError, ValueError):
    code = ErrorCode.SUBNET_OVERLAP

    def __init__(self, first: str, second: str, detail: str) -> None:
        super().__init__("subnets %s and %s overlap: %s" % (first, second, detail))
        self.first = first
        self.second = second


class NetworkInUse(AllocationError, ValueError):
    code = ErrorCode.NETWORK_IN_USE
