"""Placement: providers, inventories, traits, aggregates, allocation candidates and claims."""

from __future__ import annotations

import pytest

from stackling.allocation_errors import (
    CapacityExceeded,
    ConcurrentUpdate,
    InvalidAllocation,
    InventoryInUse,
    ProviderInUse,
)
from stackling.clock import utcnow
from stackling.db import Database
from stackling.errors import Conflict, ErrorCode, NotFound, ValidationError
from stackling.placement import AllocationRequest, ConsumerRef, InventorySpec, PlacementEngine
from stackling.placement.types import ProviderSpec

HOST = {
    "VCPU": InventorySpec(16, allocation_ratio=4.0, max_unit=64),
    "MEMORY_MB": InventorySpec(32768, reserved=512),
    "DISK_GB": InventorySpec(500),
}
SMALL = {"VCPU": 2, "MEMORY_MB": 2048, "DISK_GB": 20}


@pytest.fixture()
def placement() -> PlacementEngine:
    return PlacementEngine(utcnow)


def consumer(name: str) -> ConsumerRef:
    return ConsumerRef(name, "project", "user")


def make_hosts(
    db: Database, placement: PlacementEngine, count: int, inventory: dict[str, InventorySpec] = HOST
) -> list[str]:
    with db.write() as session:
        return [
            p.uuid
            for p in placement.create_providers(session, [ProviderSpec("cn%d" % i, inventory) for i in range(count)])
        ]


# --- providers and inventories ----------------------------------------------------------------------
def test_provider_lifecycle_and_generations(database: Database, placement: PlacementEngine) -> None:
    with database.write() as session:
        rp = placement.create_provider(session, "cn1")
        assert rp.generation == 0
        rp = placement.set_inventories(session, rp.uuid, HOST)
        assert rp.generation == 1
        rp = placement.set_traits(session, rp.uuid, {"HW_CPU_X86_AVX2", "CUSTOM_GOLD"})
        assert rp.generation == 2
    with database.read() as session:
        inventories = placement.inventories(session, "cn1")
        assert inventories["VCPU"].capacity == 64
        assert inventories["MEMORY_MB"].capacity == 32256
        assert placement.traits(session, rp.uuid) == {"HW_CPU_X86_AVX2", "CUSTOM_GOLD"}
    with database.write() as session:
        with pytest.raises(ConcurrentUpdate):
            placement.set_inventory(session, "cn1", "DISK_GB", InventorySpec(600), expected_generation=1)
        placement.delete_provider(session, "cn1")
    with database.read() as session, pytest.raises(NotFound):
        placement.provider(session, "cn1")


def test_duplicate_provider_names_conflict(database: Database, placement: PlacementEngine) -> None:
    with database.write() as session:
        placement.create_provider(session, "cn1")
        with pytest.raises(Conflict):
            placement.create_provider(session, "cn1")


@pytest.mark.parametrize("name", ["CUSTOM_GPU_A100", "VCPU", "PCPU", "CUSTOM_X1"])
def test_resource_classes_standard_and_custom_are_accepted(
    database: Database, placement: PlacementEngine, name: str
) -> None:
    with database.write() as session:
        rp = placement.create_provider(session, "cn1")
        placement.set_inventory(session, rp.uuid, name, InventorySpec(4))


@pytest.mark.parametrize("name", ["custom_gpu", "CUSTOM_", "GPU", "CUSTOM_gpu", "CUSTOM-GPU", ""])
def test_bad_resource_classes_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        AllocationRequest({name: 1})


@pytest.mark.parametrize(
    "spec",
    [
        dict(total=0),
        dict(total=4, reserved=5),
        dict(total=4, min_unit=0),
        dict(total=4, min_unit=3, max_unit=2),
        dict(total=4, step_size=0),
        dict(total=4, allocation_ratio=0.0),
        dict(total=4, allocation_ratio=float("nan")),
    ],
)
def test_bad_inventories_are_refused(spec: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        InventorySpec(**spec)  # type: ignore[arg-type]


def test_bad_traits_are_refused(database: Database, placement: PlacementEngine) -> None:
    with database.write() as session:
        rp = placement.create_provider(session, "cn1")
        with pytest.raises(ValidationError):
            placement.set_traits(session, rp.uuid, {"NOT_A_TRAIT"})


def test_inventory_cannot_shrink_below_usage_or_vanish_while_used(
    database: Database, placement: PlacementEngine
) -> None:
    (uuid,) = make_hosts(database, placement, 1)
    with database.write() as session:
        placement.claim(session, consumer("vm1"), {uuid: {"VCPU": 40, "MEMORY_MB": 1024}})
    with database.write() as session:
        with pytest.raises(InventoryInUse):
            placement.set_inventory(session, uuid, "VCPU", InventorySpec(8, allocation_ratio=4.0))  # capacity 32 < 40
        with pytest.raises(InventoryInUse):
            placement.delete_inventory(session, uuid, "MEMORY_MB")
        with pytest.raises(ProviderInUse):
            placement.delete_provider(session, uuid)
        placement.set_inventory(session, uuid, "VCPU", InventorySpec(10, allocation_ratio=4.0))  # 40 still fits


# --- aggregates and availability zones --------------------------------------------------------------
def test_aggregates_and_availability_zones(database: Database, placement: PlacementEngine) -> None:
    a, b = make_hosts(database, placement, 2)
    with database.write() as session:
        az1 = placement.create_aggregate(session, "rack1", metadata={"availability_zone": "az1"})
        az2 = placement.create_aggregate(session, "rack2", metadata={"availability_zone": "az2"})
        ssd = placement.create_aggregate(session, "ssd", metadata={"disk": "ssd"})
        placement.add_to_aggregate(session, a, "rack1")
        placement.add_to_aggregate(session, a, "ssd")
        with pytest.raises(Conflict):  # one provider, one zone
            placement.add_to_aggregate(session, a, "rack2")
        placement.add_to_aggregate(session, b, az2.uuid)
    with database.read() as session:
        assert placement.aggregates(session, a) == {az1.uuid, ssd.uuid}
        assert placement.availability_zone(session, a, "nova") == "az1"
        assert placement.availability_zone(session, b, "nova") == "az2"
    with database.write() as session:
        with pytest.raises(Conflict):
            placement.set_aggregate_metadata(session, "ssd", {"availability_zone": "az3"})
        placement.set_aggregate_metadata(session, "rack2", {"availability_zone": None})
    with database.read() as session:
        assert placement.availability_zone(session, b, "nova") == "nova"


# --- allocation candidates --------------------------------------------------------------------------
def test_candidates_fit_by_capacity_units_and_step(database: Database, placement: PlacementEngine) -> None:
    with database.write() as session:
        specs = [
            ProviderSpec(
                "big", {"VCPU": InventorySpec(8, allocation_ratio=2.0, max_unit=16), "MEMORY_MB": InventorySpec(8192)}
            ),
            ProviderSpec("small", {"VCPU": InventorySpec(2), "MEMORY_MB": InventorySpec(4096, reserved=3000)}),
            ProviderSpec(
                "stepped", {"VCPU": InventorySpec(64, step_size=4), "MEMORY_MB": InventorySpec(65536, max_unit=1024)}
            ),
            ProviderSpec("no-ram", {"VCPU": InventorySpec(64)}),
        ]
        placement.create_providers(session, specs)

    def names(**resources: int) -> list[str]:
        with database.read() as session:
            return [c.name for c in placement.allocation_candidates(session, AllocationRequest(resources))]

    assert names(VCPU=2, MEMORY_MB=1024) == ["big", "small"]  # stepped: 2 % 4 != 0; no-ram: no MEMORY_MB
    assert names(VCPU=16, MEMORY_MB=1024) == ["big", "stepped"]  # big: 8 x 2.0 = 16 fits exactly
    assert names(VCPU=17, MEMORY_MB=1024) == []
    assert names(VCPU=4, MEMORY_MB=1024) == ["big", "stepped"]
    assert names(VCPU=4, MEMORY_MB=2048) == ["big"]  # stepped's max_unit is 1024
    assert names(VCPU=1) == ["big", "small", "no-ram"]


def test_candidates_reflect_usage_and_report_summaries(database: Database, placement: PlacementEngine) -> None:
    (uuid,) = make_hosts(database, placement, 1)
    with database.write() as session:
        placement.claim(session, consumer("vm1"), {uuid: {"VCPU": 60, "MEMORY_MB": 1000}})
    with database.read() as session:
        (candidate,) = placement.allocation_candidates(session, AllocationRequest({"VCPU": 4}))
        assert candidate.resources["VCPU"].free == 4
        assert candidate.resources["MEMORY_MB"].used == 1000  # a summary class, not requested
        assert candidate.resources["DISK_GB"].capacity == 500
        assert placement.allocation_candidates(session, AllocationRequest({"VCPU": 5})) == []


def test_candidates_with_traits_aggregates_and_limit(database: Database, placement: PlacementEngine) -> None:
    uuids = make_hosts(database, placement, 6)
    with database.write() as session:
        for uuid in uuids[:3]:
            placement.set_traits(session, uuid, {"HW_CPU_X86_AVX2", "STORAGE_DISK_SSD"})
        placement.set_traits(session, uuids[3], {"HW_CPU_X86_AVX2"})
        placement.set_aggregates(session, uuids[0], {"agg-a"})
        placement.set_aggregates(session, uuids[1], {"agg-b"})
        placement.set_aggregates(session, uuids[3], {"agg-a", "agg-c"})

    def names(request: AllocationRequest) -> list[str]:
        with database.read() as session:
            return [c.name for c in placement.allocation_candidates(session, request)]

    assert names(AllocationRequest(SMALL, required_traits=frozenset({"HW_CPU_X86_AVX2"}))) == [
        "cn0",
        "cn1",
        "cn2",
        "cn3",
    ]
    required_both = frozenset({"HW_CPU_X86_AVX2", "STORAGE_DISK_SSD"})
    assert names(AllocationRequest(SMALL, required_traits=required_both)) == ["cn0", "cn1", "cn2"]
    assert names(AllocationRequest(SMALL, forbidden_traits=frozenset({"STORAGE_DISK_SSD"}))) == ["cn3", "cn4", "cn5"]
    assert names(AllocationRequest(SMALL, member_of=(frozenset({"agg-a", "agg-b"}),))) == ["cn0", "cn1", "cn3"]
    both = (frozenset({"agg-a"}), frozenset({"agg-c"}))
    assert names(AllocationRequest(SMALL, member_of=both)) == ["cn3"]
    assert names(AllocationRequest(SMALL, limit=2)) == ["cn0", "cn1"]
    assert sorted(names(AllocationRequest(SMALL, limit=6, randomize=True))) == ["cn%d" % i for i in range(6)]
    with pytest.raises(ValidationError):
        AllocationRequest(SMALL, required_traits=frozenset({"CUSTOM_X"}), forbidden_traits=frozenset({"CUSTOM_X"}))


# --- claims -----------------------------------------------------------------------------------------
def test_claim_replace_move_delete(database: Database, placement: PlacementEngine) -> None:
    a, b = make_hosts(database, placement, 2)
    with database.write() as session:
        generation = placement.claim(session, consumer("vm1"), {a: SMALL})
        assert generation == 0
    with database.read() as session:
        assert placement.usages(session, a) == SMALL
        assert placement.allocations(session, "vm1") == {a: SMALL}
        assert placement.provider(session, a).generation == 2  # created at 1, +1 by the claim
    with database.write() as session:
        with pytest.raises(ConcurrentUpdate):  # not new any more
            placement.claim(session, consumer("vm1"), {a: SMALL})
        with pytest.raises(ConcurrentUpdate):  # stale consumer generation
            placement.claim(session, consumer("vm1"), {a: SMALL}, consumer_generation=7)
        resized = {"VCPU": 4, "MEMORY_MB": 4096, "DISK_GB": 40}
        assert placement.claim(session, consumer("vm1"), {a: resized}, consumer_generation=0) == 1
    with database.read() as session:
        assert placement.usages(session, a) == {"VCPU": 4, "MEMORY_MB": 4096, "DISK_GB": 40}
    with database.write() as session:
        placement.move(session, "vm1", a, b)
    with database.read() as session:
        assert placement.usages(session, a) == {}
        assert placement.allocations(session, "vm1") == {b: {"VCPU": 4, "MEMORY_MB": 4096, "DISK_GB": 40}}
        assert placement.verify_usages(session) == []
    with database.write() as session:
        placement.delete_allocations(session, "vm1")
        placement.delete_allocations(session, "vm1")  # already gone: fine
    with database.read() as session:
        assert placement.usages(session, b) == {}
        assert placement.consumer_generation(session, "vm1") is None
        assert placement.verify_usages(session) == []


def test_claim_that_does_not_fit_changes_nothing(database: Database, placement: PlacementEngine) -> None:
    a, b = make_hosts(database, placement, 2)
    with database.write() as session:
        placement.claim(session, consumer("vm1"), {a: {"VCPU": 60}})
    with database.write() as session:
        with pytest.raises(CapacityExceeded) as caught:
            placement.claim(session, consumer("vm2"), {b: {"VCPU": 2}, a: {"VCPU": 8}})
        assert caught.value.code == ErrorCode.CAPACITY_EXCEEDED
        assert (caught.value.resource_class, caught.value.used, caught.value.capacity) == ("VCPU", 60, 64)
        with pytest.raises(InvalidAllocation):
            placement.claim(session, consumer("vm3"), {a: {"CUSTOM_GPU": 1}})
        with pytest.raises(NotFound):
            placement.claim(session, consumer("vm4"), {"no-such-provider": {"VCPU": 1}})
    with database.read() as session:
        assert placement.usages(session, b) == {}  # the part on b was rolled back with the savepoint
        assert placement.consumer_generation(session, "vm2") is None
        assert placement.verify_usages(session) == []


def test_claims_respect_min_max_unit_and_step(database: Database, placement: PlacementEngine) -> None:
    (uuid,) = make_hosts(database, placement, 1, {"CUSTOM_GPU": InventorySpec(8, min_unit=2, max_unit=4, step_size=2)})
    with database.write() as session:
        for amount in (1, 3, 6):
            with pytest.raises(InvalidAllocation):
                placement.claim(session, consumer("vm%d" % amount), {uuid: {"CUSTOM_GPU": amount}})
        placement.claim(session, consumer("ok"), {uuid: {"CUSTOM_GPU": 4}})


def test_failed_move_keeps_the_source_allocation(database: Database, placement: PlacementEngine) -> None:
    a, b = make_hosts(database, placement, 2)
    with database.write() as session:
        placement.claim(session, consumer("big"), {b: {"VCPU": 64}})
        placement.claim(session, consumer("vm1"), {a: {"VCPU": 8}})
    with database.write() as session, pytest.raises(CapacityExceeded):
        placement.move(session, "vm1", a, b)
    with database.read() as session:
        assert placement.allocations(session, "vm1") == {a: {"VCPU": 8}}
