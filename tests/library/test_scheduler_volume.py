"""The volume scheduler: cinder's capacity filter and weigher (thin over-subscription,
reserved percentage, thick volumes) and claims on storage backends."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stackling.allocation_errors import NoValidHost
from stackling.clock import utcnow
from stackling.db import Database
from stackling.errors import ConfigError
from stackling.placement import ConsumerRef, PlacementEngine
from stackling.scheduler import VolumeSchedulerConfig, volume_scheduler_config_from_mapping
from stackling.scheduler.volume import BackendState, CapacityFilter, CapacityWeigher, VolumeRequest, fits
from stackling.scheduler.volume.backends import StorageBackends
from stackling.scheduler.volume.scheduler import VolumeScheduler


def backend(name: str, **fields: object) -> BackendState:
    values: dict[str, object] = {"total_capacity_gb": 100.0, "free_capacity_gb": 100.0}
    values.update(fields)
    return BackendState(name=name, uuid="uuid-" + name, **values)  # type: ignore[arg-type]


def test_thick_volumes_need_real_free_space_minus_the_reserve() -> None:
    b = backend("lvm", free_capacity_gb=30.0, reserved_percentage=10)  # 30 - floor(100 x 0.1) = 20 usable
    assert fits(b, VolumeRequest(20, thin=False))
    assert not fits(b, VolumeRequest(21, thin=False))
    assert fits(b, VolumeRequest(20))  # thin requested, but the backend cannot thin-provision


def test_thin_volumes_oversubscribe_up_to_the_ratio() -> None:
    b = backend("thin", thin_provisioning_support=True, max_over_subscription_ratio=2.0,
                free_capacity_gb=80.0, provisioned_capacity_gb=150.0)  # fmt: skip
    assert fits(b, VolumeRequest(50))  # (150 + 50) / 100 = 2.0: at the ratio
    assert not fits(b, VolumeRequest(51))  # 2.01 > 2.0
    assert fits(b, VolumeRequest(60, thin=False)) and not fits(b, VolumeRequest(81, thin=False))
    nearly_full = backend(
        "full", thin_provisioning_support=True, max_over_subscription_ratio=20.0, free_capacity_gb=1.0
    )
    assert fits(nearly_full, VolumeRequest(20)) and not fits(nearly_full, VolumeRequest(21))  # free x ratio
    thin_only = backend("thin-only", thin_provisioning_support=True, thick_provisioning_support=False)
    assert not fits(thin_only, VolumeRequest(1, thin=False))


@given(
    total=st.integers(1, 100_000),
    free_share=st.floats(0.0, 1.0),
    provisioned=st.integers(0, 2_000_000),
    ratio=st.floats(1.0, 40.0),
    reserved=st.integers(0, 100),
    size=st.integers(1, 100_000),
    thin=st.booleans(),
)
def test_a_passing_backend_keeps_its_promises(
    total: int, free_share: float, provisioned: int, ratio: float, reserved: int, size: int, thin: bool
) -> None:
    b = backend("b", total_capacity_gb=float(total), free_capacity_gb=total * free_share, provisioned_capacity_gb=float(provisioned),
                thin_provisioning_support=True, max_over_subscription_ratio=ratio, reserved_percentage=reserved)  # fmt: skip
    request = VolumeRequest(size, thin=thin)
    if fits(b, request):
        reserve = math.floor(total * reserved / 100)
        if thin:
            assert provisioned + size <= total * ratio + 1e-6
            assert (b.free_capacity_gb - reserve) * ratio >= size
        else:
            assert b.free_capacity_gb - reserve >= size
    assert CapacityFilter().backend_passes(b, request) == fits(b, request)


def test_capacity_weigher_spreads_or_packs() -> None:
    backends = [
        backend(
            "roomy", thin_provisioning_support=True, max_over_subscription_ratio=10.0, provisioned_capacity_gb=100.0
        ),
        backend("thick", free_capacity_gb=90.0),
        backend("busy", thin_provisioning_support=True, max_over_subscription_ratio=2.0, provisioned_capacity_gb=150.0),
    ]
    weigher = CapacityWeigher()
    assert [weigher.weigh(b, VolumeRequest(1)) for b in backends] == [900.0, 90.0, 50.0]
    spread = VolumeScheduler(VolumeSchedulerConfig(), _no_backends())
    assert [b.name for b in spread.select(backends, VolumeRequest(10)).backends] == ["roomy", "thick", "busy"]
    pack = VolumeScheduler(VolumeSchedulerConfig(weighers={"CapacityWeigher": -1.0}), _no_backends())
    assert pack.select(backends, VolumeRequest(10)).backend.name == "busy"


def test_no_backend_explains_itself() -> None:
    scheduler = VolumeScheduler(VolumeSchedulerConfig(), _no_backends())
    backends = [backend("elsewhere", availability_zone="az2"), backend("small", free_capacity_gb=5.0)]
    with pytest.raises(NoValidHost) as caught:
        scheduler.select(backends, VolumeRequest(10, availability_zone="nova"))
    assert caught.value.removed_by("AvailabilityZoneFilter") == ("elsewhere",)
    assert caught.value.removed_by("CapacityFilter") == ("small",)


def test_volume_claims_fill_backends_through_placement(database: Database) -> None:
    placement = PlacementEngine(utcnow)
    backends = StorageBackends(placement, utcnow)
    with database.write() as session:
        backends.register(
            session, "lvm-thin", "lvm", 100, thin_provisioning_support=True, max_over_subscription_ratio=2.0
        )
        backends.register(session, "file", "file", 50, reserved_percentage=20)
    scheduler = VolumeScheduler(VolumeSchedulerConfig(), backends)
    placed = [scheduler.schedule_and_claim(database, ConsumerRef("vol%d" % i, "p", "u", "VOLUME"), VolumeRequest(40)).name
              for i in range(6)]  # fmt: skip
    assert placed.count("lvm-thin") == 5 and placed.count("file") == 1  # 200 GiB thin, 40 of 50 thick
    with pytest.raises(NoValidHost):
        scheduler.schedule_and_claim(database, ConsumerRef("vol-too-many", "p", "u", "VOLUME"), VolumeRequest(40))
    with database.read() as session:
        state = {b.name: b for b in backends.load(session)}
    assert state["lvm-thin"].provisioned_capacity_gb == 200.0 and state["file"].provisioned_capacity_gb == 40.0


def test_volume_scheduler_config() -> None:
    config = volume_scheduler_config_from_mapping(
        {"enabled_filters": ["CapacityFilter"], "weighers": {"CapacityWeigher": -1}}
    )
    assert config.enabled_filters == ("CapacityFilter",) and config.weighers == {"CapacityWeigher": -1.0}
    with pytest.raises(ConfigError, match="volume_scheduler.enabled_filters"):
        volume_scheduler_config_from_mapping({"enabled_filters": ["RAMFilter"]})


def _no_backends() -> StorageBackends:
    return StorageBackends(PlacementEngine(utcnow), utcnow)
