"""Claims: write all allocations of a consumer at once, atomically, never oversubscribing.

Inside the caller's write transaction, in a SAVEPOINT retried up to ``claim_retries`` times:

1. read the providers involved (old and new) ordered by id; on PostgreSQL ``FOR UPDATE``
   (on SQLite the transaction began with ``BEGIN IMMEDIATE``: writers are serialised);
2. give back the consumer's old allocations (``used -= amount``) and delete them;
3. take each new amount with a conditional UPDATE that re-checks capacity in the database:
   ``UPDATE inventories SET used = used + :n WHERE ... AND used + :n <= (total - reserved) *
   allocation_ratio AND <units>``; no row updated means it does not fit (CapacityExceeded)
   or can never fit (InvalidAllocation);
4. insert the allocation rows, write the consumer (its generation checked), and bump each
   provider's generation with ``WHERE generation = <the one read in 1>``: a mismatch (or a
   deadlock / serialisation failure) rolls the savepoint back and retries; after the last
   retry it is ConcurrentUpdate.

Replacing (resize) and moving (migration) are the same write with other allocations.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from enum import Enum
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Integer, bindparam, case, delete, insert, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from stackling.allocation_errors import CapacityExceeded, ConcurrentUpdate, InvalidAllocation
from stackling.db.engine import ensure_write_transaction, is_sqlite
from stackling.errors import NotFound, ValidationError
from stackling.placement._base import EngineBase
from stackling.placement.capacity import capacity, unit_problem
from stackling.placement.resource_classes import validate_resource_class
from stackling.placement.types import ConsumerRef
from stackling.sql import rowcount, table

T = TypeVar("T")
_rp = table("resource_providers")
_inv = table("inventories")
_alloc = table("allocations")
_consumer = table("consumers")
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure


def _p(name: str) -> Any:
    return bindparam(name, type_=Integer)


# The claim path's statements, built once (values are bound parameters).
_CONSUMER_GENERATION = select(_consumer.c.generation).where(_consumer.c.uuid == bindparam("c_uuid"))
_CURRENT = select(_alloc.c.resource_provider_id, _alloc.c.resource_class, _alloc.c.used).where(
    _alloc.c.consumer_uuid == bindparam("c_uuid")
)
_PROVIDERS = (
    select(_rp.c.id, _rp.c.uuid, _rp.c.name, _rp.c.generation)
    .where(or_(_rp.c.uuid.in_(bindparam("uuids", expanding=True)), _rp.c.id.in_(bindparam("ids", expanding=True))))
    .order_by(_rp.c.id)
)
_PROVIDERS_LOCKED = _PROVIDERS.with_for_update()
_INVENTORY_ROW = _inv.c.resource_provider_id == _p("rp_id"), _inv.c.resource_class == bindparam("rc")
_GIVE_BACK = update(_inv).where(*_INVENTORY_ROW).values(used=_inv.c.used - _p("amount"))


@lru_cache(maxsize=32)
def _take_statement(classes: int) -> Any:
    """Take ``amount_i`` of class ``rc_i`` (i < classes) from one provider in one UPDATE; it
    updates exactly ``classes`` rows when everything fits, fewer otherwise."""
    amount = case(*[(_inv.c.resource_class == bindparam("rc_%d" % i), _p("amount_%d" % i)) for i in range(classes)])
    return (
        update(_inv)
        .where(
            _inv.c.resource_provider_id == _p("rp_id"),
            _inv.c.resource_class.in_([bindparam("rc_%d" % i) for i in range(classes)]),
            _inv.c.used + amount <= (_inv.c.total - _inv.c.reserved) * _inv.c.allocation_ratio,
            _inv.c.min_unit <= amount,
            _inv.c.max_unit >= amount,
            amount % _inv.c.step_size == 0,
        )
        .values(used=_inv.c.used + amount)
    )


_INVENTORY = select(
    _inv.c.total,
    _inv.c.reserved,
    _inv.c.allocation_ratio,
    _inv.c.used,
    _inv.c.min_unit,
    _inv.c.max_unit,
    _inv.c.step_size,
).where(*_INVENTORY_ROW)
_DELETE_ALLOCATIONS = delete(_alloc).where(_alloc.c.consumer_uuid == bindparam("c_uuid"))
_INSERT_ALLOCATION = insert(_alloc)
_INSERT_CONSUMER = insert(_consumer)
_CONSUMER_AT = (_consumer.c.uuid == bindparam("c_uuid"), _consumer.c.generation == _p("seen"))
_DELETE_CONSUMER = delete(_consumer).where(*_CONSUMER_AT)
_BUMP_CONSUMER = update(_consumer).where(*_CONSUMER_AT).values(generation=_p("seen") + 1, updated_at=bindparam("now"))
_BUMP_PROVIDER = (
    update(_rp).where(_rp.c.id == _p("rp_id"), _rp.c.generation == _p("seen")).values(generation=_p("seen") + 1)
)


class Expect(Enum):
    NEW = "new"  # the consumer must have no allocations yet
    ANY = "any"  # do not check the consumer's generation


class _Retry(Exception):
    """A generation moved under this attempt: roll the savepoint back and try again."""


Allocations = Mapping[str, Mapping[str, int]]  # provider uuid -> resource class -> amount


def _checked(allocations: Allocations) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for provider, resources in allocations.items():
        for resource_class, amount in resources.items():
            validate_resource_class(resource_class)
            if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
                raise ValidationError(
                    "allocation of %s on %s: expected an integer >= 1, got %r" % (resource_class, provider, amount)
                )
        if resources:
            out[provider] = dict(resources)
    return out


class ClaimOps(EngineBase):
    def allocations(self, session: Session, consumer_uuid: str) -> dict[str, dict[str, int]]:
        """The consumer's allocations: provider uuid -> resource class -> amount."""
        rows = session.connection().execute(
            select(_rp.c.uuid, _alloc.c.resource_class, _alloc.c.used)
            .join(_rp, _rp.c.id == _alloc.c.resource_provider_id)
            .where(_alloc.c.consumer_uuid == consumer_uuid)
        )
        out: dict[str, dict[str, int]] = {}
        for provider, resource_class, used in rows:
            out.setdefault(provider, {})[resource_class] = used
        return out

    def consumer_generation(self, session: Session, consumer_uuid: str) -> int | None:
        return session.connection().execute(_CONSUMER_GENERATION, {"c_uuid": consumer_uuid}).scalar()

    def claim(
        self,
        session: Session,
        consumer: ConsumerRef,
        allocations: Allocations,
        consumer_generation: int | None = None,
    ) -> int:
        """Set ALL of ``consumer``'s allocations (placement's ``PUT /allocations/{consumer}``).

        ``consumer_generation`` None: the consumer must be new; an int: it must be the current
        generation (a replace, e.g. a resize). Returns the consumer's new generation."""
        wanted = _checked(allocations)
        expect: int | Expect = Expect.NEW if consumer_generation is None else consumer_generation
        return self._retrying(session, lambda: self._write(session, consumer, wanted, expect))

    def move(
        self, session: Session, consumer_uuid: str, source: str, target: str, consumer_generation: int | None = None
    ) -> int:
        """Move the consumer's allocations on provider ``source`` to provider ``target``
        (uuids), atomically: a cold migration or evacuation."""
        ensure_write_transaction(session)
        consumer = self._consumer(session, consumer_uuid)
        current = self.allocations(session, consumer_uuid)
        if source not in current:
            raise NotFound("allocations of consumer %s on provider" % consumer_uuid, source)
        moved = dict(current)
        resources = moved.pop(source)
        merged = dict(moved.get(target, {}))
        for resource_class, amount in resources.items():
            merged[resource_class] = merged.get(resource_class, 0) + amount
        moved[target] = merged
        expect: int | Expect = Expect.ANY if consumer_generation is None else consumer_generation
        return self._retrying(session, lambda: self._write(session, consumer, moved, expect))

    def delete_allocations(self, session: Session, consumer_uuid: str, consumer_generation: int | None = None) -> None:
        """Give back everything the consumer holds (no-op if it holds nothing)."""
        ensure_write_transaction(session)
        if self.consumer_generation(session, consumer_uuid) is None:
            return
        consumer = self._consumer(session, consumer_uuid)
        expect: int | Expect = Expect.ANY if consumer_generation is None else consumer_generation
        self._retrying(session, lambda: self._write(session, consumer, {}, expect))

    def _consumer(self, session: Session, consumer_uuid: str) -> ConsumerRef:
        row = session.execute(
            select(_consumer.c.project_id, _consumer.c.user_id, _consumer.c.consumer_type).where(
                _consumer.c.uuid == consumer_uuid
            )
        ).first()
        if row is None:
            raise NotFound("consumer", consumer_uuid)
        return ConsumerRef(consumer_uuid, row[0], row[1], row[2])

    # --- the write -------------------------------------------------------------------------------
    def _retrying(self, session: Session, work: Callable[[], T]) -> T:
        ensure_write_transaction(session)
        for attempt in range(self.claim_retries + 1):
            try:
                with session.begin_nested():
                    return work()
            except _Retry:
                pass
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES:
                    raise
            time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        raise ConcurrentUpdate(
            "allocations changed concurrently %d times in a row; giving up" % (self.claim_retries + 1)
        )

    def _write(
        self, session: Session, consumer: ConsumerRef, wanted: dict[str, dict[str, int]], expect: int | Expect
    ) -> int:
        conn = session.connection()
        key = {"c_uuid": consumer.uuid}
        seen_consumer = conn.execute(_CONSUMER_GENERATION, key).scalar()
        _check_consumer(consumer.uuid, seen_consumer, expect)
        current = conn.execute(_CURRENT, key).all() if seen_consumer is not None else []
        providers = self._providers(session, wanted, {row[0] for row in current})
        by_uuid = {uuid: (provider_id, name) for provider_id, (uuid, name, _generation) in providers.items()}
        for provider_id, resource_class, used in sorted(current):
            conn.execute(_GIVE_BACK, {"rp_id": provider_id, "rc": resource_class, "amount": used})
        if current:
            conn.execute(_DELETE_ALLOCATIONS, key)
        rows = []
        for uuid in sorted(wanted, key=lambda u: by_uuid[u][0]):
            provider_id, name = by_uuid[uuid]
            self._take(session, provider_id, name, wanted[uuid])
            rows += [
                {
                    "consumer_uuid": consumer.uuid,
                    "resource_provider_id": provider_id,
                    "resource_class": rc,
                    "used": amount,
                }
                for rc, amount in sorted(wanted[uuid].items())
            ]
        generation = self._write_consumer(session, consumer, seen_consumer, bool(rows))
        if rows:
            conn.execute(_INSERT_ALLOCATION, rows)
        for provider_id, (_uuid, _name, seen) in sorted(providers.items()):
            if rowcount(session, _BUMP_PROVIDER, {"rp_id": provider_id, "seen": seen}) != 1:
                raise _Retry()
        return generation

    def _providers(
        self, session: Session, wanted: Mapping[str, Any], current_ids: set[int]
    ) -> dict[int, tuple[str, str, int]]:
        """id -> (uuid, name, generation) of every provider involved; locked on PostgreSQL."""
        statement = _PROVIDERS if is_sqlite(session) else _PROVIDERS_LOCKED
        rows = session.connection().execute(statement, {"uuids": sorted(wanted), "ids": sorted(current_ids)})
        providers = {row[0]: (row[1], row[2], row[3]) for row in rows}
        known = {uuid for uuid, _name, _generation in providers.values()}
        for uuid in wanted:
            if uuid not in known:
                raise NotFound("resource provider", uuid)
        return providers

    def _take(self, session: Session, provider_id: int, name: str, resources: Mapping[str, int]) -> None:
        classes = sorted(resources)
        params: dict[str, Any] = {"rp_id": provider_id}
        for i, resource_class in enumerate(classes):
            params["rc_%d" % i] = resource_class
            params["amount_%d" % i] = resources[resource_class]
        if rowcount(session, _take_statement(len(classes)), params) == len(classes):
            return
        for resource_class in classes:  # the savepoint rollback undoes what was taken; say why
            self._refuse(session, provider_id, name, resource_class, resources[resource_class])
        raise ConcurrentUpdate("inventories of provider %s changed during the claim" % name)

    def _refuse(self, session: Session, provider_id: int, name: str, resource_class: str, amount: int) -> None:
        """Raise if ``amount`` of ``resource_class`` does not fit on the provider now."""
        row = session.connection().execute(_INVENTORY, {"rp_id": provider_id, "rc": resource_class}).first()
        if row is None:
            raise InvalidAllocation("provider %s has no %s inventory" % (name, resource_class))
        total, reserved, ratio, used, min_unit, max_unit, step_size = row
        problem = unit_problem(amount, min_unit, max_unit, step_size)
        if problem:
            raise InvalidAllocation("%s on provider %s: %s" % (resource_class, name, problem))
        if used + amount > (total - reserved) * ratio:
            raise CapacityExceeded(name, resource_class, amount, used, capacity(total, reserved, ratio))

    def _write_consumer(self, session: Session, consumer: ConsumerRef, seen: int | None, keep: bool) -> int:
        now = self._clock()
        conn = session.connection()
        if seen is None:
            if keep:
                conn.execute(
                    _INSERT_CONSUMER,
                    {
                        "uuid": consumer.uuid,
                        "project_id": consumer.project_id,
                        "user_id": consumer.user_id,
                        "consumer_type": consumer.consumer_type,
                        "generation": 0,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
            return 0
        params = {"c_uuid": consumer.uuid, "seen": seen, "now": now}
        statement = _BUMP_CONSUMER if keep else _DELETE_CONSUMER  # placement keeps no consumer without allocations
        if rowcount(session, statement, params) != 1:
            raise _Retry()
        return seen + 1


def _check_consumer(uuid: str, seen: int | None, expect: int | Expect) -> None:
    if expect is Expect.ANY:
        return
    if expect is Expect.NEW:
        if seen is not None:
            raise ConcurrentUpdate(
                "consumer %s already has allocations (generation %d): pass its generation to replace them"
                % (uuid, seen)
            )
        return
    if seen != expect:
        raise ConcurrentUpdate("consumer %s is at generation %s, not %d" % (uuid, seen, expect))
