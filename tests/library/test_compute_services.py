"""The compute services through the policy (hosts, aggregates, flavors, server groups, usage),
the controller wiring of placement and the schedulers, and the new configuration sections;
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from stackling.allocation_errors import ProviderInUse
from stackling.compute.hosts import ComputeHostService
from stackling.config import config_from_mapping
from stackling.errors import ConfigError, Conflict, ErrorCode, NotFound, PolicyNotAuthorized, ValidationError
from stackling.placement import ConsumerRef
from stackling.scheduler import RequestSpec
from stackling.storage.backends import BackendSpec
from tests.library.helpers import Cloud

SMALL = {"VCPU": {"total": 8}, "MEMORY_MB": {"total": 16384, "reserved": 512}, "DISK_GB": {"total": 200}}


def test_config_sections_for_the_schedulers_and_ipam() -> None:
    config = config_from_mapping({
        "scheduler": {"weighers": {"RAMWeigher": -1.0}, "host_subset_size": 2},
        "volume_scheduler": {"weighers": {"CapacityWeigher": -1.0}},
        "ipam": {"tunnel_mtu": 1400},
    })  # fmt: skip
    assert config.scheduler.weighers == {"RAMWeigher": -1.0} and config.scheduler.host_subset_size == 2
    assert config.volume_scheduler.weighers == {"CapacityWeigher": -1.0} and config.ipam.tunnel_mtu == 1400
    for raw, message in (
        ({"scheduler": {"weigher": {}}}, "scheduler.weigher: unknown key"),
        ({"scheduler": {"weighers": {"RAMWeigher": "high"}}}, "scheduler.weighers.RAMWeigher: expected a number"),
        ({"volume_scheduler": {"filters": []}}, "volume_scheduler.filters: unknown key"),
        ({"ipam": {"mtu": 1}}, "ipam.mtu: unknown key"),
    ):
        with pytest.raises(ConfigError, match=message):
            config_from_mapping(raw)


def test_errors_of_placement_are_error_codes() -> None:
    assert ProviderInUse.code is ErrorCode.PROVIDER_IN_USE and ErrorCode.NO_VALID_HOST == "no_valid_host"


def test_hosts_register_update_zone_and_forced_delete(cloud: Cloud) -> None:
    hosts = cloud.c.compute_hosts
    spec = ComputeHostService.spec(inventory=SMALL, traits=["HW_CPU_X86_AVX2"], availability_zone="az1")
    host = hosts.apply(cloud.admin, "cn1", spec)
    assert host.availability_zone == "az1" and host.aggregates == ("az1",) and host.traits == ("HW_CPU_X86_AVX2",)
    assert host.inventories["MEMORY_MB"].spec.reserved == 512 and host.enabled
    assert cloud.c.aggregates.find(cloud.admin, "az1").metadata == {"availability_zone": "az1"}  # type: ignore[union-attr]

    host = hosts.apply(cloud.admin, "cn1", ComputeHostService.spec(enabled=False, disabled_reason="disk"))
    assert not host.enabled and host.disabled_reason == "disk" and host.traits == ("HW_CPU_X86_AVX2",)
    assert host.inventories["VCPU"].spec.total == 8, "an update without inventory keeps it"

    with cloud.c.db.write() as session:
        cloud.c.engines.placement.claim(session, ConsumerRef("vm1", "p", "u"), {host.uuid: {"VCPU": 2}})
    with pytest.raises(ProviderInUse):
        hosts.delete(cloud.admin, "cn1")
    hosts.delete(cloud.admin, "cn1", force=True)
    assert hosts.find(cloud.admin, "cn1") is None
    with cloud.c.db.read() as session:
        assert cloud.c.engines.placement.allocations(session, "vm1") == {}


def test_host_spec_names_the_bad_input() -> None:
    for kwargs, field in (
        ({"inventory": {"VCPU": {"totl": 1}}}, "inventory.VCPU"),
        ({"inventory": {"vcpu": {"total": 1}}}, "inventory.vcpu"),
        ({"inventory": {"VCPU": {"total": 4, "reserved": 9}}}, "inventory.VCPU"),
        ({"traits": ["COMPUTE_NODE"]}, "traits"),
        ({"traits": ["shiny"]}, "traits"),
    ):
        with pytest.raises(ValidationError) as caught:
            ComputeHostService.spec(**kwargs)  # type: ignore[arg-type]
        assert caught.value.field == field and str(caught.value).startswith(field), caught.value


def test_only_cloud_admins_manage_hosts_aggregates_backends(cloud: Cloud) -> None:
    web = cloud.project("web")
    cloud.user("alice", web, "admin")
    alice = cloud.login("alice", project=web.id)
    with pytest.raises(PolicyNotAuthorized, match="compute:create_host"):
        cloud.c.compute_hosts.apply(alice, "cn9", ComputeHostService.spec(inventory=SMALL))
    with pytest.raises(PolicyNotAuthorized, match="compute:list_aggregates"):
        cloud.c.aggregates.list(alice)
    with pytest.raises(PolicyNotAuthorized, match="volume:create_backend"):
        cloud.c.storage_backends.apply(alice, "lvm1", BackendSpec(driver="lvm", total_capacity_gb=100))
    with pytest.raises(PolicyNotAuthorized, match="placement:list_allocations"):
        cloud.c.allocations.allocations(alice, host="cn9")


def test_aggregates_metadata_and_exact_members(cloud: Cloud) -> None:
    for name in ("cn1", "cn2"):
        cloud.c.compute_hosts.apply(cloud.admin, name, ComputeHostService.spec(inventory=SMALL))
    agg = cloud.c.aggregates.apply(cloud.admin, "fast", {"disk": "ssd"}, hosts=["cn1", "cn2"])
    assert agg.hosts == ("cn1", "cn2") and agg.metadata == {"disk": "ssd"}
    agg = cloud.c.aggregates.apply(cloud.admin, "fast", {"disk": None, "availability_zone": "az2"}, hosts=["cn2"])
    assert agg.hosts == ("cn2",) and agg.metadata == {"availability_zone": "az2"}
    assert cloud.c.compute_hosts.get(cloud.admin, "cn2").availability_zone == "az2"
    assert cloud.c.compute_hosts.get(cloud.admin, "cn1").availability_zone == "nova"
    with pytest.raises(NotFound, match="host 'cn7'"):
        cloud.c.aggregates.apply(cloud.admin, "fast", hosts=["cn7"])
    assert cloud.c.aggregates.find(cloud.admin, "fast").hosts == ("cn2",)  # type: ignore[union-attr]
    cloud.c.aggregates.delete(cloud.admin, "fast")
    assert cloud.c.aggregates.find(cloud.admin, "fast") is None


def test_storage_backend_register_update_zone(cloud: Cloud) -> None:
    backends = cloud.c.storage_backends
    made = backends.apply(
        cloud.admin, "lvm1", BackendSpec(driver="lvm", total_capacity_gb=100, availability_zone="az1")
    )
    assert (made.driver, made.total_capacity_gb, made.free_capacity_gb, made.availability_zone) == (
        "lvm",
        100,
        100,
        "az1",
    )
    changed = backends.apply(
        cloud.admin, "lvm1", BackendSpec(free_capacity_gb=40, thin_provisioning=True, enabled=False)
    )
    assert (
        changed.free_capacity_gb == 40 and changed.thin_provisioning and not changed.enabled and changed.driver == "lvm"
    )
    with pytest.raises(ValidationError, match="reserved_percentage"):
        BackendSpec(reserved_percentage=101)
    backends.delete(cloud.admin, "lvm1")
    assert backends.find(cloud.admin, "lvm1") is None


def test_flavors_access_extra_specs_and_immutable_sizes(cloud: Cloud) -> None:
    web, db_ = cloud.project("web"), cloud.project("db")
    cloud.user("alice", web)
    cloud.user("bob", db_)
    alice, bob = cloud.login("alice", project=web.id), cloud.login("bob", project=db_.id)
    flavors = cloud.c.flavors
    public = flavors.create(cloud.admin, "m1.small", vcpus=1, ram_mb=2048, disk_gb=20, extra_specs={"a": "1"})
    private = flavors.create(cloud.admin, "web.big", vcpus=8, ram_mb=32768, disk_gb=100, is_public=False,
                             projects=["web"], swap_mb=1500)  # fmt: skip
    assert private.projects == (web.id,) and public.extra_specs == {"a": "1"}
    assert [f.name for f in flavors.list(alice)] == ["m1.small", "web.big"]
    assert [f.name for f in flavors.list(bob)] == ["m1.small"] and flavors.find(bob, "web.big") is None
    assert flavors.find(bob, private.id) is None and flavors.get(alice, private.id).name == "web.big"
    with pytest.raises(PolicyNotAuthorized, match="compute:create_flavor"):
        flavors.create(alice, "mine", vcpus=1, ram_mb=1, disk_gb=1)
    with pytest.raises(Conflict):
        flavors.create(cloud.admin, "m1.small", vcpus=1, ram_mb=1, disk_gb=1)
    with pytest.raises(ValidationError, match="vcpus"):
        flavors.create(cloud.admin, "zero", vcpus=0, ram_mb=1, disk_gb=1)
    with pytest.raises(ValidationError, match="public"):
        flavors.update(cloud.admin, "m1.small", add_projects=["db"])
    updated = flavors.update(cloud.admin, "web.big", extra_specs={"b": "2"}, add_projects=["db"],
                             remove_projects=["web"], description="big")  # fmt: skip
    assert updated.projects == (db_.id,) and updated.extra_specs == {"b": "2"} and updated.description == "big"
    assert flavors.find(alice, "web.big") is None and flavors.find(bob, "web.big") is not None
    assert flavors.update(cloud.admin, "web.big", extra_specs={"b": None}).extra_specs == {}

    spec = RequestSpec.from_flavor(updated, availability_zone="az1")
    assert spec.resources == {"VCPU": 8, "MEMORY_MB": 32768, "DISK_GB": 102} and spec.availability_zone == "az1"
    cloud.c.identity.delete_project(cloud.admin, db_.id)
    assert flavors.get(cloud.admin, "web.big").projects == ()
    flavors.delete(cloud.admin, "web.big")
    assert flavors.find(cloud.admin, "web.big") is None


def test_server_groups_belong_to_their_project(cloud: Cloud) -> None:
    web, db_ = cloud.project("web"), cloud.project("db")
    cloud.user("alice", web)
    cloud.user("bob", db_)
    alice, bob = cloud.login("alice", project=web.id), cloud.login("bob", project=db_.id)
    groups = cloud.c.server_groups
    mine = groups.create(alice, "spread", "anti-affinity")
    groups.create(bob, "spread", "affinity")
    assert mine.project_id == web.id and groups.find(alice, "spread") == mine
    assert [g.policy for g in groups.list(alice)] == ["anti-affinity"] and len(groups.list(cloud.admin)) == 2
    with pytest.raises(PolicyNotAuthorized, match="compute:get_server_group"):
        groups.find(bob, mine.id)
    with pytest.raises(PolicyNotAuthorized, match="compute:delete_server_group"):
        groups.delete(bob, mine.id)
    with pytest.raises(ValidationError, match="policy"):
        groups.create(alice, "bad", "together")
    groups.delete(alice, mine.id)
    assert groups.find(alice, "spread") is None


def test_usage_and_allocations(cloud: Cloud) -> None:
    web, db_ = cloud.project("web"), cloud.project("db")
    cloud.user("rita", web, "reader")
    rita = cloud.login("rita", project=web.id)
    host = cloud.c.compute_hosts.apply(cloud.admin, "cn1", ComputeHostService.spec(inventory=SMALL))
    with cloud.c.db.write() as session:
        for vm, project in (("vm1", web.id), ("vm2", web.id), ("vm3", db_.id)):
            cloud.c.engines.placement.claim(
                session, ConsumerRef(vm, project, "u"), {host.uuid: {"VCPU": 2, "MEMORY_MB": 1024}}
            )
    assert cloud.c.allocations.usage(rita) == (web.id, {"VCPU": 4, "MEMORY_MB": 2048}, 2)
    assert cloud.c.allocations.usage(cloud.admin, "db")[1:] == ({"VCPU": 2, "MEMORY_MB": 1024}, 1)
    with pytest.raises(PolicyNotAuthorized, match="placement:get_usage"):
        cloud.c.allocations.usage(rita, "db")
    rows = cloud.c.allocations.allocations(cloud.admin, host="cn1")
    assert len(rows) == 6 and {r.consumer_uuid for r in rows} == {"vm1", "vm2", "vm3"}
    assert [(r.resource_class, r.used) for r in cloud.c.allocations.allocations(cloud.admin, consumer="vm3")] == [
        ("MEMORY_MB", 1024), ("VCPU", 2)]  # fmt: skip
