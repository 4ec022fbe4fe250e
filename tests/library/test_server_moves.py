"""Resize and cold migration (stackling.compute.server_moves) with the stand-in runner of
test_servers.py (the guest itself is resized for real in tests/functional/test_cloud_servers.py):
the jobs planned on the source and the target, the claim swapped in one transaction, the quota,
who may, and what a failed or refused move leaves (the server as it was)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from stackling.db import models as m
from stackling.errors import Conflict, NotFound, OverQuota, PolicyNotAuthorized, ValidationError
from stackling.images.service import ImageSpec
from tests.library.test_servers import FakeRunner, Rig, boot, rig, usage  # noqa: F401  (rig: the fixture)


def allocations(rig: Rig) -> dict[str, dict[str, dict[str, int]]]:
    """consumer -> host name -> resource class -> amount, for every consumer."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    with rig.cloud.c.db.read() as session:
        rows = session.execute(
            select(m.Allocation.consumer_uuid, m.ResourceProvider.name, m.Allocation.resource_class, m.Allocation.used)
            .join(m.ResourceProvider, m.ResourceProvider.id == m.Allocation.resource_provider_id)
        )
        for consumer, host, resource_class, used in rows:
            out.setdefault(consumer, {}).setdefault(host, {})[resource_class] = used
    return out


def played(rig: Rig) -> list[tuple[str, str]]:
    return [(job.playbook, job.host) for job in rig.runner.jobs]


def job(rig: Rig, playbook: str) -> Any:
    found = rig.runner.played(playbook)
    assert len(found) == 1, played(rig)
    return found[0]


@pytest.fixture()
def small(rig: Rig) -> str:  # noqa: F811  (the imported fixture)
    rig.cloud.c.flavors.create(rig.cloud.admin, "m1.small", vcpus=2, ram_mb=512, disk_gb=2)
    return "m1.small"


def test_resize_on_its_host_grows_the_server_in_place_and_swaps_the_claim(rig: Rig, small: str) -> None:  # noqa: F811
    c = rig.cloud.c
    server = boot(rig)
    assert c.servers.get(rig.cloud.admin, server.id).host == "cn2"
    rig.runner.jobs.clear()

    resized = c.servers.resize(rig.alice, "web-1", small)
    assert resized.status == "ACTIVE" and resized.flavor_id == c.flavors.get(rig.alice, small).id
    assert c.servers.get(rig.cloud.admin, server.id).host == "cn2"  # the weighers keep it on the big host
    assert played(rig) == [("server_power", "cn2"), ("server_boot", "cn2")]
    power, boot_job = rig.runner.jobs
    assert power.extravars["power_state"] == "shutdown"
    assert boot_job.extravars["server"]["vcpus"] == 2 and boot_job.extravars["server"]["memory_mb"] == 512
    assert boot_job.extravars["server"]["disk_gb"] == 2 and boot_job.extravars["power_state"] == "running"
    assert "config_drive" not in boot_job.extravars and "server_files" not in boot_job.extravars  # the drive stays
    assert allocations(rig) == {server.id: {"cn2": {"VCPU": 2, "MEMORY_MB": 512, "DISK_GB": 2}}}
    assert usage(rig) == {"instances": 1, "cores": 2, "ram_mb": 512, "ports": 1}
    steps = [(a.action, a.step, a.status) for a in c.servers.actions(rig.alice, server.id)]
    assert steps[-1] == ("resize", "resize", "ACTIVE") and ("resize", "server_boot", "changed") in steps

    rig.runner.jobs.clear()
    again = c.servers.resize(rig.alice, server.id, small)  # the flavor it has: nothing to do
    assert again.status == "ACTIVE" and rig.runner.jobs == []
    c.flavors.create(rig.cloud.admin, "m1.lean", vcpus=1, ram_mb=256, disk_gb=2)
    c.servers.resize(rig.alice, server.id, "m1.lean")  # fewer cores and less RAM, the same disk: quota given back
    assert usage(rig) == {"instances": 1, "cores": 1, "ram_mb": 256, "ports": 1}
    assert allocations(rig) == {server.id: {"cn2": {"VCPU": 1, "MEMORY_MB": 256, "DISK_GB": 2}}}


def test_migrate_moves_the_disk_through_the_controller_and_cleans_the_source(rig: Rig) -> None:  # noqa: F811
    c, admin = rig.cloud.c, rig.cloud.admin
    server = boot(rig)
    port = server.ports[0]
    rig.runner.jobs.clear()
    with pytest.raises(PolicyNotAuthorized, match="compute:migrate_server"):
        c.servers.migrate(rig.alice, server.id, "cn1")
    assert rig.runner.jobs == []

    moved = c.servers.migrate(admin, server.id, "cn1")
    assert moved.status == "ACTIVE" and moved.host == "cn1"
    assert played(rig)[:2] == [("server_power", "cn2"), ("server_files_fetch", "cn2")]
    fetch, boot_job = job(rig, "server_files_fetch"), job(rig, "server_boot")
    assert boot_job.host == "cn1" and boot_job.extravars["server_files"] == fetch.extravars["server_files"]
    assert "config_drive" not in boot_job.extravars
    before_boot = played(rig)[2 : played(rig).index(("server_boot", "cn1"))]
    assert ("network_host", "cn1") in before_boot and ("port_security", "cn1") in before_boot
    after_boot = played(rig)[played(rig).index(("server_boot", "cn1")) + 1 :]
    assert ("server_delete", "cn2") in after_boot and ("network_host", "cn2") in after_boot
    source_bridge = [j for j in rig.runner.played("network_host") if j.host == "cn2"][-1]
    assert source_bridge.extravars["network"]["state"] == "absent"  # nothing else of the network on cn2
    source_filters = [j for j in rig.runner.played("port_security") if j.host == "cn2"][-1]
    assert source_filters.extravars["port_security"][0]["state"] == "absent"
    net1 = [j for j in rig.runner.played("network_host") if j.host == "net1"][-1]
    assert net1.extravars["fdb_entries"] == [{"mac": "00:00:00:00:00:00", "dst": "10.9.0.1"}]  # towards cn1 now
    assert allocations(rig) == {server.id: {"cn1": {"VCPU": 1, "MEMORY_MB": 256, "DISK_GB": 1}}}
    assert usage(rig) == {"instances": 1, "cores": 1, "ram_mb": 256, "ports": 1}
    assert c.servers.get(rig.alice, server.id).ports == (port,)  # same port, same address

    rig.runner.jobs.clear()
    assert c.servers.migrate(admin, server.id, "cn1").host == "cn1" and rig.runner.jobs == []  # there already
    assert c.servers.migrate(admin, server.id).host == "cn2"  # no host named: the scheduler's other host
    with pytest.raises(NotFound, match="compute host"):
        c.servers.migrate(admin, server.id, "cn3")


def test_a_failure_on_the_target_leaves_the_server_as_it_was(rig: Rig, small: str) -> None:  # noqa: F811
    c, admin = rig.cloud.c, rig.cloud.admin
    server = boot(rig)
    rig.runner.failing = {"cn1"}
    rig.runner.jobs.clear()
    with pytest.raises(Conflict, match="could not be migrated, it is back as it was: .*libvirtd is not running"):
        c.servers.migrate(admin, server.id, "cn1")
    after = c.servers.get(admin, server.id)
    assert (after.status, after.host, after.flavor_id) == ("ACTIVE", "cn2", server.flavor_id)
    assert allocations(rig) == {server.id: {"cn2": {"VCPU": 1, "MEMORY_MB": 256, "DISK_GB": 1}}}
    assert usage(rig) == {"instances": 1, "cores": 1, "ram_mb": 256, "ports": 1}
    cleanup = played(rig)[played(rig).index(("network_host", "cn1")) + 1 :]
    assert ("server_delete", "cn1") in cleanup and ("server_power", "cn2") in cleanup
    assert [j for j in rig.runner.played("server_power")][-1].extravars["power_state"] == "running"
    fault = c.servers.actions(rig.alice, server.id)
    assert fault[-1].status == "failed" and "cn1" not in fault[-1].message  # hosts hidden from the tenant

    rig.runner.failing = {"cn2"}  # a resize on its own host failing there
    with pytest.raises(Conflict, match="could not be resized, it is back as it was"):
        c.servers.resize(rig.alice, server.id, small)
    assert usage(rig) == {"instances": 1, "cores": 1, "ram_mb": 256, "ports": 1}
    assert allocations(rig) == {server.id: {"cn2": {"VCPU": 1, "MEMORY_MB": 256, "DISK_GB": 1}}}
    assert c.servers.get(rig.alice, server.id).status == "ACTIVE"


def test_refused_moves_change_nothing(rig: Rig, small: str) -> None:  # noqa: F811
    c, admin = rig.cloud.c, rig.cloud.admin
    server = boot(rig)
    c.flavors.create(admin, "m1.huge", vcpus=2, ram_mb=512, disk_gb=5000)
    c.flavors.create(admin, "m1.nodisk", vcpus=1, ram_mb=256, disk_gb=0)
    c.flavors.create(admin, "m1.lowram", vcpus=2, ram_mb=256, disk_gb=2)
    rig.runner.jobs.clear()
    with pytest.raises(Conflict, match=r"cannot be resized: .*DISK_GB"):
        c.servers.resize(rig.alice, server.id, "m1.huge")
    with pytest.raises(ValidationError, match="never shrunk") as shrink:
        c.servers.resize(rig.alice, server.id, "m1.nodisk")
    assert shrink.value.field == "flavor"
    boot(rig, "needs", image="needs-ram", flavor=small)
    rig.runner.jobs.clear()
    with pytest.raises(ValidationError, match="needs at least 512 MiB"):
        c.servers.resize(rig.alice, "needs", "m1.lowram")
    with pytest.raises(PolicyNotAuthorized, match="compute:resize_server"):
        c.servers.resize(rig.rita, server.id, small)  # a reader
    c.quotas.set_limits(admin, rig.a, {"cores": 4})  # 3 in use
    c.flavors.create(admin, "m1.wide", vcpus=4, ram_mb=256, disk_gb=1)
    with pytest.raises(OverQuota, match="cores"):
        c.servers.resize(rig.alice, server.id, "m1.wide")
    assert rig.runner.jobs == [] and usage(rig)["cores"] == 3
    c.servers.stop(rig.alice, server.id)
    rig.runner.jobs.clear()
    resized = c.servers.resize(rig.alice, server.id, small)  # SHUTOFF stays SHUTOFF
    assert resized.status == "SHUTOFF" and job(rig, "server_boot").extravars["power_state"] == "shutdown"
    with rig.cloud.c.db.read() as session:
        assert session.scalar(select(func.count()).select_from(m.Allocation)) == 3 + 3  # web-1 and needs
    assert {s.name: s.status for s in c.servers.list(rig.alice)} == {"web-1": "SHUTOFF", "needs": "ACTIVE"}


def test_a_new_server_goes_to_the_host_an_admin_names(rig: Rig) -> None:  # noqa: F811
    c, admin = rig.cloud.c, rig.cloud.admin
    with pytest.raises(PolicyNotAuthorized, match="compute:migrate_server"):
        boot(rig, "pinned", host="cn1")
    with pytest.raises(NotFound, match="compute host"):
        boot(rig, "pinned", who=admin, host="cn9", networks=[])
    assert rig.runner.jobs == []
    pinned = boot(rig, "pinned", who=admin, host="cn1", networks=[])  # the weighers would pick cn2
    assert pinned.status == "ACTIVE" and pinned.host == "cn1"
    c.flavors.create(admin, "m1.huge", vcpus=2, ram_mb=512, disk_gb=500)  # more disk than cn1 has
    failed = boot(rig, "too-big", who=admin, host="cn1", networks=[], flavor="m1.huge")
    assert failed.status == "ERROR" and "DISK_GB" in failed.fault  # the filters still apply to the named host


def test_rebuild_makes_the_root_disk_again_on_its_host_and_keeps_the_rest(rig: Rig, tmp_path: Any) -> None:  # noqa: F811
    c = rig.cloud.c
    server = boot(rig)
    other = tmp_path / "other.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(other), "64M"], check=True, capture_output=True)
    c.images.create(rig.alice, "other", disk_format="qcow2", filename=other)
    c.images.create(rig.alice, "too-big", disk_format="qcow2", filename=other, spec=ImageSpec(min_disk_gb=5))
    rig.runner.jobs.clear()
    with pytest.raises(ValidationError, match="needs at least 5 GiB") as big:
        c.servers.rebuild(rig.alice, server.id, "too-big")
    assert big.value.field == "image" and rig.runner.jobs == []
    with pytest.raises(PolicyNotAuthorized, match="compute:rebuild_server"):
        c.servers.rebuild(rig.rita, server.id, "other")

    rebuilt = c.servers.rebuild(rig.alice, "web-1", "other")
    assert rebuilt.status == "ACTIVE" and rebuilt.image_id == c.images.get(rig.alice, "other").id
    assert played(rig) == [("server_power", "cn2"), ("server_boot", "cn2")]
    boot_job = job(rig, "server_boot")
    assert boot_job.extravars["fresh_root_disk"] is True and boot_job.extravars["image_id"] == rebuilt.image_id
    assert "config_drive" not in boot_job.extravars  # hostname, keys and user-data stay as they were
    assert rebuilt.ports == server.ports and rebuilt.addresses == server.addresses
    assert allocations(rig) == {server.id: {"cn2": {"VCPU": 1, "MEMORY_MB": 256, "DISK_GB": 1}}}

    rig.runner.failing = {"cn2"}
    with pytest.raises(Conflict, match="could not be rebuilt, it is ERROR"):
        c.servers.rebuild(rig.alice, server.id, "tiny")
    failed = c.servers.get(rig.alice, server.id)
    assert failed.status == "ERROR" and "rebuild failed on <host>" in failed.fault
    assert failed.image_id == rebuilt.image_id
    with pytest.raises(Conflict, match="only an ACTIVE or SHUTOFF server can be rebuilt"):
        c.servers.rebuild(rig.alice, server.id, "tiny")


def test_a_snapshot_becomes_an_image_of_the_callers_project_saying_where_it_came_from(
    rig: Rig, tmp_path: Any,  # noqa: F811
) -> None:
    c = rig.cloud.c
    server = boot(rig)
    base = c.images.get(rig.alice, "tiny")
    brought: list[str] = []

    def run(job: Any) -> Any:  # the node's qemu-img copy and fetch, stood in for by a real qcow2 file
        result = FakeRunner.run(rig.runner, job)
        if job.playbook == "server_snapshot" and result.ok:
            files = Path(job.extravars["server_files"])
            files.mkdir(parents=True)
            subprocess.run(["qemu-img", "create", "-f", "qcow2", str(files / "snapshot.qcow2"), "1G"], check=True,
                           capture_output=True)  # fmt: skip
            brought.append(str(files))
        return result

    rig.runner.run = run  # type: ignore[method-assign]
    rig.runner.jobs.clear()
    with pytest.raises(PolicyNotAuthorized, match="compute:create_image"):
        c.servers.snapshot(rig.rita, server.id, "snap")
    with pytest.raises(Conflict, match="image named 'tiny'"):
        c.servers.snapshot(rig.alice, server.id, "tiny")
    assert rig.runner.jobs == []

    image = c.servers.snapshot(rig.alice, "web-1", "web-1-snap")
    assert played(rig) == [("server_snapshot", "cn2")]
    assert image.project_id == rig.a and image.status == "active" and image.disk_format == "qcow2"
    assert image.virtual_size_bytes == 1 << 30 and image.min_disk_gb == 1
    assert dict(image.properties) == {"image_type": "snapshot", "instance_uuid": server.id, "base_image_ref": base.id}
    assert not Path(brought[0]).exists(), "the fetched copy is gone once stored"
    assert c.servers.get(rig.alice, server.id).status == "ACTIVE"
    booted = boot(rig, "from-snap", image="web-1-snap")  # a snapshot boots like any image
    assert booted.status == "ACTIVE" and booted.image_id == image.id

    rig.runner.failing = {"cn2"}
    with pytest.raises(Conflict, match="could not be snapshotted"):
        c.servers.snapshot(rig.alice, server.id, "never")
    assert c.images.find(rig.alice, "never") is None
    with pytest.raises(Conflict, match="is ERROR|only an ACTIVE or SHUTOFF"):
        with rig.cloud.c.db.write() as session:
            session.get(m.Server, server.id).status = "ERROR"  # type: ignore[union-attr]
        c.servers.snapshot(rig.alice, server.id, "never")


def test_a_servers_groups_change_in_place_and_a_failed_filter_puts_them_back(rig: Rig) -> None:  # noqa: F811
    from stackling.networking import RuleRequest

    c, sg = rig.cloud.c, rig.cloud.c.networking.security_groups
    sg.create(rig.alice, "web")
    sg.add_rule(rig.alice, "web", RuleRequest(protocol="tcp", port_range_min=80))
    db = boot(rig, "db-1")  # default group: its rules admit the default group's members
    web = boot(rig, "web-1")
    rig.runner.jobs.clear()
    with pytest.raises(PolicyNotAuthorized, match="compute:update_server"):
        c.servers.set_security_groups(rig.rita, web.id, ["web"])
    with pytest.raises(NotFound, match="security group"):
        c.servers.set_security_groups(rig.alice, web.id, ["nope"])
    assert rig.runner.jobs == []

    changed = c.servers.set_security_groups(rig.alice, web.id, ["web"])
    assert changed.security_groups == ("web",) and changed.status == "ACTIVE"
    own, *others = rig.runner.played("port_security")
    assert own.host == "cn2" and [i["port_id"] for i in own.extravars["port_security"]] == [web.ports[0]]
    rendered = [rule for item in own.extravars["port_security"] for table in item["tables"]
                for chain in table["chains"] for rule in chain["rules"]]  # fmt: skip
    assert "meta nfproto ipv4 meta l4proto tcp th dport 80 accept" in rendered, rendered
    # db-1's filter admits default's members: web-1 left default, so db-1's filter is rewritten too
    assert [i["port_id"] for job in others for i in job.extravars["port_security"]] == [db.ports[0]]
    assert rig.runner.played("server_power") == [], "the guest keeps running"
    rig.runner.jobs.clear()
    assert c.servers.set_security_groups(rig.alice, web.id, ["web"]).security_groups == ("web",)
    assert rig.runner.jobs == [], "the same groups: nothing to do"

    rig.runner.failing = {"cn2"}
    with pytest.raises(Conflict, match="groups are as they were"):
        c.servers.set_security_groups(rig.alice, web.id, ["default", "web"])
    assert c.servers.get(rig.alice, web.id).security_groups == ("web",)


def test_a_move_failing_on_the_chosen_host_goes_on_to_the_next_one(rig: Rig, small: str) -> None:  # noqa: F811
    c = rig.cloud.c
    server = boot(rig)  # on cn2, where the resize's scheduler prefers to stay
    real_run = rig.runner.run

    def boot_fails_on_cn2(job: Any) -> Any:  # the guest cannot start on cn2 at the new size
        if job.playbook == "server_boot" and job.host == "cn2" and job.extravars["server"]["vcpus"] == 2:
            rig.runner.jobs.append(job)
            return FakeRunner(failing={"cn2"}).run(job)
        return real_run(job)

    rig.runner.run = boot_fails_on_cn2  # type: ignore[method-assign]
    rig.runner.jobs.clear()
    resized = c.servers.resize(rig.alice, server.id, small)
    assert resized.status == "ACTIVE" and c.servers.get(rig.cloud.admin, server.id).host == "cn1"
    steps = played(rig)
    assert steps[:2] == [("server_power", "cn2"), ("server_boot", "cn2")]  # the first attempt, in place
    assert ("server_files_fetch", "cn2") in steps and ("server_boot", "cn1") in steps
    assert steps.index(("server_files_fetch", "cn2")) > 1, "the disk is fetched once another host is tried"
    assert allocations(rig) == {server.id: {"cn1": {"VCPU": 2, "MEMORY_MB": 512, "DISK_GB": 2}}}
    assert usage(rig) == {"instances": 1, "cores": 2, "ram_mb": 512, "ports": 1}
    records = [(a.step, a.message) for a in c.servers.actions(rig.cloud.admin, server.id) if a.step == "schedule"]
    assert records[-1] == ("schedule", "rescheduled after cn2 failed")


def test_a_server_being_moved_or_rebuilt_is_not_deleted_meanwhile(rig: Rig, small: str) -> None:  # noqa: F811
    c = rig.cloud.c
    server = boot(rig)
    real_run = rig.runner.run
    refused: list[str] = []

    def delete_meanwhile(job: Any) -> Any:  # another run deletes the server while its guest is brought up
        if job.playbook == "server_boot":
            with pytest.raises(Conflict, match="by another run") as exc:
                c.servers.delete(rig.alice, server.id)
            refused.append(str(exc.value))
        return real_run(job)

    rig.runner.run = delete_meanwhile  # type: ignore[method-assign]
    assert c.servers.resize(rig.alice, server.id, small).status == "ACTIVE"
    assert c.servers.rebuild(rig.alice, server.id, "tiny").status == "ACTIVE"
    assert len(refused) == 2 and "resized or migrated" in refused[0] and "rebuilt" in refused[1]
    rig.runner.run = real_run  # type: ignore[method-assign]
    with rig.cloud.c.db.write() as session:  # a mover that died: RESIZE, and nobody holds the lock
        session.get(m.Server, server.id).status = "RESIZE"  # type: ignore[union-attr]
    c.servers.delete(rig.alice, server.id)
    assert c.servers.find(rig.alice, server.id) is None
