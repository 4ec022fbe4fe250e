"""AggregateInstanceExtraSpecsFilter: flavor extra specs must match the metadata of the
host's aggregates.

Keys scoped ``aggregate_instance_extra_specs:`` and unscoped keys are checked (other scopes,
``hw:``, ``trait:``, ``resources:``..., belong to other filters). A key passes when any value
the host's aggregates give it matches the spec (nova's operators: ``<in>``, ``s==``, ``>=``...);
a key the aggregates do not have fails the host.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from stackling.scheduler.extra_specs_ops import match
from stackling.scheduler.filters.base import BaseHostFilter
from stackling.scheduler.host_state import AGGREGATE_METADATA, HostState
from stackling.scheduler.request import RequestSpec

SCOPE = "aggregate_instance_extra_specs"


def _specs(extra_specs: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    for key, value in extra_specs.items():
        scope, sep, name = key.partition(":")
        if not sep:
            yield key, value
        elif scope == SCOPE and name:
            yield name, value


def metadata_keys(extra_specs: Mapping[str, str]) -> frozenset[str]:
    """The aggregate metadata keys the filter will read for these extra specs."""
    return frozenset(name for name, _value in _specs(extra_specs))


class AggregateInstanceExtraSpecsFilter(BaseHostFilter):
    needs = frozenset({AGGREGATE_METADATA})

    def applies(self, request: RequestSpec) -> bool:
        return any(True for _spec in _specs(request.extra_specs))

    def host_passes(self, host: HostState, request: RequestSpec) -> bool:
        for key, wanted in _specs(request.extra_specs):
            values = host.aggregate_metadata.get(key)
            if not values or not any(match(value, wanted) for value in values):
                return False
        return True
