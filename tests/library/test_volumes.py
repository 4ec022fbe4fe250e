"""Volumes, snapshots, attachments and volume types (stackling.storage) on SQLite and PostgreSQL,
with a stand-in for the conductor's runner (the node side runs for real in
tests/functional/test_volume_playbooks.py and test_cloud_volumes.py): quota and capacity claims
made and given back, the jobs planned for the storage and compute hosts, tenant isolation, the
clear errors, and that a failed create or attach leaves nothing behind."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from stackling.compute import ComputeHostService
from stackling.compute.servers import ServerRequest
from stackling.conductor import JobResult, JobStatus, NodeJob, StepOutcome, StepStatus
from stackling.config import ConductorConfig
from stackling.context import Context
from stackling.db import models as m
from stackling.errors import Conflict, NotFound, OverQuota, PolicyNotAuthorized, ValidationError
from stackling.storage import VolumeEngines, VolumeJobs, VolumeRequest
from stackling.storage.attachments import next_device
from tests.library.helpers import Cloud

HOST = {"VCPU": {"total": 8}, "MEMORY_MB": {"total": 16384}, "DISK_GB": {"total": 200}}


@dataclass
class FakeRunner:
    """Every job succeeds, except the playbooks named in ``failing``."""

    failing: set[str] = field(default_factory=set)
    jobs: list[NodeJob] = field(default_factory=list)

    def run(self, job: NodeJob) -> JobResult:
        self.jobs.append(job)
        if job.playbook in self.failing:
            step = StepOutcome("The LV", job.host, StepStatus.FAILED, "%s: Volume group not found" % job.host)
            return JobResult(job, JobStatus.FAILED, 2, (step,))
        return JobResult(job, JobStatus.SUCCESSFUL, 0, (StepOutcome("x", job.host, StepStatus.CHANGED),))

    def played(self) -> list[tuple[str, str]]:
        return [(job.playbook, job.host) for job in self.jobs]


@dataclass
class Rig:
    cloud: Cloud
    runner: FakeRunner
    alice: Context
    rita: Context
    bob: Context
    a: str


@pytest.fixture()
def rig(cloud: Cloud, tmp_path: Path) -> Rig:
    c = cloud.c
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {
        "cn1": {"stackling_tunnel_address": "10.9.0.1"},
        "st1": {"stackling_iscsi_portal": "10.9.0.5:3260"}}}}))  # fmt: skip
    runner = FakeRunner()
    conductor = ConductorConfig(inventory=inventory)
    c.servers.runner, c.servers.conductor = runner, conductor
    engines = VolumeEngines(c.volumes.engines.clock, runner, VolumeJobs(conductor), c.volumes.engines.quotas,
                            c.volumes.engines.placement)  # fmt: skip
    for service in (c.volumes, c.volume_snapshots, c.volume_attachments):
        service.engines = engines
    c.storage_backends.apply(cloud.admin, "st1@file", c.storage_backends.spec(driver="file", total_capacity_gb=100))
    c.storage_backends.apply(cloud.admin, "cn1@lvm", c.storage_backends.spec(driver="lvm", total_capacity_gb=20))
    c.compute_hosts.apply(cloud.admin, "cn1", ComputeHostService.spec(inventory=HOST))
    a, b = cloud.project("vol-a"), cloud.project("vol-b")
    cloud.user("alice", a)
    cloud.user("rita", a, role="reader")
    cloud.user("bob", b)
    return Rig(cloud, runner, cloud.login("alice", "vol-a"), cloud.login("rita", "vol-a"), cloud.login("bob", "vol-b"),
               a.id)


def usage(rig: Rig) -> dict[str, int]:
    got = rig.cloud.c.quotas.get_usage(rig.cloud.admin, rig.a)
    return {k: got[k].in_use for k in ("volumes", "gigabytes", "snapshots")}


def held(rig: Rig) -> dict[str, int]:
    with rig.cloud.c.db.read() as session:
        return {"volumes": session.scalar(select(func.count()).select_from(m.Volume)) or 0,
                "allocations": session.scalar(select(func.count()).select_from(m.Allocation)) or 0,
                "attachments": session.scalar(select(func.count()).select_from(m.VolumeAttachment)) or 0}  # fmt: skip


def test_create_claims_quota_and_capacity_and_delete_gives_them_back(rig: Rig) -> None:
    c = rig.cloud.c
    volume = c.volumes.create(rig.alice, VolumeRequest("data", size_gb=30))
    assert volume.status == "available" and volume.size_gb == 30 and volume.volume_type == "default"
    assert volume.backend is None, "tenants do not see the backend"
    assert c.volumes.get(rig.cloud.admin, volume.id).backend == "st1@file", "cn1@lvm has 20 GiB only"
    assert rig.runner.played() == [("volume_create", "st1")]
    assert rig.runner.jobs[0].extravars == {"volume": {"id": volume.id, "size_gb": 30}, "source": {}}
    assert usage(rig) == {"volumes": 1, "gigabytes": 30, "snapshots": 0}
    backend = c.storage_backends.find(rig.cloud.admin, "st1@file")
    assert backend is not None and backend.provisioned_capacity_gb == 30
    assert [v.id for v in c.volumes.list(rig.rita)] == [volume.id], "a reader of the project sees it"
    assert c.volumes.list(rig.bob) == [] and c.volumes.find(rig.bob, volume.id) is None

    rig.runner.jobs.clear()
    c.volumes.delete(rig.alice, "data")
    assert rig.runner.played() == [("volume_delete", "st1")]
    assert usage(rig) == {"volumes": 0, "gigabytes": 0, "snapshots": 0}
    assert held(rig) == {"volumes": 0, "allocations": 0, "attachments": 0}


def test_bad_requests_fail_naming_the_field_and_make_nothing(rig: Rig) -> None:
    c = rig.cloud.c
    with pytest.raises(ValidationError, match="size_gb"):
        c.volumes.create(rig.alice, VolumeRequest("v", size_gb=0))
    with pytest.raises(NotFound, match="volume type"):
        c.volumes.create(rig.alice, VolumeRequest("v", size_gb=1, volume_type="gold"))
    with pytest.raises(PolicyNotAuthorized):
        c.volumes.create(rig.rita, VolumeRequest("v", size_gb=1))
    c.quotas.set_limits(rig.cloud.admin, rig.a, {"gigabytes": 5})
    with pytest.raises(OverQuota, match="gigabytes"):
        c.volumes.create(rig.alice, VolumeRequest("v", size_gb=6))
    assert held(rig)["volumes"] == 0 and rig.runner.jobs == []


def test_volume_types_choose_the_backend(rig: Rig) -> None:
    c = rig.cloud.c
    c.volume_types.apply(rig.cloud.admin, "fast", backend="*@lvm")
    with pytest.raises(PolicyNotAuthorized):
        c.volume_types.apply(rig.alice, "mine", backend="*")
    assert {t.name for t in c.volume_types.list(rig.alice)} >= {"fast"}
    volume = c.volumes.create(rig.alice, VolumeRequest("v", size_gb=2, volume_type="fast"))
    assert c.volumes.get(rig.cloud.admin, volume.id).backend == "cn1@lvm" and volume.volume_type == "fast"
    too_big = c.volumes.create(rig.alice, VolumeRequest("big", size_gb=50, volume_type="fast"))
    assert too_big.status == "error" and "50 GiB" in too_big.fault, too_big.fault
    assert usage(rig)["gigabytes"] == 52, "an error volume keeps its quota until it is deleted (as cinder's)"
    with pytest.raises(Conflict, match="used by"):
        c.volume_types.delete(rig.cloud.admin, "fast")
    c.volumes.delete(rig.alice, "big")
    with pytest.raises(Conflict, match="default"):
        c.volume_types.delete(rig.cloud.admin, "default")


def test_a_failed_create_cleans_up_the_node_and_the_claim(rig: Rig) -> None:
    c = rig.cloud.c
    rig.runner.failing.add("volume_create")
    volume = c.volumes.create(rig.alice, VolumeRequest("v", size_gb=3))
    assert volume.status == "error" and "Volume group not found" in volume.fault
    assert "st1" not in volume.fault and "<host>" in volume.fault, "tenants do not see host names"
    assert rig.runner.played() == [("volume_create", "st1"), ("volume_delete", "st1")]
    assert held(rig)["allocations"] == 0
    c.volumes.delete(rig.alice, volume.id)
    assert usage(rig) == {"volumes": 0, "gigabytes": 0, "snapshots": 0} and held(rig)["volumes"] == 0


def test_extend_grows_quota_and_claim_and_never_shrinks(rig: Rig) -> None:
    c = rig.cloud.c
    volume = c.volumes.create(rig.alice, VolumeRequest("v", size_gb=2))
    with pytest.raises(ValidationError, match="only grow"):
        c.volumes.extend(rig.alice, volume.id, 1)
    grown = c.volumes.extend(rig.alice, volume.id, 5)
    assert grown.size_gb == 5 and grown.status == "available"
    assert rig.runner.jobs[-1].playbook == "volume_extend" and rig.runner.jobs[-1].extravars["volume"]["size_gb"] == 5
    assert usage(rig)["gigabytes"] == 5
    rig.runner.failing.add("volume_extend")
    with pytest.raises(Conflict, match="could not be extended"):
        c.volumes.extend(rig.alice, volume.id, 9)
    assert c.volumes.get(rig.alice, volume.id).size_gb == 5 and usage(rig)["gigabytes"] == 5


def test_snapshots_count_and_block_the_volume_delete(rig: Rig) -> None:
    c = rig.cloud.c
    volume = c.volumes.create(rig.alice, VolumeRequest("v", size_gb=4))
    with pytest.raises(NotFound, match="volume"):
        c.volume_snapshots.create(rig.alice, "no-such-volume", "s")
    snap = c.volume_snapshots.create(rig.alice, volume.id, "s1")
    assert snap.status == "available" and snap.size_gb == 4
    assert rig.runner.jobs[-1].extravars["snapshot"] == {"id": snap.id, "state": "present"}
    assert usage(rig) == {"volumes": 1, "gigabytes": 8, "snapshots": 1}
    with pytest.raises(Conflict, match="snapshot"):
        c.volumes.delete(rig.alice, volume.id)
    copy = c.volumes.create(rig.alice, VolumeRequest("copy", size_gb=4, snapshot="s1"))
    assert copy.source_snapshot_id == snap.id
    assert rig.runner.jobs[-1].extravars["source"] == {"snapshot_id": snap.id}
    assert c.volumes.get(rig.cloud.admin, copy.id).backend == "st1@file", "a copy stays on the snapshot's backend"
    assert c.volume_snapshots.find(rig.bob, snap.id) is None
    c.volume_snapshots.delete(rig.alice, "s1")
    for ref in (volume.id, copy.id):
        c.volumes.delete(rig.alice, ref)
    assert usage(rig) == {"volumes": 0, "gigabytes": 0, "snapshots": 0} and held(rig)["allocations"] == 0


def test_attach_local_and_over_iscsi_and_a_server_delete_detaches(rig: Rig, tmp_path: Path) -> None:
    c = rig.cloud.c
    image = tmp_path / "disk.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(image), "64M"], check=True, capture_output=True)
    c.flavors.create(rig.cloud.admin, "m1.tiny", vcpus=1, ram_mb=256, disk_gb=1)
    c.images.create(rig.alice, "tiny", disk_format="qcow2", filename=image)
    server = c.servers.create(rig.alice, ServerRequest("web-1", flavor="m1.tiny", image="tiny"))
    local = c.volumes.create(rig.alice, VolumeRequest("local", size_gb=1, volume_type=None))
    c.volume_types.apply(rig.cloud.admin, "lvm", backend="cn1@*")
    here = c.volumes.create(rig.alice, VolumeRequest("here", size_gb=1, volume_type="lvm"))
    rig.runner.jobs.clear()

    remote = c.volume_attachments.attach(rig.alice, local.id, "web-1")
    assert remote.status == "in-use" and [(a.server_id, a.device) for a in remote.attachments] == [(server.id, "vdc")]
    assert remote.attachments[0].host is None
    export, attach = rig.runner.jobs
    assert (export.playbook, export.host, attach.playbook, attach.host) == ("volume_export", "st1", "volume_attach", "cn1")
    assert export.extravars["export"] == {"iqn": "iqn.2024-01.org.stackling:volume-" + local.id, "state": "present",
                                          "initiators": ["iqn.2024-01.org.stackling:compute-cn1"]}  # fmt: skip
    assert attach.extravars["connection"] == {"mode": "iscsi", "host": "10.9.0.5", "port": 3260, "lun": 1,
                                              "iqn": "iqn.2024-01.org.stackling:volume-" + local.id,
                                              "initiator": "iqn.2024-01.org.stackling:compute-cn1"}  # fmt: skip
    rig.runner.jobs.clear()
    same = c.volume_attachments.attach(rig.alice, here.id, server.id)
    assert rig.runner.played() == [("volume_attach", "cn1")], "storage host == compute host: no export"
    assert rig.runner.jobs[0].extravars["connection"] == {"mode": "local"} and same.attachments[0].device == "vdd"

    with pytest.raises(Conflict, match="attached to server"):
        c.volumes.delete(rig.alice, here.id)
    with pytest.raises(Conflict, match="already attached"):
        c.volume_attachments.attach(rig.alice, here.id, server.id)
    rig.runner.jobs.clear()
    detached = c.volume_attachments.detach(rig.alice, here.id, server.id)
    assert detached.status == "available" and detached.attachments == ()
    assert rig.runner.played() == [("volume_detach", "cn1")]
    assert c.volume_attachments.detach(rig.alice, here.id).status == "available", "detaching again changes nothing"

    rig.runner.jobs.clear()
    c.servers.delete(rig.alice, server.id)
    assert ("volume_export", "st1") in rig.runner.played(), "the server's iSCSI export goes with it"
    assert rig.runner.jobs[rig.runner.played().index(("volume_export", "st1"))].extravars["export"]["state"] == "absent"
    assert c.volumes.get(rig.alice, local.id).status == "available" and held(rig)["attachments"] == 0


def test_attach_is_refused_across_projects_and_a_failed_attach_leaves_nothing(rig: Rig, tmp_path: Path) -> None:
    c = rig.cloud.c
    image = tmp_path / "disk.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(image), "64M"], check=True, capture_output=True)
    c.flavors.create(rig.cloud.admin, "m1.tiny", vcpus=1, ram_mb=256, disk_gb=1)
    c.images.create(rig.bob, "tiny", disk_format="qcow2", filename=image)
    theirs = c.servers.create(rig.bob, ServerRequest("bobs", flavor="m1.tiny", image="tiny"))
    mine = c.volumes.create(rig.alice, VolumeRequest("v", size_gb=1))
    with pytest.raises(NotFound, match="server"):
        c.volume_attachments.attach(rig.alice, mine.id, theirs.id)
    with pytest.raises(Conflict, match="different projects"):
        c.volume_attachments.attach(rig.cloud.admin, mine.id, theirs.id)
    rig.runner.failing.add("volume_attach")
    rig.runner.jobs.clear()
    with pytest.raises(Conflict, match="could not be attached"):
        c.volume_attachments.attach(rig.bob, c.volumes.create(rig.bob, VolumeRequest("b", size_gb=1)).id, "bobs")
    assert [p for p, _ in rig.runner.played()] == ["volume_create", "volume_export", "volume_attach",
                                                   "volume_detach", "volume_export"]  # fmt: skip
    assert held(rig)["attachments"] == 0 and c.volumes.get(rig.bob, "b").status == "available"


def test_next_device_skips_the_root_disk_config_drive_and_used_names() -> None:
    assert next_device(set()) == "vdc"
    assert next_device({"vdc", "vde"}) == "vdd"
    with pytest.raises(Conflict, match="no free disk name"):
        next_device({"vd" + chr(c) for c in range(ord("c"), ord("z") + 1)})
