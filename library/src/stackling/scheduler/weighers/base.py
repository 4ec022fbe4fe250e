"""The weigher interface and nova's normalisation."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from stackling.scheduler.host_state import HostState
from stackling.scheduler.request import RequestSpec


def normalize(weights: Sequence[float], minval: float | None = None, maxval: float | None = None) -> list[float]:
    """Scale to [0.0, 1.0] (nova's weights.normalize): the minimum maps to 0, the maximum to 1;
    all equal maps to 0. ``minval``/``maxval`` fix the ends instead of the observed ones."""
    if not weights:
        return []
    low = float(min(weights) if minval is None else minval)
    high = float(max(weights) if maxval is None else maxval)
    if low == high:
        return [0.0] * len(weights)
    span = high - low
    return [(w - low) / span for w in weights]


class BaseHostWeigher(ABC):
    """Turns a host into a raw weight; the handler normalises each weigher's weights over
    the hosts and adds ``multiplier * normalised`` to each host's total. A positive
    multiplier favours hosts with higher raw weight (spread, for the free-capacity
    weighers), a negative one favours lower (pack); 0 disables the weigher."""

    needs: ClassVar[frozenset[str]] = frozenset()
    minval: ClassVar[float | None] = None
    maxval: ClassVar[float | None] = None

    @property
    def name(self) -> str:
        return type(self).__name__

    def applies(self, request: RequestSpec) -> bool:
        return True

    @abstractmethod
    def weigh(self, host: HostState, request: RequestSpec) -> float:
        """The raw (unnormalised) weight of ``host``."""

    def weigh_all(self, hosts: Sequence[HostState], request: RequestSpec) -> list[float]:
        """Normalised weights of ``hosts``, in order."""
        return normalize([self.weigh(host, request) for host in hosts], self.minval, self.maxval)
