"""Every weigher, nova's normalisation (hypothesis), and spread versus pack by the multiplier's sign."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stackling.scheduler.handler import rank, weigh_totals
from stackling.scheduler.host_state import HostState
from stackling.scheduler.request import RequestSpec, ServerGroupInfo
from stackling.scheduler.weighers import (
    CPUWeigher,
    DiskWeigher,
    NumInstancesWeigher,
    RAMWeigher,
    ServerGroupSoftAffinityWeigher,
    ServerGroupSoftAntiAffinityWeigher,
    normalize,
)

REQUEST = RequestSpec({"VCPU": 1})


def host(name: str, vcpus: float = 8, ram: float = 8192, disk: float = 100, instances: int = 0) -> HostState:
    state = HostState(len(name), "uuid-" + name, name, vcpus, ram, disk)
    state.num_instances = instances
    return state


HOSTS = [
    host("a", vcpus=4, ram=1024, disk=10),
    host("b", vcpus=16, ram=4096, disk=300),
    host("c", vcpus=8, ram=16384, disk=50),
]


def names(hosts: list[HostState]) -> list[str]:
    return [h.name for h in hosts]


@given(st.lists(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), min_size=1, max_size=50))
def test_normalize_maps_min_to_0_and_max_to_1(weights: list[float]) -> None:
    result = normalize(weights)
    assert len(result) == len(weights)
    assert all(-1e-9 <= w <= 1 + 1e-9 for w in result)
    if min(weights) == max(weights):
        assert result == [0.0] * len(weights)
    else:
        assert result[weights.index(min(weights))] == 0.0 and result[weights.index(max(weights))] == 1.0
        order = sorted(range(len(weights)), key=weights.__getitem__)
        assert [result[i] for i in order] == sorted(result)  # monotonic


def test_normalize_with_fixed_ends() -> None:
    assert normalize([5.0, 10.0], minval=0.0, maxval=20.0) == [0.25, 0.5]
    assert normalize([]) == []


def test_ram_cpu_disk_weighers_spread_with_positive_and_pack_with_negative_multipliers() -> None:
    assert names(rank([(RAMWeigher(), 1.0)], HOSTS, REQUEST)) == ["c", "b", "a"]
    assert names(rank([(RAMWeigher(), -1.0)], HOSTS, REQUEST)) == ["a", "b", "c"]
    assert names(rank([(CPUWeigher(), 1.0)], HOSTS, REQUEST)) == ["b", "c", "a"]
    assert names(rank([(CPUWeigher(), -2.0)], HOSTS, REQUEST)) == ["a", "c", "b"]
    assert names(rank([(DiskWeigher(), 1.0)], HOSTS, REQUEST)) == ["b", "c", "a"]
    assert names(rank([(DiskWeigher(), -1.0)], HOSTS, REQUEST)) == ["a", "c", "b"]


def test_weighers_combine_as_multiplier_times_normalised_weight() -> None:
    # RAM normalised: a 0, b 0.2, c 1; CPU normalised: a 0, b 1, c 0.333...
    totals = weigh_totals([(RAMWeigher(), 1.0), (CPUWeigher(), 2.0)], HOSTS, REQUEST)
    assert [round(t, 6) for t in totals] == [0.0, round(0.2 + 2.0, 6), round(1.0 + 2 / 3, 6)]
    assert names(rank([(RAMWeigher(), 1.0), (CPUWeigher(), 2.0)], HOSTS, REQUEST)) == ["b", "c", "a"]
    assert weigh_totals([(RAMWeigher(), 0.0)], HOSTS, REQUEST) == [0.0, 0.0, 0.0]  # multiplier 0: off


def test_ties_keep_the_input_order() -> None:
    same = [host("x"), host("y"), host("z")]
    assert names(rank([(RAMWeigher(), 1.0)], same, REQUEST)) == ["x", "y", "z"]


def test_num_instances_weigher() -> None:
    hosts = [host("busy", instances=10), host("idle", instances=0), host("some", instances=3)]
    assert names(rank([(NumInstancesWeigher(), 1.0)], hosts, REQUEST)) == ["busy", "some", "idle"]  # pack
    assert names(rank([(NumInstancesWeigher(), -1.0)], hosts, REQUEST)) == ["idle", "some", "busy"]  # spread


def test_soft_affinity_prefers_hosts_with_members_and_excludes_none() -> None:
    group = ServerGroupInfo("g", "soft-affinity", {"uuid-a": 1, "uuid-c": 3})
    spec = RequestSpec({"VCPU": 1}, group=group)
    weigher = ServerGroupSoftAffinityWeigher()
    assert weigher.applies(spec)
    assert names(rank([(weigher, 1.0)], HOSTS, spec)) == ["c", "a", "b"]
    assert not weigher.applies(RequestSpec({"VCPU": 1}, group=ServerGroupInfo("g", "affinity", {"uuid-a": 1})))


def test_soft_anti_affinity_prefers_hosts_without_members() -> None:
    group = ServerGroupInfo("g", "soft-anti-affinity", {"uuid-a": 2, "uuid-b": 1})
    spec = RequestSpec({"VCPU": 1}, group=group)
    weigher = ServerGroupSoftAntiAffinityWeigher()
    assert names(rank([(weigher, 1.0)], HOSTS, spec)) == ["c", "b", "a"]
    # it outweighs a RAM spread when its multiplier is larger
    assert names(rank([(weigher, 10.0), (RAMWeigher(), 1.0)], HOSTS, spec))[0] == "c"
