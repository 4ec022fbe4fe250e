"""TraitsFilter: the host has every required trait and none of the forbidden ones
(from ``trait:NAME=required|forbidden`` flavor extra specs or the request)."""

from __future__ import annotations

from stackling.scheduler.filters.base import BaseHostFilter
from stackling.scheduler.host_state import TRAITS, HostState
from stackling.scheduler.request import RequestSpec


class TraitsFilter(BaseHostFilter):
    needs = frozenset({TRAITS})

    def applies(self, request: RequestSpec) -> bool:
        return bool(request.required_traits or request.forbidden_traits)

    def host_passes(self, host: HostState, request: RequestSpec) -> bool:
        return request.required_traits <= host.traits and not (request.forbidden_traits & host.traits)
