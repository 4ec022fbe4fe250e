"""Storage backends through the policy (cloud admin): register or update a volume backend (its
DISK_GB inventory follows cinder's capacity rules, see stackling.scheduler.volume.backends),
put it in an availability zone, enable or disable it, delete it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from stackling.compute._base import PolicyService, ensure_zone_aggregate, membership
from stackling.context import Context
from stackling.db import Database
from stackling.errors import NotFound, ValidationError
from stackling.policy import Enforcer
from stackling.scheduler.volume.backend_state import BackendState
from stackling.scheduler.volume.backends import StorageBackends

LOG = logging.getLogger(__name__)
DRIVERS = ("lvm", "file")


@dataclass(frozen=True)
class StorageBackend:
    name: str
    uuid: str
    driver: str
    total_capacity_gb: float
    free_capacity_gb: float
    provisioned_capacity_gb: float
    thin_provisioning: bool
    max_over_subscription_ratio: float
    reserved_percentage: int
    availability_zone: str
    enabled: bool


@dataclass(frozen=True)
class BackendSpec:
    """What to make of a backend; None keeps the current value (a new one needs driver and total)."""

    driver: str | None = None
    total_capacity_gb: float | None = None
    free_capacity_gb: float | None = None
    thin_provisioning: bool = False
    max_over_subscription_ratio: float = 20.0
    reserved_percentage: int = 0
    availability_zone: str | None = None
    enabled: bool | None = None

    def __post_init__(self) -> None:
        if self.driver is not None and self.driver not in DRIVERS:
            raise ValidationError("driver: expected one of %s, got %r" % (", ".join(DRIVERS), self.driver), "driver")
        for key in ("total_capacity_gb", "free_capacity_gb"):
            value = getattr(self, key)
            if value is not None and value < (1 if key == "total_capacity_gb" else 0):
                raise ValidationError(
                    "%s: expected at least %d, got %r" % (key, key == "total_capacity_gb", value), key
                )
        if not 0 <= self.reserved_percentage <= 100:
            raise ValidationError(
                "reserved_percentage: expected 0 to 100, got %r" % self.reserved_percentage, "reserved_percentage"
            )
        if self.max_over_subscription_ratio < 1:
            raise ValidationError(
                "max_over_subscription_ratio: expected at least 1.0, got %r" % self.max_over_subscription_ratio,
                "max_over_subscription_ratio",
            )


class StorageBackendService(PolicyService):
    def __init__(self, db: Database, enforcer: Enforcer, backends: StorageBackends) -> None:
        super().__init__(db, enforcer)
        self.backends = backends

    @staticmethod
    def spec(**fields: Any) -> BackendSpec:
        """A checked BackendSpec from plain values (ValidationError naming the field)."""
        return BackendSpec(**fields)

    def find(self, ctx: Context, name: str) -> StorageBackend | None:
        self._enforce(ctx, "volume:get_backend")
        with self._db.read() as session:
            return self._find(session, name)

    def list(self, ctx: Context) -> list[StorageBackend]:
        self._enforce(ctx, "volume:list_backends")
        with self._db.read() as session:
            return [self._record(session, state) for state in self.backends.load(session)]

    def apply(self, ctx: Context, name: str, spec: BackendSpec) -> StorageBackend:
        """Create or update the backend to ``spec`` in one transaction."""
        with self._db.write() as session:
            current = self._find(session, name)
            self._enforce(ctx, "volume:update_backend" if current else "volume:create_backend")
            driver = spec.driver or (current.driver if current else None)
            total = spec.total_capacity_gb or (current.total_capacity_gb if current else None)
            if driver is None or total is None:
                raise ValidationError("a new storage backend needs its driver and total_capacity_gb", "driver")
            free = spec.free_capacity_gb
            if free is None and current is not None:
                free = min(current.free_capacity_gb, total)
            self.backends.register(
                session, name, driver, total, free, thin_provisioning_support=spec.thin_provisioning,
                max_over_subscription_ratio=spec.max_over_subscription_ratio,
                reserved_percentage=spec.reserved_percentage,
            )  # fmt: skip
            if spec.enabled is not None:
                self.backends.set_enabled(session, name, spec.enabled)
            if spec.availability_zone is not None:
                placement = self.backends.placement
                current_aggs = [placement.aggregate(session, uuid).name or uuid
                                for uuid in placement.aggregates(session, name)]  # fmt: skip
                wanted = membership(session, current_aggs, None, spec.availability_zone)
                ensure_zone_aggregate(session, placement, spec.availability_zone)
                placement.set_aggregates(session, name, [placement.aggregate(session, a).uuid for a in wanted])
            LOG.info("%s storage backend %s", "updated" if current else "registered", name)
            return self._record(session, self.backends.get(session, name))

    def delete(self, ctx: Context, name: str) -> None:
        self._enforce(ctx, "volume:delete_backend")
        with self._db.write() as session:
            self.backends.delete(session, name)
            LOG.info("deleted storage backend %s", name)

    def _find(self, session: Session, name: str) -> StorageBackend | None:
        try:
            return self._record(session, self.backends.get(session, name))
        except NotFound:
            return None

    def _record(self, session: Session, state: BackendState) -> StorageBackend:
        return StorageBackend(
            name=state.name, uuid=state.uuid, driver=self.backends.driver(session, state.uuid),
            total_capacity_gb=state.total_capacity_gb, free_capacity_gb=state.free_capacity_gb,
            provisioned_capacity_gb=state.provisioned_capacity_gb, thin_provisioning=state.thin_provisioning_support,
            max_over_subscription_ratio=state.max_over_subscription_ratio,
            reserved_percentage=state.reserved_percentage, availability_zone=state.availability_zone,
            enabled=state.enabled,
        )  # fmt: skip
