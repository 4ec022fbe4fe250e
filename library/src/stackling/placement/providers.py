"""Resource providers and their inventories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import delete, exists, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stackling.allocation_errors import InventoryInUse, ProviderInUse
from stackling.db import models as m
from stackling.db.engine import ensure_write_transaction
from stackling.db.models.base import new_id
from stackling.errors import Conflict, ValidationError
from stackling.placement._base import EngineBase
from stackling.placement.resource_classes import validate_resource_class
from stackling.placement.types import Inventory, InventorySpec, Provider, ProviderSpec
from stackling.sql import table

CHUNK = 500  # ids per IN list (SQLite's bound-parameter limit is far above)
_rp = table("resource_providers")
_inv = table("inventories")
_traits = table("provider_traits")
_links = table("provider_aggregates")


class ProviderOps(EngineBase):
    def create_provider(self, session: Session, name: str, uuid: str | None = None) -> Provider:
        ensure_write_transaction(session)
        if not name or len(name) > 255:
            raise ValidationError("resource provider name must be 1 to 255 characters")
        now = self._clock()
        row = m.ResourceProvider(uuid=uuid or new_id(), name=name, generation=0, created_at=now, updated_at=now)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            raise Conflict("a resource provider named %r or with uuid %r exists" % (name, row.uuid)) from None
        return Provider(row.id, row.uuid, row.name, row.generation)

    def create_providers(self, session: Session, specs: Sequence[ProviderSpec]) -> list[Provider]:
        """Create many providers with their inventories, traits and aggregates in a few
        multi-row INSERTs (enrolling a rack at once). All or nothing: Conflict on a taken name."""
        ensure_write_transaction(session)
        now = self._clock()
        uuids = [spec.uuid or new_id() for spec in specs]
        rows = [
            {"uuid": uuid, "name": spec.name, "generation": 1, "created_at": now, "updated_at": now}
            for uuid, spec in zip(uuids, specs)
        ]
        try:
            with session.begin_nested():
                session.connection().execute(insert(_rp), rows)
        except IntegrityError:
            raise Conflict("some of the %d providers exist already (name or uuid)" % len(rows)) from None
        ids: dict[str, int] = {}
        for start in range(0, len(uuids), CHUNK):
            chunk = uuids[start : start + CHUNK]
            rows_ = session.connection().execute(select(_rp.c.uuid, _rp.c.id).where(_rp.c.uuid.in_(chunk)))
            ids.update(rows_.all())
        inventories: list[dict[str, object]] = []
        traits: list[dict[str, object]] = []
        links: list[dict[str, object]] = []
        aggregates: set[str] = set()
        for spec, uuid in zip(specs, uuids):
            provider_id = ids[uuid]
            for resource_class, inv in spec.inventories.items():
                inventories.append({
                    "resource_provider_id": provider_id, "resource_class": resource_class, "total": inv.total,
                    "reserved": inv.reserved, "min_unit": inv.min_unit, "max_unit": inv.effective_max_unit,
                    "step_size": inv.step_size, "allocation_ratio": float(inv.allocation_ratio), "used": 0,
                })  # fmt: skip
            traits += [{"resource_provider_id": provider_id, "trait": trait} for trait in sorted(spec.traits)]
            aggregates |= spec.aggregates
            links += [{"resource_provider_id": provider_id, "aggregate_uuid": agg} for agg in sorted(spec.aggregates)]
        self._ensure_aggregates(session, aggregates)
        for table_, values in ((_inv, inventories), (_traits, traits), (_links, links)):
            if values:
                session.connection().execute(insert(table_), values)
        return [Provider(ids[uuid], uuid, spec.name, 1) for uuid, spec in zip(uuids, specs)]

    def _ensure_aggregates(self, session: Session, uuids: set[str]) -> None:
        if not uuids:
            return
        known = set(session.scalars(select(m.Aggregate.uuid).where(m.Aggregate.uuid.in_(sorted(uuids)))))
        missing = [{"uuid": uuid, "name": None, "created_at": self._clock()} for uuid in sorted(uuids - known)]
        if missing:
            session.connection().execute(insert(table("aggregates")), missing)

    def list_providers(self, session: Session) -> list[Provider]:
        rows = session.execute(
            select(
                m.ResourceProvider.id, m.ResourceProvider.uuid, m.ResourceProvider.name, m.ResourceProvider.generation
            ).order_by(m.ResourceProvider.name)
        )
        return [Provider(*row) for row in rows]

    def delete_provider(self, session: Session, ref: str) -> None:
        """Delete a provider with no allocations (its inventories, traits and memberships go with it)."""
        row = self._begin_change(session, ref, None)
        in_use = session.scalar(select(exists().where(m.Allocation.resource_provider_id == row.id)))
        if in_use:
            raise ProviderInUse("resource provider %s has allocations" % row.name)
        session.delete(row)
        session.flush()

    def inventories(self, session: Session, ref: str) -> dict[str, Inventory]:
        row = self._provider_row(session, ref)
        rows = session.scalars(select(m.Inventory).where(m.Inventory.resource_provider_id == row.id))
        return {inv.resource_class: _inventory(inv) for inv in rows}

    def set_inventory(
        self,
        session: Session,
        ref: str,
        resource_class: str,
        spec: InventorySpec,
        expected_generation: int | None = None,
    ) -> Provider:
        """Create or update one inventory. Refused (InventoryInUse) if it would leave less than is used."""
        validate_resource_class(resource_class)
        row = self._begin_change(session, ref, expected_generation)
        self._upsert_inventory(session, row, resource_class, spec)
        generation = self._bump(session, row.id, row.generation)
        return Provider(row.id, row.uuid, row.name, generation)

    def set_inventories(
        self,
        session: Session,
        ref: str,
        inventories: Mapping[str, InventorySpec],
        expected_generation: int | None = None,
    ) -> Provider:
        """Replace all inventories of a provider (classes not named are deleted if unused)."""
        for resource_class in inventories:
            validate_resource_class(resource_class)
        row = self._begin_change(session, ref, expected_generation)
        with session.begin_nested():  # all or nothing
            existing = session.scalars(select(m.Inventory).where(m.Inventory.resource_provider_id == row.id)).all()
            for inv in existing:
                if inv.resource_class not in inventories:
                    self._delete_inventory(session, row, inv)
            for resource_class in sorted(inventories):
                self._upsert_inventory(session, row, resource_class, inventories[resource_class])
            generation = self._bump(session, row.id, row.generation)
        return Provider(row.id, row.uuid, row.name, generation)

    def delete_inventory(
        self, session: Session, ref: str, resource_class: str, expected_generation: int | None = None
    ) -> Provider:
        row = self._begin_change(session, ref, expected_generation)
        inv = session.scalars(
            select(m.Inventory).where(
                m.Inventory.resource_provider_id == row.id, m.Inventory.resource_class == resource_class
            )
        ).first()
        if inv is not None:
            self._delete_inventory(session, row, inv)
        generation = self._bump(session, row.id, row.generation)
        return Provider(row.id, row.uuid, row.name, generation)

    def usages(self, session: Session, ref: str) -> dict[str, int]:
        """Per resource class, the sum of allocations against the provider (from ``allocations``)."""
        row = self._provider_row(session, ref)
        rows = session.execute(
            select(m.Allocation.resource_class, func.sum(m.Allocation.used))
            .where(m.Allocation.resource_provider_id == row.id)
            .group_by(m.Allocation.resource_class)
        )
        return {resource_class: int(total) for resource_class, total in rows}

    def verify_usages(self, session: Session) -> list[tuple[str, str, int, int]]:
        """(provider, class, recorded used, sum of allocations) for every inventory where they differ."""
        sums = (
            select(
                m.Allocation.resource_provider_id.label("rp"),
                m.Allocation.resource_class.label("rc"),
                func.sum(m.Allocation.used).label("total"),
            )
            .group_by(m.Allocation.resource_provider_id, m.Allocation.resource_class)
            .subquery()
        )
        actual = func.coalesce(sums.c.total, 0)
        rows = session.execute(
            select(m.ResourceProvider.name, m.Inventory.resource_class, m.Inventory.used, actual)
            .join(m.ResourceProvider, m.ResourceProvider.id == m.Inventory.resource_provider_id)
            .outerjoin(
                sums, (sums.c.rp == m.Inventory.resource_provider_id) & (sums.c.rc == m.Inventory.resource_class)
            )
            .where(m.Inventory.used != actual)
        )
        return [(name, rc, int(used), int(total)) for name, rc, used, total in rows]

    def _upsert_inventory(
        self, session: Session, row: m.ResourceProvider, resource_class: str, spec: InventorySpec
    ) -> None:
        inv = session.scalars(
            select(m.Inventory).where(
                m.Inventory.resource_provider_id == row.id, m.Inventory.resource_class == resource_class
            )
        ).first()
        used = inv.used if inv is not None else 0
        if used > spec.capacity:
            raise InventoryInUse(
                "%s on %s: %d in use, more than the new capacity %d" % (resource_class, row.name, used, spec.capacity)
            )
        if inv is None:
            inv = m.Inventory(resource_provider_id=row.id, resource_class=resource_class, used=0)
            session.add(inv)
        inv.total = spec.total
        inv.reserved = spec.reserved
        inv.min_unit = spec.min_unit
        inv.max_unit = spec.effective_max_unit
        inv.step_size = spec.step_size
        inv.allocation_ratio = float(spec.allocation_ratio)
        session.flush()

    def _delete_inventory(self, session: Session, row: m.ResourceProvider, inv: m.Inventory) -> None:
        if inv.used:
            raise InventoryInUse("%s on %s: %d in use, cannot delete" % (inv.resource_class, row.name, inv.used))
        session.execute(
            delete(m.Inventory).where(m.Inventory.id == inv.id).execution_options(synchronize_session=False)
        )


def _inventory(row: m.Inventory) -> Inventory:
    spec = InventorySpec(
        total=row.total,
        reserved=row.reserved,
        min_unit=row.min_unit,
        max_unit=row.max_unit,
        step_size=row.step_size,
        allocation_ratio=row.allocation_ratio,
    )
    return Inventory(row.resource_class, spec, row.used)
