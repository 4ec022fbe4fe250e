"""Run the filters (recording who removed what) and the weighers (nova's sum of
normalised weights times multipliers)."""

from __future__ import annotations

from collections.abc import Sequence

from stackling.allocation_errors import FilterRecord
from stackling.scheduler.filters.base import BaseHostFilter
from stackling.scheduler.host_state import HostState
from stackling.scheduler.request import RequestSpec
from stackling.scheduler.weighers.base import BaseHostWeigher


def run_filters(
    filters: Sequence[BaseHostFilter], hosts: list[HostState], request: RequestSpec
) -> tuple[list[HostState], list[FilterRecord]]:
    """The hosts every filter passes, and per filter that ran, which hosts it removed.
    Filters that do not apply to the request are skipped; the run stops when no host is left."""
    records: list[FilterRecord] = []
    for host_filter in filters:
        if not hosts:
            break
        if not host_filter.applies(request):
            continue
        verdicts = host_filter.filter_all(hosts, request)
        removed = tuple(host.name for host, ok in zip(hosts, verdicts) if not ok)
        records.append(FilterRecord(host_filter.name, len(hosts), removed))
        if removed:
            hosts = [host for host, ok in zip(hosts, verdicts) if ok]
    return hosts, records


def weigh_totals(
    weighers: Sequence[tuple[BaseHostWeigher, float]], hosts: Sequence[HostState], request: RequestSpec
) -> list[float]:
    """Each host's total: the sum over weighers of multiplier x normalised weight."""
    totals = [0.0] * len(hosts)
    for weigher, multiplier in weighers:
        if not multiplier or not weigher.applies(request):
            continue
        totals = [total + multiplier * weight for total, weight in zip(totals, weigher.weigh_all(hosts, request))]
    return totals


def rank(
    weighers: Sequence[tuple[BaseHostWeigher, float]], hosts: Sequence[HostState], request: RequestSpec
) -> list[HostState]:
    """The hosts, best first; ties keep the input order (provider id)."""
    totals = weigh_totals(weighers, hosts, request)
    return [hosts[i] for i in sorted(range(len(hosts)), key=totals.__getitem__, reverse=True)]
