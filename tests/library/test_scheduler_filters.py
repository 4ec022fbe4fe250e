"""Every host filter, on hand-made host states (no database)."""

from __future__ import annotations

import pytest

from stackling.scheduler.extra_specs_ops import match
from stackling.scheduler.filters import (
    ALL_FILTERS,
    AggregateInstanceExtraSpecsFilter,
    AvailabilityZoneFilter,
    ComputeFilter,
    DifferentHostFilter,
    ImagePropertiesFilter,
    SameHostFilter,
    ServerGroupAffinityFilter,
    ServerGroupAntiAffinityFilter,
    TraitsFilter,
)
from stackling.scheduler.filters.base import BaseHostFilter
from stackling.scheduler.handler import run_filters
from stackling.scheduler.host_state import HostState
from stackling.scheduler.request import RequestSpec, ServerGroupInfo

FLAVOR = {"VCPU": 2, "MEMORY_MB": 2048, "DISK_GB": 20}


def host(name: str, **facts: object) -> HostState:
    optional = {
        k: facts.pop(k) for k in ("availability_zone", "traits", "aggregate_metadata", "num_instances") if k in facts
    }
    state = HostState(len(name), "uuid-" + name, name, **facts)  # type: ignore[arg-type]
    for key, value in optional.items():
        setattr(state, key, value)
    return state


def request(**fields: object) -> RequestSpec:
    return RequestSpec(FLAVOR, **fields)  # type: ignore[arg-type]


def passing(host_filter: BaseHostFilter, hosts: list[HostState], spec: RequestSpec) -> list[str]:
    """Names of the hosts that pass; also checks filter_all agrees with host_passes."""
    one_by_one = [h.name for h in hosts if host_filter.host_passes(h, spec)]
    assert [h.name for h, ok in zip(hosts, host_filter.filter_all(hosts, spec)) if ok] == one_by_one
    return one_by_one


def test_compute_filter_keeps_enabled_hosts() -> None:
    hosts = [host("up"), host("down", enabled=False), host("zero", enabled=0)]
    assert passing(ComputeFilter(), hosts, request()) == ["up"]


def test_availability_zone_filter() -> None:
    hosts = [
        host("a", availability_zone="az1"),
        host("b", availability_zone="az2"),
        host("c", availability_zone="nova"),
    ]
    assert not AvailabilityZoneFilter().applies(request())
    assert passing(AvailabilityZoneFilter(), hosts, request(availability_zone="az2")) == ["b"]


def test_aggregate_instance_extra_specs_filter() -> None:
    hosts = [
        host("ssd", aggregate_metadata={"disk": frozenset({"ssd"}), "gpus": frozenset({"4"})}),
        host("hdd", aggregate_metadata={"disk": frozenset({"hdd"})}),
        host("plain"),
    ]
    f = AggregateInstanceExtraSpecsFilter()
    assert not f.applies(request(extra_specs={"hw:cpu_policy": "dedicated", "trait:CUSTOM_X": "required"}))
    assert passing(f, hosts, request(extra_specs={"disk": "ssd"})) == ["ssd"]
    assert passing(f, hosts, request(extra_specs={"aggregate_instance_extra_specs:disk": "<or> ssd <or> hdd"})) == [
        "ssd",
        "hdd",
    ]
    assert passing(f, hosts, request(extra_specs={"gpus": ">= 2", "hw:mem_page_size": "large"})) == ["ssd"]
    assert passing(f, hosts, request(extra_specs={"disk": "s!= ssd"})) == ["hdd"]


@pytest.mark.parametrize(
    ("value", "requirement", "expected"),
    [
        ("ssd", "ssd", True),
        ("ssd", "hdd", False),
        ("4", "= 2", True),
        ("1", "= 2", False),
        ("2", "== 2", True),
        ("3", "!= 2", True),
        ("3", "<= 2", False),
        ("abc", "s== abc", True),
        ("abc", "s< abd", True),
        ("fast-ssd", "<in> ssd", True),
        ("fast-ssd", "<all-in> fast ssd", True),
        ("fast-ssd", "<all-in> fast hdd", False),
        ("b", "<or> a <or> b", True),
        ("c", "<or> a <or> b", False),
        ("x", ">= 2", False),
    ],
)
def test_extra_specs_operators(value: str, requirement: str, expected: bool) -> None:
    assert match(value, requirement) is expected


def test_image_properties_filter() -> None:
    hosts = [
        host("x86", architecture="x86_64", hypervisor_type="QEMU", hypervisor_version=8002000),
        host("arm", architecture="aarch64", hypervisor_type="QEMU", hypervisor_version=7002000),
        host("lxc", architecture="x86_64", hypervisor_type="LXC"),
    ]
    f = ImagePropertiesFilter()
    assert not f.applies(request(image_properties={"os_distro": "debian"}))
    assert passing(f, hosts, request(image_properties={"hw_architecture": "amd64"})) == ["x86", "lxc"]
    assert passing(f, hosts, request(image_properties={"architecture": "arm64"})) == ["arm"]
    assert passing(f, hosts, request(image_properties={"img_hv_type": "qemu"})) == ["x86", "arm"]
    assert passing(f, hosts, request(image_properties={"img_hv_requested_version": ">= 8000000"})) == ["x86"]
    assert passing(f, hosts, request(image_properties={"hw_vm_mode": "xen"})) == []


def test_server_group_affinity_filter_is_hard() -> None:
    hosts = [host("a"), host("b"), host("c")]
    f = ServerGroupAffinityFilter()
    first_member = request(group=ServerGroupInfo("g", "affinity", {}))
    assert not f.applies(first_member)  # the first member may go anywhere
    assert passing(f, hosts, request(group=ServerGroupInfo("g", "affinity", {"uuid-b": 2}))) == ["b"]
    assert not f.applies(request(group=ServerGroupInfo("g", "soft-affinity", {"uuid-b": 2})))


def test_server_group_anti_affinity_filter_is_hard_with_max_per_host() -> None:
    hosts = [host("a"), host("b"), host("c")]
    f = ServerGroupAntiAffinityFilter()
    assert passing(f, hosts, request(group=ServerGroupInfo("g", "anti-affinity", {"uuid-a": 1, "uuid-c": 1}))) == ["b"]
    two_per_host = ServerGroupInfo("g", "anti-affinity", {"uuid-a": 2, "uuid-c": 1}, max_server_per_host=2)
    assert passing(f, hosts, request(group=two_per_host)) == ["b", "c"]
    assert not f.applies(request(group=ServerGroupInfo("g", "soft-anti-affinity", {"uuid-a": 1})))


def test_same_host_and_different_host_hints() -> None:
    hosts = [host("a"), host("b"), host("c")]
    same = request(same_host=frozenset({"vm1"}), same_host_hosts=frozenset({"uuid-a"}))
    assert passing(SameHostFilter(), hosts, same) == ["a"]
    unplaced = request(same_host=frozenset({"vm-nowhere"}), same_host_hosts=frozenset())
    assert passing(SameHostFilter(), hosts, unplaced) == []
    different = request(different_host=frozenset({"vm1", "vm2"}), different_host_hosts=frozenset({"uuid-a", "uuid-c"}))
    assert passing(DifferentHostFilter(), hosts, different) == ["b"]
    assert not SameHostFilter().applies(request()) and not DifferentHostFilter().applies(request())


def test_traits_filter_required_and_forbidden() -> None:
    hosts = [
        host("avx", traits=frozenset({"HW_CPU_X86_AVX2"})),
        host("avx-ssd", traits=frozenset({"HW_CPU_X86_AVX2", "STORAGE_DISK_SSD"})),
        host("none"),
    ]
    f = TraitsFilter()
    assert passing(f, hosts, request(required_traits=frozenset({"HW_CPU_X86_AVX2"}))) == ["avx", "avx-ssd"]
    spec = request(required_traits=frozenset({"HW_CPU_X86_AVX2"}), forbidden_traits=frozenset({"STORAGE_DISK_SSD"}))
    assert passing(f, hosts, spec) == ["avx"]


def test_handler_records_who_removed_what_and_skips_filters_that_do_not_apply() -> None:
    hosts = [
        host("a", availability_zone="az1"),
        host("b", enabled=False, availability_zone="az1"),
        host("c", availability_zone="az2"),
    ]
    filters = [ALL_FILTERS[name]() for name in ("ComputeFilter", "AvailabilityZoneFilter", "SameHostFilter")]
    kept, records = run_filters(filters, hosts, request(availability_zone="az1"))
    assert [h.name for h in kept] == ["a"]
    assert [(r.name, r.before, r.removed) for r in records] == [
        ("ComputeFilter", 3, ("b",)),
        ("AvailabilityZoneFilter", 2, ("c",)),
    ]


def test_from_flavor_translates_resources_and_trait_extra_specs() -> None:
    spec = RequestSpec.from_flavor(
        4, 8192, 40,
        {"resources:CUSTOM_GPU": "1", "resources:DISK_GB": "0", "trait:HW_CPU_X86_AVX2": "required",
         "trait:STORAGE_DISK_HDD": "forbidden", "hw:cpu_policy": "dedicated"},
        availability_zone="az1",
    )  # fmt: skip
    assert spec.resources == {"VCPU": 4, "MEMORY_MB": 8192, "CUSTOM_GPU": 1}
    assert spec.required_traits == {"HW_CPU_X86_AVX2"} and spec.forbidden_traits == {"STORAGE_DISK_HDD"}
    assert spec.availability_zone == "az1"
