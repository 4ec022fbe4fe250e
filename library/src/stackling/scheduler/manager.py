"""The compute scheduler: placement candidates -> filters -> weighers -> a host and
alternates; then a claim on the host, falling back to the alternates.

    scheduler = Scheduler(SchedulerConfig(), PlacementEngine(clock), random.Random(seed))
    placed = scheduler.schedule_and_claim(db, ConsumerRef(server_id, project, user), request)
    placed.host.name            # where the server goes; its allocations are written
    scheduler.reschedule(db, server_id, placed.selection, failed=placed.host)   # the build failed there
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from stackling.allocation_errors import CapacityExceeded, ConcurrentUpdate, FilterRecord, NoValidHost
from stackling.db import Database
from stackling.placement.engine import PlacementEngine
from stackling.placement.types import ConsumerRef
from stackling.scheduler.config import SchedulerConfig
from stackling.scheduler.filters import ALL_FILTERS, BaseHostFilter
from stackling.scheduler.filters.server_group_affinity import ServerGroupAffinityFilter
from stackling.scheduler.filters.server_group_anti_affinity import ServerGroupAntiAffinityFilter
from stackling.scheduler.handler import rank, run_filters
from stackling.scheduler.host_state import HostState
from stackling.scheduler.hosts import HostLoader
from stackling.scheduler.request import RequestSpec, Selection
from stackling.scheduler.shortfall import shortfall
from stackling.scheduler.weighers import ALL_WEIGHERS, BaseHostWeigher
from stackling.sql import table

_members = table("server_group_members")
_GROUP_CHECKS: tuple[BaseHostFilter, ...] = (ServerGroupAffinityFilter(), ServerGroupAntiAffinityFilter())


@dataclass(frozen=True)
class Placed:
    """Where a claim succeeded, the selection it came from, and the hosts that refused it."""

    host: HostState
    selection: Selection
    failures: tuple[tuple[str, str], ...] = ()


class Scheduler:
    def __init__(self, config: SchedulerConfig, placement: PlacementEngine, rng: random.Random | None = None) -> None:
        self.config = config
        self.placement = placement
        self.rng = rng or random.Random()
        self.loader = HostLoader(config.default_availability_zone)
        self.filters: list[BaseHostFilter] = [ALL_FILTERS[name]() for name in config.enabled_filters]
        self.weighers: list[tuple[BaseHostWeigher, float]] = [
            (ALL_WEIGHERS[name](), multiplier) for name, multiplier in config.weighers.items() if multiplier
        ]

    # --- choosing ----------------------------------------------------------------------------------
    def select_destinations(self, session: Session, request: RequestSpec) -> Selection:
        """The best host for ``request`` plus up to ``max_attempts - 1`` alternates; NoValidHost
        (saying which step removed which hosts) if none passes."""
        request = self.loader.resolve(session, request)
        filters = [f for f in self.filters if f.applies(request)]
        weighers = [(w, m) for w, m in self.weighers if w.applies(request)]
        needs = frozenset().union(*(f.needs for f in filters), *(w.needs for w, _multiplier in weighers))
        candidates = self.loader.load(session, request, needs, self.config.max_placement_results)
        hosts, ignored = _drop_ignored(candidates, request)
        hosts, records = run_filters(filters, hosts, request)
        if not hosts:
            raise NoValidHost([self._placement_record(session, request, candidates), *ignored, *records])
        ranked = rank(weighers, hosts, request)
        chosen = self.rng.choice(ranked[: self.config.host_subset_size])
        alternates = tuple(host for host in ranked if host is not chosen)[: self.config.alternates]
        return Selection(chosen, alternates, considered=len(candidates))

    def _placement_record(
        self, session: Session, request: RequestSpec, candidates: Sequence[HostState]
    ) -> FilterRecord:
        names = self.loader.host_names(session)
        fitting = {host.uuid for host in candidates}
        removed_uuids = [uuid for uuid in names if uuid not in fitting]
        removed = tuple(names[uuid] for uuid in removed_uuids)
        # what each shown host lacks: the message names the exhausted resource, not just the host
        why = {
            names[uuid]: shortfall(self.placement.inventories(session, uuid), request.resources)
            for uuid in removed_uuids[: NoValidHost.SHOWN]
        }
        wanted = ", ".join("%s:%d" % item for item in sorted(request.resources.items()))
        limit = self.config.max_placement_results
        if limit and len(candidates) == limit:  # the others may fit too: they were not sampled
            wanted += "; %d random hosts considered (max_placement_results)" % limit
        return FilterRecord("placement (%s)" % wanted, len(names), removed, why)

    # --- claiming ----------------------------------------------------------------------------------
    def schedule_and_claim(self, db: Database, consumer: ConsumerRef, request: RequestSpec) -> Placed:
        """Select, then claim on the chosen host; on a failed claim try the alternates in order."""
        with db.read() as session:
            selection = self.select_destinations(session, request)
        return self.claim_selection(db, consumer, request, selection)

    def reschedule(self, db: Database, consumer_uuid: str, selection: Selection, failed: HostState) -> Placed:
        """The build failed on ``failed``: move the consumer's allocations to the next alternate
        that takes them (an atomic move, so the consumer never holds both or neither)."""
        remaining = selection.hosts[selection.hosts.index(failed) + 1 :]
        failures: list[tuple[str, str]] = [(failed.name, "build failed")]
        for host in remaining:
            try:
                with db.write() as session:
                    self.placement.move(session, consumer_uuid, failed.uuid, host.uuid)
                return Placed(host, selection, tuple(failures))
            except (CapacityExceeded, ConcurrentUpdate) as exc:
                failures.append((host.name, str(exc)))
        raise _claims_failed(selection, failures)

    def claim_selection(
        self, db: Database, consumer: ConsumerRef, request: RequestSpec, selection: Selection
    ) -> Placed:
        """Claim on the selected host, else on each alternate in turn (one write transaction
        each); NoValidHost listing every refusal if none takes it."""
        failures: list[tuple[str, str]] = []
        for host in selection.hosts:
            try:
                with db.write() as session:
                    self.claim(session, consumer, request, host)
                return Placed(host, selection, tuple(failures))
            except (CapacityExceeded, ConcurrentUpdate, _GroupPolicyChanged) as exc:
                failures.append((host.name, str(exc)))
        raise _claims_failed(selection, failures)

    def claim(self, session: Session, consumer: ConsumerRef, request: RequestSpec, host: HostState) -> None:
        """Claim ``request.resources`` on ``host`` for ``consumer`` in the caller's write transaction.

        With a server group, the group row is locked (PostgreSQL) and its hard policy is checked
        again against the members placed meanwhile; the consumer joins the group in the same
        transaction, so two concurrent anti-affinity boots cannot land on one host."""
        if request.group_id is not None:
            fresh = self.loader.resolve(session, request.resolved(group=None), lock_group=True)
            for check in _GROUP_CHECKS:
                if check.applies(fresh) and not check.host_passes(host, fresh):
                    raise _GroupPolicyChanged(
                        "server group %s policy no longer allows %s" % (request.group_id, host.name)
                    )
        self.placement.claim(session, consumer, {host.uuid: dict(request.resources)})
        if request.group_id is not None:
            self._join_group(session, request.group_id, consumer.uuid)

    def _join_group(self, session: Session, group_id: str, consumer_uuid: str) -> None:
        known = (
            session.connection()
            .execute(
                select(_members.c.group_id).where(
                    _members.c.group_id == group_id, _members.c.consumer_uuid == consumer_uuid
                )
            )
            .first()
        )
        if known is None:
            session.connection().execute(insert(_members).values(group_id=group_id, consumer_uuid=consumer_uuid))


class _GroupPolicyChanged(ConcurrentUpdate):
    """Members placed since the selection make the host break the group's hard policy."""


def _drop_ignored(hosts: list[HostState], request: RequestSpec) -> tuple[list[HostState], list[FilterRecord]]:
    if not request.ignore_hosts:
        return hosts, []
    ignore = request.ignore_hosts
    kept = [host for host in hosts if host.name not in ignore and host.uuid not in ignore]
    removed = tuple(host.name for host in hosts if host.name in ignore or host.uuid in ignore)
    return kept, [FilterRecord("ignore_hosts", len(hosts), removed)]


def _claims_failed(selection: Selection, failures: Sequence[tuple[str, str]]) -> NoValidHost:
    names = tuple(name for name, _error in failures)
    detail = "; ".join("%s: %s" % failure for failure in failures)
    return NoValidHost([FilterRecord("claim", len(selection.hosts), names)], reason="claims failed (%s)" % detail)
