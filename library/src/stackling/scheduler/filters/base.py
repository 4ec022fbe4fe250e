"""The filter interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from stackling.scheduler.host_state import HostState
from stackling.scheduler.request import RequestSpec


class BaseHostFilter(ABC):
    """Keeps the hosts for which ``host_passes`` is true.

    ``applies`` says whether the filter has anything to check for this request (nova's
    filters return True early instead; asking once lets the handler skip 10,000 calls).
    ``needs`` names the optional HostState facts the filter reads (loaded only when needed).
    """

    needs: ClassVar[frozenset[str]] = frozenset()

    @property
    def name(self) -> str:
        return type(self).__name__

    def applies(self, request: RequestSpec) -> bool:
        return True

    @abstractmethod
    def host_passes(self, host: HostState, request: RequestSpec) -> bool:
        """True if the host can take the request."""

    def filter_all(self, hosts: Sequence[HostState], request: RequestSpec) -> list[bool]:
        """``host_passes`` for each host; a filter may override it to prepare the request once."""
        passes = self.host_passes
        return [passes(host, request) for host in hosts]
