"""Host states from placement: ONE query returns every compute host that fits the request
by resources (placement's candidate conditions) together with its compute-host record;
the optional facts (traits, aggregate metadata, zone, instance counts) are each one more
set-based query, run only when an active filter or weigher needs them.

Also resolves a request's references (server group members' hosts, same/different-host
hints) into provider uuids, so filters compare sets and never query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import CursorResult, FromClause, Select, distinct, func, select
from sqlalchemy.orm import Session

from stackling.db.engine import is_sqlite
from stackling.errors import NotFound
from stackling.placement.candidates import SUMMARY_CLASSES, Shape, matching, parameters, shape_of
from stackling.placement.resource_classes import DISK_GB, MEMORY_MB, VCPU
from stackling.placement.tagging import AVAILABILITY_ZONE as AZ_KEY
from stackling.placement.types import AllocationRequest
from stackling.scheduler.filters.aggregate_instance_extra_specs import metadata_keys
from stackling.scheduler.host_state import AGGREGATE_METADATA, AVAILABILITY_ZONE, NUM_INSTANCES, TRAITS, HostState
from stackling.scheduler.request import RequestSpec, ServerGroupInfo
from stackling.sql import table

FETCH_BATCH = 1000
_rp = table("resource_providers")
_hosts = table("compute_hosts")
_traits = table("provider_traits")
_pagg = table("provider_aggregates")
_meta = table("aggregate_metadata")
_alloc = table("allocations")
_groups = table("server_groups")
_members = table("server_group_members")


def _free(inv: FromClause) -> Any:
    """capacity - used (0 without such inventory)."""
    return func.coalesce((inv.c.total - inv.c.reserved) * inv.c.allocation_ratio - inv.c.used, 0.0)


@lru_cache(maxsize=256)
def _hosts_statement(shape: Shape) -> Select[Any]:
    match = matching(shape)
    inv = match.inventories
    return match.select(
        _rp.c.id, _rp.c.uuid, _rp.c.name,
        _free(inv[VCPU]), _free(inv[MEMORY_MB]), _free(inv[DISK_GB]),
        _hosts.c.enabled, _hosts.c.hypervisor_type, _hosts.c.hypervisor_version, _hosts.c.architecture,
        joins=[(_hosts, _hosts.c.resource_provider_id == _rp.c.id)],
    )  # fmt: skip


class HostLoader:
    def __init__(self, default_availability_zone: str) -> None:
        self.default_availability_zone = default_availability_zone

    def load(self, session: Session, request: RequestSpec, needs: frozenset[str], limit: int = 0) -> list[HostState]:
        """The compute hosts that fit ``request.resources`` now (``limit`` > 0: that many, at random)."""
        placement_request = AllocationRequest(request.resources, limit=limit or None, randomize=bool(limit))
        shape = shape_of(placement_request, SUMMARY_CLASSES)
        result = cast(
            CursorResult[Any], session.connection().execute(_hosts_statement(shape), parameters(placement_request))
        )
        hosts: list[HostState] = []
        try:
            # Plain DBAPI rows, a batch at a time: the columns need no type processing, and
            # 10,000 Row objects plus 10,000 tuples alive at once would mostly feed the GC.
            while batch := result.cursor.fetchmany(FETCH_BATCH):
                hosts += map(HostState._make, batch)
        finally:
            result.close()
        if hosts and needs:
            self._load_optional(session, hosts, request, needs)
        return hosts

    def _load_optional(
        self, session: Session, hosts: list[HostState], request: RequestSpec, needs: frozenset[str]
    ) -> None:
        if AVAILABILITY_ZONE in needs:
            zones = self.zones(session)
            for host in hosts:
                host.availability_zone = zones.get(host.provider_id, self.default_availability_zone)
        if TRAITS in needs:
            traits = self.traits(session, request.required_traits | request.forbidden_traits)
            for host in hosts:
                host.traits = traits.get(host.provider_id, frozenset())
        if AGGREGATE_METADATA in needs:
            metadata = self.aggregate_metadata(session, metadata_keys(request.extra_specs))
            for host in hosts:
                host.aggregate_metadata = metadata.get(host.provider_id, {})
        if NUM_INSTANCES in needs:
            counts = self.instance_counts(session)
            for host in hosts:
                host.num_instances = counts.get(host.provider_id, 0)

    # --- optional facts, one query each -------------------------------------------------------------
    def zones(self, session: Session) -> dict[int, str]:
        rows = session.connection().execute(
            select(_pagg.c.resource_provider_id, _meta.c.value)
            .join(_meta, _meta.c.aggregate_uuid == _pagg.c.aggregate_uuid)
            .where(_meta.c.key == AZ_KEY)
        )
        return dict(rows.all())

    def traits(self, session: Session, names: Iterable[str]) -> dict[int, frozenset[str]]:
        """Each provider's traits among ``names`` (the only ones a request can ask about)."""
        wanted = sorted(names)
        if not wanted:
            return {}
        found: dict[int, set[str]] = defaultdict(set)
        for provider_id, trait in session.connection().execute(
            select(_traits.c.resource_provider_id, _traits.c.trait).where(_traits.c.trait.in_(wanted))
        ):
            found[provider_id].add(trait)
        return {provider_id: frozenset(traits) for provider_id, traits in found.items()}

    def aggregate_metadata(self, session: Session, keys: Iterable[str]) -> dict[int, dict[str, frozenset[str]]]:
        wanted = sorted(keys)
        if not wanted:
            return {}
        found: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for provider_id, key, value in session.connection().execute(
            select(_pagg.c.resource_provider_id, _meta.c.key, _meta.c.value)
            .join(_meta, _meta.c.aggregate_uuid == _pagg.c.aggregate_uuid)
            .where(_meta.c.key.in_(wanted))
        ):
            found[provider_id][key].add(value)
        return {pid: {k: frozenset(v) for k, v in meta.items()} for pid, meta in found.items()}

    def instance_counts(self, session: Session) -> dict[int, int]:
        rows = session.connection().execute(
            select(_alloc.c.resource_provider_id, func.count(distinct(_alloc.c.consumer_uuid))).group_by(
                _alloc.c.resource_provider_id
            )
        )
        return dict(rows.all())

    def host_names(self, session: Session) -> dict[str, str]:
        """uuid -> name of every compute host (for explaining "no valid host")."""
        rows = session.connection().execute(
            select(_rp.c.uuid, _rp.c.name).join(_hosts, _hosts.c.resource_provider_id == _rp.c.id).order_by(_rp.c.id)
        )
        return dict(rows.all())

    # --- resolving references ----------------------------------------------------------------------
    def resolve(self, session: Session, request: RequestSpec, lock_group: bool = False) -> RequestSpec:
        """``request`` with its group (policy, members per host) and host hints resolved."""
        changes: dict[str, Any] = {}
        if request.group_id is not None:
            changes["group"] = self.group(session, request.group_id, lock=lock_group)
        if request.same_host:
            changes["same_host_hosts"] = self.hosts_of(session, request.same_host)
        if request.different_host:
            changes["different_host_hosts"] = self.hosts_of(session, request.different_host)
        return request.resolved(**changes) if changes else request

    def group(self, session: Session, group_id: str, lock: bool = False) -> ServerGroupInfo:
        query = select(_groups.c.policy, _groups.c.max_server_per_host).where(_groups.c.id == group_id)
        if lock and not is_sqlite(session):
            query = query.with_for_update()
        row = session.connection().execute(query).first()
        if row is None:
            raise NotFound("server group", group_id)
        counts = session.connection().execute(
            select(_rp.c.uuid, func.count(distinct(_alloc.c.consumer_uuid)))
            .select_from(_members)
            .join(_alloc, _alloc.c.consumer_uuid == _members.c.consumer_uuid)
            .join(_rp, _rp.c.id == _alloc.c.resource_provider_id)
            .where(_members.c.group_id == group_id)
            .group_by(_rp.c.uuid)
        )
        return ServerGroupInfo(group_id, row[0], dict(counts.all()), row[1])

    def hosts_of(self, session: Session, consumers: Iterable[str]) -> frozenset[str]:
        """Provider uuids holding allocations of any of ``consumers``."""
        rows = session.connection().execute(
            select(_rp.c.uuid)
            .distinct()
            .join(_alloc, _alloc.c.resource_provider_id == _rp.c.id)
            .where(_alloc.c.consumer_uuid.in_(sorted(consumers)))
        )
        return frozenset(uuid for (uuid,) in rows)
