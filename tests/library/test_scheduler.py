"""The compute scheduler against the state store: placement candidates, host metadata,
filters, weighers, alternates, claims, reschedules, server groups and hints."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from stackling.allocation_errors import NoValidHost
from stackling.clock import utcnow
from stackling.db import Database
from stackling.errors import ConfigError, ErrorCode
from stackling.placement import ConsumerRef, InventorySpec, PlacementEngine
from stackling.scheduler import (
    ComputeHosts,
    RequestSpec,
    Scheduler,
    SchedulerConfig,
    ServerGroups,
    scheduler_config_from_mapping,
)
from stackling.scheduler.compute_hosts import ComputeHostSpec

FLAVOR = {"VCPU": 2, "MEMORY_MB": 2048, "DISK_GB": 20}


def inventory(vcpus: int = 8, ram_mb: int = 16384, disk_gb: int = 200) -> dict[str, InventorySpec]:
    return {
        "VCPU": InventorySpec(vcpus, max_unit=vcpus),
        "MEMORY_MB": InventorySpec(ram_mb),
        "DISK_GB": InventorySpec(disk_gb),
    }


@dataclass
class Cloud:
    db: Database
    placement: PlacementEngine
    hosts: ComputeHosts
    groups: ServerGroups

    def scheduler(self, seed: int = 0, **config: object) -> Scheduler:
        return Scheduler(SchedulerConfig(**config), self.placement, random.Random(seed))  # type: ignore[arg-type]

    def add(self, name: str, **kwargs: object) -> str:
        inv = kwargs.pop("inventory", inventory())
        with self.db.write() as session:
            return self.hosts.register(session, name, inv, **kwargs).uuid  # type: ignore[arg-type]

    def boot(self, scheduler: Scheduler, server: str, spec: RequestSpec) -> str:
        return scheduler.schedule_and_claim(self.db, ConsumerRef(server, "p", "u"), spec).host.name

    def usage(self, host: str) -> Mapping[str, int]:
        with self.db.read() as session:
            return self.placement.usages(session, host)


@pytest.fixture()
def cloud(database: Database) -> Cloud:
    placement = PlacementEngine(utcnow)
    return Cloud(database, placement, ComputeHosts(placement, utcnow), ServerGroups(utcnow))


def test_picks_the_host_with_most_free_capacity_and_claims_it(cloud: Cloud) -> None:
    cloud.add("small", inventory=inventory(4, 4096, 100))
    cloud.add("large", inventory=inventory(32, 65536, 1000))
    cloud.add("medium", inventory=inventory(8, 16384, 200))
    scheduler = cloud.scheduler()
    with cloud.db.read() as session:
        selection = scheduler.select_destinations(session, RequestSpec(FLAVOR))
    assert selection.host.name == "large"
    assert [h.name for h in selection.alternates] == ["medium", "small"]
    assert selection.considered == 3
    assert cloud.boot(scheduler, "vm1", RequestSpec(FLAVOR)) == "large"
    assert cloud.usage("large") == FLAVOR


def test_pack_instead_of_spread_with_negative_multipliers(cloud: Cloud) -> None:
    cloud.add("small", inventory=inventory(4, 4096, 100))
    cloud.add("large", inventory=inventory(32, 65536, 1000))
    scheduler = cloud.scheduler(weighers={"RAMWeigher": -1.0, "CPUWeigher": -1.0, "DiskWeigher": -1.0})
    assert cloud.boot(scheduler, "vm1", RequestSpec(FLAVOR)) == "small"


def test_no_valid_host_says_which_step_removed_which_hosts(cloud: Cloud) -> None:
    cloud.add("tiny", inventory=inventory(1, 1024, 10))
    cloud.add("disabled")
    cloud.add("elsewhere")
    cloud.add("plain")
    cloud.add("avx", traits={"HW_CPU_X86_AVX2"})
    with cloud.db.write() as session:
        cloud.hosts.set_enabled(session, "disabled", False, reason="maintenance")
        cloud.placement.create_aggregate(session, "zone-b", metadata={"availability_zone": "az-b"})
        cloud.placement.create_aggregate(session, "zone-a", metadata={"availability_zone": "az-a"})
        cloud.placement.add_to_aggregate(session, "elsewhere", "zone-b")
        for name in ("plain", "avx"):
            cloud.placement.add_to_aggregate(session, name, "zone-a")
    spec = RequestSpec(FLAVOR, availability_zone="az-a", required_traits=frozenset({"HW_CPU_X86_AVX512F"}))
    with cloud.db.read() as session, pytest.raises(NoValidHost) as caught:
        cloud.scheduler().select_destinations(session, spec)
    error = caught.value
    assert error.code == ErrorCode.NO_VALID_HOST
    assert error.removed_by("placement (DISK_GB:20, MEMORY_MB:2048, VCPU:2)") == ("tiny",)
    assert error.removed_by("ComputeFilter") == ("disabled",)
    assert error.removed_by("AvailabilityZoneFilter") == ("elsewhere",)
    assert error.removed_by("TraitsFilter") == ("plain", "avx")
    message = str(error)
    for part in ("ComputeFilter removed 1 of 4 (disabled)", "AvailabilityZoneFilter removed 1 of 3 (elsewhere)",
                 "TraitsFilter removed 2 of 2 (plain, avx)"):  # fmt: skip
        assert part in message
    spec_ok = RequestSpec(FLAVOR, availability_zone="az-a", required_traits=frozenset({"HW_CPU_X86_AVX2"}))
    assert cloud.boot(cloud.scheduler(), "vm1", spec_ok) == "avx"


def test_filling_the_hosts_lands_elsewhere_then_names_the_exhausted_resource_per_host(cloud: Cloud) -> None:
    cloud.add("small-ram", inventory=inventory(8, 4096, 200))  # room for two of FLAVOR's RAM
    cloud.add("small-disk", inventory=inventory(8, 65536, 30))  # room for one of FLAVOR's disk
    cloud.add("no-disk", inventory={"VCPU": InventorySpec(8), "MEMORY_MB": InventorySpec(65536)})
    scheduler = cloud.scheduler()
    landed = [cloud.boot(scheduler, "vm%d" % n, RequestSpec(FLAVOR)) for n in range(3)]
    assert sorted(landed) == ["small-disk", "small-ram", "small-ram"]  # each fits where room is left
    with pytest.raises(NoValidHost) as caught:
        cloud.boot(scheduler, "vm3", RequestSpec(FLAVOR))
    message = str(caught.value)
    assert "placement (DISK_GB:20, MEMORY_MB:2048, VCPU:2) removed 3 of 3" in message
    assert "small-ram [MEMORY_MB: 2048 wanted, 0 free of 4096]" in message
    assert "small-disk [DISK_GB: 20 wanted, 10 free of 30]" in message
    assert "no-disk [no DISK_GB inventory]" in message
    huge = {"VCPU": 16, "MEMORY_MB": 1024, "DISK_GB": 1}  # above every host's max_unit of 8 VCPU
    with pytest.raises(NoValidHost, match=r"VCPU: 16 is above max_unit 8"):
        cloud.boot(scheduler, "vm4", RequestSpec(huge))


def test_no_hosts_at_all(cloud: Cloud) -> None:
    with cloud.db.read() as session, pytest.raises(NoValidHost, match="there are no hosts"):
        cloud.scheduler().select_destinations(session, RequestSpec(FLAVOR))


def test_host_subset_size_picks_at_random_among_the_best_with_a_seedable_rng(cloud: Cloud) -> None:
    for i in range(6):
        cloud.add("cn%d" % i, inventory=inventory(8, 16384 + 1024 * i, 200))
    spec = RequestSpec(FLAVOR)

    def choices(seed: int) -> list[str]:
        scheduler = cloud.scheduler(seed, host_subset_size=3)
        with cloud.db.read() as session:
            return [scheduler.select_destinations(session, spec).host.name for _ in range(30)]

    assert choices(7) == choices(7)  # reproducible
    picked = Counter(choices(7) + choices(8))
    assert set(picked) == {"cn5", "cn4", "cn3"}  # only the three best (most free RAM)
    with cloud.db.read() as session:
        assert cloud.scheduler(host_subset_size=1).select_destinations(session, spec).host.name == "cn5"


def test_claim_falls_back_to_the_alternates(cloud: Cloud) -> None:
    for name, ram in (("first", 8192), ("second", 6144), ("third", 4096)):
        cloud.add(name, inventory=inventory(8, ram, 200))
    scheduler = cloud.scheduler(max_attempts=3)
    spec = RequestSpec({"VCPU": 2, "MEMORY_MB": 4096, "DISK_GB": 20})
    with cloud.db.read() as session:
        selection = scheduler.select_destinations(session, spec)
    assert [h.name for h in selection.hosts] == ["first", "second", "third"]
    with cloud.db.write() as session:  # racing boots fill the chosen host and the first alternate
        for name, ram in (("first", 6144), ("second", 4096)):  # 2048 MB left on each
            uuid = cloud.placement.provider(session, name).uuid
            cloud.placement.claim(session, ConsumerRef("racer-" + name, "p", "u"), {uuid: {"MEMORY_MB": ram}})
    placed = scheduler.claim_selection(cloud.db, ConsumerRef("vm1", "p", "u"), spec, selection)
    assert placed.host.name == "third"
    assert [name for name, _ in placed.failures] == ["first", "second"]
    assert "MEMORY_MB" in placed.failures[0][1]
    with cloud.db.write() as session:  # and now the last one too
        cloud.placement.claim(session, ConsumerRef("racer-third", "p", "u"), {placed.host.uuid: {"VCPU": 6}})
    with pytest.raises(NoValidHost, match="claims failed"):
        scheduler.claim_selection(cloud.db, ConsumerRef("vm2", "p", "u"), spec, selection)


def test_reschedule_after_a_failed_build_moves_the_allocations(cloud: Cloud) -> None:
    for name, ram in (("first", 8192), ("second", 6144)):
        cloud.add(name, inventory=inventory(8, ram, 200))
    scheduler = cloud.scheduler()
    placed = scheduler.schedule_and_claim(cloud.db, ConsumerRef("vm1", "p", "u"), RequestSpec(FLAVOR))
    assert placed.host.name == "first"
    moved = scheduler.reschedule(cloud.db, "vm1", placed.selection, failed=placed.host)
    assert moved.host.name == "second"
    assert cloud.usage("first") == {} and cloud.usage("second") == FLAVOR
    with pytest.raises(NoValidHost):
        scheduler.reschedule(cloud.db, "vm1", placed.selection, failed=moved.host)


def test_hard_anti_affinity_spreads_members_and_then_refuses(cloud: Cloud) -> None:
    for i in range(3):
        cloud.add("cn%d" % i)
    with cloud.db.write() as session:
        group = cloud.groups.create(session, "web", "anti-affinity", "p", "u")
    scheduler = cloud.scheduler()
    spec = RequestSpec(FLAVOR, group_id=group.id)
    hosts = {cloud.boot(scheduler, "web%d" % i, spec) for i in range(3)}
    assert hosts == {"cn0", "cn1", "cn2"}
    with pytest.raises(NoValidHost) as caught:
        cloud.boot(scheduler, "web3", spec)
    assert sorted(caught.value.removed_by("ServerGroupAntiAffinityFilter")) == ["cn0", "cn1", "cn2"]
    with cloud.db.read() as session:
        assert cloud.groups.get(session, group.id).members == {"web0", "web1", "web2"}


def test_hard_affinity_keeps_members_together_even_when_full(cloud: Cloud) -> None:
    cloud.add("big", inventory=inventory(4, 65536, 1000))
    cloud.add("bigger", inventory=inventory(8, 131072, 2000))
    with cloud.db.write() as session:
        group = cloud.groups.create(session, "db", "affinity", "p", "u")
    scheduler = cloud.scheduler()
    spec = RequestSpec(FLAVOR, group_id=group.id)
    assert [cloud.boot(scheduler, "db%d" % i, spec) for i in range(4)] == ["bigger"] * 4
    with pytest.raises(NoValidHost) as caught:  # bigger has no VCPU left; big has room but no member
        cloud.boot(scheduler, "db4", spec)
    assert caught.value.removed_by("ServerGroupAffinityFilter") == ("big",)


def test_soft_policies_prefer_but_never_refuse(cloud: Cloud) -> None:
    for i in range(2):
        cloud.add("cn%d" % i)
    with cloud.db.write() as session:
        spread = cloud.groups.create(session, "spread", "soft-anti-affinity", "p", "u")
        pack = cloud.groups.create(session, "pack", "soft-affinity", "p", "u")
    scheduler = cloud.scheduler(weighers={"ServerGroupSoftAntiAffinityWeigher": 10.0, "ServerGroupSoftAffinityWeigher": 10.0,
                                          "RAMWeigher": 1.0})  # fmt: skip
    spread_hosts = [cloud.boot(scheduler, "s%d" % i, RequestSpec(FLAVOR, group_id=spread.id)) for i in range(4)]
    assert Counter(spread_hosts) == {"cn0": 2, "cn1": 2}  # alternates between the two hosts, 4 fit on 2
    pack_hosts = [cloud.boot(scheduler, "k%d" % i, RequestSpec(FLAVOR, group_id=pack.id)) for i in range(2)]
    assert len(set(pack_hosts)) == 1


def test_same_host_and_different_host_hints(cloud: Cloud) -> None:
    for i in range(3):
        cloud.add("cn%d" % i)
    scheduler = cloud.scheduler()
    first = cloud.boot(scheduler, "vm-a", RequestSpec(FLAVOR))
    assert cloud.boot(scheduler, "vm-b", RequestSpec(FLAVOR, same_host=frozenset({"vm-a"}))) == first
    other = cloud.boot(scheduler, "vm-c", RequestSpec(FLAVOR, different_host=frozenset({"vm-a", "vm-b"})))
    assert other != first
    last = cloud.boot(scheduler, "vm-d", RequestSpec(FLAVOR, different_host=frozenset({"vm-a", "vm-c"})))
    assert last not in (first, other)


def test_metadata_from_the_database_feeds_the_filters(cloud: Cloud) -> None:
    cloud.add("x86-ssd", traits={"STORAGE_DISK_SSD"})
    cloud.add("x86-hdd")
    cloud.add("arm", architecture="aarch64")
    with cloud.db.write() as session:
        cloud.placement.create_aggregate(session, "fast", metadata={"disk": "ssd", "availability_zone": "az1"})
        cloud.placement.add_to_aggregate(session, "x86-ssd", "fast")
    scheduler = cloud.scheduler()
    with cloud.db.read() as session:
        pick = scheduler.select_destinations
        assert pick(session, RequestSpec(FLAVOR, extra_specs={"disk": "ssd"})).host.name == "x86-ssd"
        assert pick(session, RequestSpec(FLAVOR, availability_zone="az1")).host.name == "x86-ssd"
        assert pick(session, RequestSpec(FLAVOR, availability_zone="nova")).hosts[0].name in ("x86-hdd", "arm")
        assert pick(session, RequestSpec(FLAVOR, image_properties={"hw_architecture": "aarch64"})).host.name == "arm"
        assert pick(session, RequestSpec(FLAVOR, forbidden_traits=frozenset({"STORAGE_DISK_SSD"}),
                                         image_properties={"hw_architecture": "x86_64"})).host.name == "x86-hdd"  # fmt: skip


def test_num_instances_weigher_reads_instance_counts(cloud: Cloud) -> None:
    cloud.add("a", inventory=inventory(16, 32768, 400))
    cloud.add("b", inventory=inventory(16, 32768, 400))
    packing = cloud.scheduler(weighers={"NumInstancesWeigher": 1.0})
    first = cloud.boot(packing, "vm1", RequestSpec(FLAVOR))
    assert cloud.boot(packing, "vm2", RequestSpec(FLAVOR)) == first


def test_max_placement_results_limits_the_hosts_considered(cloud: Cloud) -> None:
    with cloud.db.write() as session:
        cloud.hosts.register_many(session, [ComputeHostSpec("cn%02d" % i, inventory()) for i in range(20)])
    with cloud.db.read() as session:
        selection = cloud.scheduler(max_placement_results=5).select_destinations(session, RequestSpec(FLAVOR))
    assert selection.considered == 5


def test_disabling_a_host_sets_the_trait_as_nova_does(cloud: Cloud) -> None:
    uuid = cloud.add("cn0")
    with cloud.db.write() as session:
        info = cloud.hosts.set_enabled(session, "cn0", False, "maintenance")
        assert (info.enabled, info.disabled_reason) == (False, "maintenance")
        assert "COMPUTE_STATUS_DISABLED" in cloud.placement.traits(session, uuid)
        cloud.hosts.set_enabled(session, "cn0", True)
        assert "COMPUTE_STATUS_DISABLED" not in cloud.placement.traits(session, uuid)
        assert [h.name for h in cloud.hosts.list(session)] == ["cn0"]


def test_concurrent_anti_affinity_boots_never_share_a_host(cloud: Cloud) -> None:
    """The claim re-checks the group under its lock: 12 racing members, 6 hosts, 6 succeed,
    each on its own host (the others are refused, never doubled up)."""
    with cloud.db.write() as session:
        cloud.hosts.register_many(session, [ComputeHostSpec("cn%d" % i, inventory()) for i in range(6)])
        group = cloud.groups.create(session, "ha", "anti-affinity", "p", "u")
    scheduler = cloud.scheduler(max_attempts=6)  # every host may be an alternate
    placed: dict[str, str] = {}
    refused: list[str] = []
    errors: list[BaseException] = []

    def boot(server: str) -> None:
        try:
            placed[server] = cloud.boot(scheduler, server, RequestSpec(FLAVOR, group_id=group.id))
        except NoValidHost:
            refused.append(server)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=boot, args=("m%02d" % i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(placed) == 6 and len(refused) == 6
    assert sorted(placed.values()) == ["cn%d" % i for i in range(6)]


# --- configuration -----------------------------------------------------------------------------------
def test_scheduler_config_from_yaml_mapping() -> None:
    config = scheduler_config_from_mapping(
        {"enabled_filters": ["ComputeFilter", "AvailabilityZoneFilter"], "weighers": {"RAMWeigher": -1, "CPUWeigher": 0.5},
         "host_subset_size": 2, "max_attempts": 4, "max_placement_results": 1000}  # fmt: skip
    )
    assert config.enabled_filters == ("ComputeFilter", "AvailabilityZoneFilter")
    assert config.weighers == {"RAMWeigher": -1.0, "CPUWeigher": 0.5}
    assert (config.host_subset_size, config.alternates, config.max_placement_results) == (2, 3, 1000)
    assert scheduler_config_from_mapping(None) == SchedulerConfig()


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"enabled_filters": ["NoSuchFilter"]}, "scheduler.enabled_filters"),
        ({"enabled_filters": "ComputeFilter"}, "scheduler.enabled_filters"),
        ({"weighers": {"RAMWeigher": "high"}}, "scheduler.weighers.RAMWeigher"),
        ({"weighers": {"NoSuchWeigher": 1.0}}, "scheduler.weighers"),
        ({"host_subset_size": 0}, "scheduler.host_subset_size"),
        ({"max_attempts": True}, "scheduler.max_attempts"),
        ({"colour": "blue"}, "scheduler.colour"),
    ],
)
def test_scheduler_config_errors_name_the_key(raw: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        scheduler_config_from_mapping(raw)
