"""The volume scheduler: backends -> filters -> weighers -> a backend and alternates; the
claim (DISK_GB on the backend's provider) falls back to the alternates.

    volumes = VolumeScheduler(VolumeSchedulerConfig(), StorageBackends(placement, clock))
    placed = volumes.schedule_and_claim(db, ConsumerRef(volume_id, project, user, "VOLUME"), VolumeRequest(10))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stackling.allocation_errors import CapacityExceeded, ConcurrentUpdate, FilterRecord, NoValidHost
from stackling.db import Database
from stackling.placement.resource_classes import DISK_GB
from stackling.placement.types import ConsumerRef
from stackling.scheduler.config import VolumeSchedulerConfig
from stackling.scheduler.volume import ALL_VOLUME_FILTERS, ALL_VOLUME_WEIGHERS
from stackling.scheduler.volume.backend_state import BackendState, VolumeRequest
from stackling.scheduler.volume.backends import StorageBackends
from stackling.scheduler.weighers.base import normalize


@dataclass(frozen=True)
class BackendSelection:
    backend: BackendState
    alternates: tuple[BackendState, ...] = ()

    @property
    def backends(self) -> tuple[BackendState, ...]:
        return (self.backend, *self.alternates)


class VolumeScheduler:
    def __init__(self, config: VolumeSchedulerConfig, backends: StorageBackends, alternates: int = 2) -> None:
        self.config = config
        self.backends = backends
        self.alternates = alternates
        self.filters = [ALL_VOLUME_FILTERS[name]() for name in config.enabled_filters]
        self.weighers = [(ALL_VOLUME_WEIGHERS[name](), mult) for name, mult in config.weighers.items() if mult]

    def select(self, backends: Sequence[BackendState], request: VolumeRequest) -> BackendSelection:
        """The best backend and alternates; NoValidHost saying which filter removed which backends."""
        remaining = list(backends)
        records: list[FilterRecord] = []
        for backend_filter in self.filters:
            if not remaining:
                break
            kept = [b for b in remaining if backend_filter.backend_passes(b, request)]
            removed = tuple(b.name for b in remaining if b not in kept)
            records.append(FilterRecord(backend_filter.name, len(remaining), removed))
            remaining = kept
        if not remaining:
            raise NoValidHost(records, reason="no storage backend can hold %d GiB" % request.size_gb)
        totals = [0.0] * len(remaining)
        for weigher, multiplier in self.weighers:
            weights = normalize([weigher.weigh(b, request) for b in remaining])
            totals = [t + multiplier * w for t, w in zip(totals, weights)]
        ranked = [remaining[i] for i in sorted(range(len(remaining)), key=lambda i: -totals[i])]
        return BackendSelection(ranked[0], tuple(ranked[1 : 1 + self.alternates]))

    def schedule_and_claim(
        self, db: Database, consumer: ConsumerRef, request: VolumeRequest,
        only: Callable[[BackendState], bool] | None = None,
    ) -> BackendState:  # fmt: skip
        """Claim on the best backend (``only``: the backends a volume type or source allows)."""
        with db.read() as session:
            backends = [b for b in self.backends.load(session) if only is None or only(b)]
            if not backends:
                raise NoValidHost([FilterRecord("volume type", 0, ())], reason="no storage backend of the volume type")
            selection = self.select(backends, request)
        failures: list[str] = []
        for backend in selection.backends:
            try:
                with db.write() as session:
                    self.backends.placement.claim(session, consumer, {backend.uuid: {DISK_GB: request.size_gb}})
                return backend
            except (CapacityExceeded, ConcurrentUpdate) as exc:
                failures.append("%s: %s" % (backend.name, exc))
        names = tuple(b.name for b in selection.backends)
        raise NoValidHost([FilterRecord("claim", len(names), names)], reason="claims failed (%s)" % "; ".join(failures))
