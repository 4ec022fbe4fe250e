"""Allocation candidates: the providers that can take a whole request now, in ONE query.

For each requested class the query joins that class's inventory row and keeps the provider
only if ``used + amount <= (total - reserved) * allocation_ratio`` and the amount respects
min_unit, max_unit and step_size; required traits are a grouped ``IN`` subquery (the provider
must have all), forbidden traits a ``NOT IN``, and each ``member_of`` entry an ``IN`` over
the provider's aggregates (any of the listed ones). Summary classes the request does not ask
for (VCPU, MEMORY_MB, DISK_GB by default) come along through outer joins, so weighers see them.
No per-provider queries: 10,000 providers cost one scan.

Statements are built once per request *shape* (classes, how many trait/aggregate clauses,
limit or not) with bound parameters, so a request costs one cached statement execution.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Integer, Select, and_, bindparam, func, select
from sqlalchemy.orm import Session

from stackling.placement.resource_classes import DISK_GB, MEMORY_MB, VCPU
from stackling.placement.types import AllocationRequest, Candidate, ResourceUsage
from stackling.sql import table

SUMMARY_CLASSES: tuple[str, ...] = (VCPU, MEMORY_MB, DISK_GB)

_rp = table("resource_providers")
_inv = table("inventories")
_traits = table("provider_traits")
_aggs = table("provider_aggregates")


@dataclass(frozen=True)
class Shape:
    """What a request's SQL depends on (its values are bound parameters)."""

    requested: tuple[str, ...]
    summary: tuple[str, ...]
    required_traits: int
    forbidden_traits: bool
    member_of: int
    limited: bool
    randomize: bool


def shape_of(request: AllocationRequest, summary_classes: Sequence[str] = SUMMARY_CLASSES) -> Shape:
    requested = tuple(sorted(request.resources))
    return Shape(
        requested=requested,
        summary=tuple(c for c in summary_classes if c not in request.resources),
        required_traits=len(request.required_traits),
        forbidden_traits=bool(request.forbidden_traits),
        member_of=len(request.member_of),
        limited=request.limit is not None,
        randomize=request.randomize,
    )


def parameters(request: AllocationRequest) -> dict[str, Any]:
    """The bound values of ``request`` for the statements of its shape."""
    params: dict[str, Any] = {"amount_%d" % i: request.resources[c] for i, c in enumerate(sorted(request.resources))}
    if request.required_traits:
        params["required_traits"] = sorted(request.required_traits)
    if request.forbidden_traits:
        params["forbidden_traits"] = sorted(request.forbidden_traits)
    for i, any_of in enumerate(request.member_of):
        params["member_of_%d" % i] = sorted(any_of)
    if request.limit is not None:
        params["limit"] = request.limit
    return params


def _fits(inv: FromClause, amount: ColumnElement[int]) -> ColumnElement[bool]:
    c = inv.c
    return and_(
        c.used + amount <= (c.total - c.reserved) * c.allocation_ratio,
        c.min_unit <= amount,
        c.max_unit >= amount,
        amount % c.step_size == 0,
    )


def _trait_conditions(shape: Shape) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if shape.required_traits:
        having_all = (
            select(_traits.c.resource_provider_id)
            .where(_traits.c.trait.in_(bindparam("required_traits", expanding=True)))
            .group_by(_traits.c.resource_provider_id)
            .having(func.count() == shape.required_traits)
        )
        conditions.append(_rp.c.id.in_(having_all))
    if shape.forbidden_traits:
        having_any = select(_traits.c.resource_provider_id).where(
            _traits.c.trait.in_(bindparam("forbidden_traits", expanding=True))
        )
        conditions.append(_rp.c.id.not_in(having_any))
    for i in range(shape.member_of):
        members = select(_aggs.c.resource_provider_id).where(
            _aggs.c.aggregate_uuid.in_(bindparam("member_of_%d" % i, expanding=True))
        )
        conditions.append(_rp.c.id.in_(members))
    return conditions


@dataclass(frozen=True)
class Matching:
    """The FROM and WHERE of a shape; ``inventories`` maps each class (requested and summary)
    to its aliased inventory table, so callers can project what they need."""

    source: FromClause
    conditions: tuple[ColumnElement[bool], ...]
    inventories: Mapping[str, FromClause]
    shape: Shape

    def select(self, *columns: Any, joins: Sequence[tuple[FromClause, ColumnElement[bool]]] = ()) -> Select[Any]:
        """SELECT ``columns`` of the matching providers; ``joins`` adds (table, on clause) inner joins."""
        source = self.source
        for joined, on in joins:
            source = source.join(joined, on)
        query = select(*columns).select_from(source).where(*self.conditions)
        query = query.order_by(func.random() if self.shape.randomize else _rp.c.id)
        if self.shape.limited:
            query = query.limit(bindparam("limit", type_=Integer))
        return query


@lru_cache(maxsize=256)
def matching(shape: Shape) -> Matching:
    source: FromClause = _rp
    conditions: list[ColumnElement[bool]] = []
    inventories: dict[str, FromClause] = {}
    for i, resource_class in enumerate(shape.requested):
        inv = _inv.alias("req%d" % i)
        source = source.join(inv, and_(inv.c.resource_provider_id == _rp.c.id, inv.c.resource_class == resource_class))
        conditions.append(_fits(inv, bindparam("amount_%d" % i, type_=Integer)))
        inventories[resource_class] = inv
    for i, resource_class in enumerate(shape.summary):
        inv = _inv.alias("sum%d" % i)
        source = source.outerjoin(
            inv, and_(inv.c.resource_provider_id == _rp.c.id, inv.c.resource_class == resource_class)
        )
        inventories[resource_class] = inv
    return Matching(source, tuple(conditions + _trait_conditions(shape)), inventories, shape)


@lru_cache(maxsize=256)
def _candidates_statement(shape: Shape) -> Select[Any]:
    match = matching(shape)
    columns: list[Any] = [_rp.c.id, _rp.c.uuid, _rp.c.name, _rp.c.generation]
    for resource_class in shape.requested + shape.summary:
        inv = match.inventories[resource_class]
        columns += [inv.c.total, inv.c.reserved, inv.c.allocation_ratio, inv.c.used]
    return match.select(*columns)


def allocation_candidates(
    session: Session, request: AllocationRequest, summary_classes: Sequence[str] = SUMMARY_CLASSES
) -> list[Candidate]:
    """Every provider (up to ``request.limit``) that can take all of ``request.resources`` now."""
    shape = shape_of(request, summary_classes)
    rows = session.connection().execute(_candidates_statement(shape), parameters(request))
    return list(_candidates(rows, list(shape.requested + shape.summary)))


def _candidates(rows: Iterable[Any], classes: list[str]) -> Iterable[Candidate]:
    offsets = [(name, 4 + 4 * i) for i, name in enumerate(classes)]
    for row in rows:
        resources = {}
        for name, at in offsets:
            total = row[at]
            if total is not None:
                resources[name] = ResourceUsage(total, row[at + 1], row[at + 2], row[at + 3])
        yield Candidate(row[0], row[1], row[2], row[3], resources)
