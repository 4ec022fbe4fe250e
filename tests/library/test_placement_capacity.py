"""Capacity arithmetic (hypothesis): Python and SQL agree, and claims follow it exactly."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackling.allocation_errors import CapacityExceeded, InvalidAllocation
from stackling.clock import utcnow
from stackling.db import Database, upgrade
from stackling.db.models import Base
from stackling.placement import ConsumerRef, InventorySpec, PlacementEngine
from stackling.placement.capacity import capacity, fits, unit_problem

ratios = st.one_of(
    st.sampled_from([1.0, 1.5, 2.0, 4.0, 16.0, 0.5, 0.9, 1.1, 1.3]),
    st.floats(min_value=0.01, max_value=64.0, allow_nan=False, allow_infinity=False),
)


@st.composite
def inventories(draw: st.DrawFn) -> InventorySpec:
    total = draw(st.integers(1, 100_000))
    reserved = draw(st.integers(0, total))
    min_unit = draw(st.integers(1, 8))
    max_unit = draw(st.integers(min_unit, max(min_unit, total * 2)))
    return InventorySpec(total, reserved, min_unit, max_unit, draw(st.integers(1, 4)), draw(ratios))


@given(inventories(), st.integers(0, 400_000), st.integers(1, 400_000))
def test_python_and_sql_agree_on_fit(inv: InventorySpec, used: int, amount: int) -> None:
    """The claim's SQL condition and capacity() are the same test, float rounding included."""
    with sqlite3.connect(":memory:") as conn:
        (sql_fits,) = conn.execute(
            "SELECT ? + ? <= (? - ?) * ?", (used, amount, inv.total, inv.reserved, inv.allocation_ratio)
        ).fetchone()
    assert bool(sql_fits) == fits(inv.total, inv.reserved, inv.allocation_ratio, used, amount)
    assert fits(inv.total, inv.reserved, inv.allocation_ratio, used, amount) == (used + amount <= inv.capacity)


@given(inventories())
def test_capacity_is_bounded_by_the_unreserved_total_times_the_ratio(inv: InventorySpec) -> None:
    cap = capacity(inv.total, inv.reserved, inv.allocation_ratio)
    assert 0 <= cap <= (inv.total - inv.reserved) * inv.allocation_ratio < cap + 1


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    url = "sqlite:///%s" % (tmp_path_factory.mktemp("capacity") / "capacity.db")
    upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


def _wipe(db: Database) -> None:
    with db.write() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(inv=inventories(), amounts=st.lists(st.integers(1, 40_000), min_size=1, max_size=12))
def test_claims_take_exactly_what_fits(scratch: Database, inv: InventorySpec, amounts: list[int]) -> None:
    """Claim the amounts one by one: each is accepted iff it fits the units and the remaining
    capacity, and the provider never ends above its capacity."""
    _wipe(scratch)
    placement = PlacementEngine(utcnow)
    with scratch.write() as session:
        rp = placement.create_provider(session, "cn1")
        placement.set_inventory(session, rp.uuid, "CUSTOM_THING", inv)
    used = 0
    for index, amount in enumerate(amounts):
        expected = unit_problem(amount, inv.min_unit, inv.effective_max_unit, inv.step_size) is None and (
            used + amount <= inv.capacity
        )
        try:
            with scratch.write() as session:
                placement.claim(session, ConsumerRef("c%d" % index, "p", "u"), {rp.uuid: {"CUSTOM_THING": amount}})
            accepted = True
        except (CapacityExceeded, InvalidAllocation):
            accepted = False
        assert accepted == expected
        used += amount if accepted else 0
    with scratch.read() as session:
        assert placement.usages(session, rp.uuid).get("CUSTOM_THING", 0) == used <= inv.capacity
        assert placement.verify_usages(session) == []
