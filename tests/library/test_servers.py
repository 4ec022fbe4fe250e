"""The server service (stackling.compute.servers) on SQLite and PostgreSQL, with a stand-in for the
conductor's runner (the node side is tested for real in tests/functional/test_cloud_servers.py):
what is counted and made in the creating transaction, what a failed build gives back, tenant
isolation, the admin-only fields, the jobs planned for the nodes and the rollback on any failure."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from stackling.compute import ComputeHostService
from stackling.compute.servers import ServerRequest
from stackling.conductor import JobResult, JobStatus, NodeJob, StepOutcome, StepStatus
from stackling.config import ConductorConfig
from stackling.context import Context
from stackling.db import models as m
from stackling.errors import ConfigError, Conflict, NotFound, OverQuota, PolicyNotAuthorized, ValidationError
from stackling.images.service import ImageSpec
from tests.library.helpers import Cloud

SMALL = {"VCPU": {"total": 8}, "MEMORY_MB": {"total": 16384}, "DISK_GB": {"total": 200}}
BIG = {"VCPU": {"total": 64}, "MEMORY_MB": {"total": 262144}, "DISK_GB": {"total": 2000}}


@dataclass
class FakeRunner:
    """Answers every job as successful, except the playbooks run on ``failing`` hosts."""

    failing: set[str] = field(default_factory=set)
    jobs: list[NodeJob] = field(default_factory=list)
    raise_on: str | None = None

    def run(self, job: NodeJob) -> JobResult:
        self.jobs.append(job)
        if job.playbook == self.raise_on:
            raise RuntimeError("the conductor fell over")
        if job.host in self.failing:
            step = StepOutcome("The instances pool", job.host, StepStatus.FAILED, "libvirtd is not running")
            return JobResult(job, JobStatus.FAILED, 2, (step,))
        return JobResult(job, JobStatus.SUCCESSFUL, 0, (StepOutcome("x", job.host, StepStatus.CHANGED),))

    def played(self, playbook: str) -> list[NodeJob]:
        return [job for job in self.jobs if job.playbook == playbook]


@dataclass
class Rig:
    cloud: Cloud
    runner: FakeRunner
    alice: Context
    rita: Context
    bob: Context
    a: str
    net: str


@pytest.fixture()
def rig(cloud: Cloud, tmp_path: Path) -> Rig:
    c = cloud.c
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {
        "compute": {"hosts": {"cn1": {"stackling_tunnel_address": "10.9.0.1"},
                              "cn2": {"stackling_tunnel_address": "10.9.0.2"}}},
        "network": {"hosts": {"net1": {"stackling_tunnel_address": "10.9.0.9"}}}}}}))  # fmt: skip
    runner = FakeRunner()
    c.servers.runner = runner
    c.servers.conductor = ConductorConfig(inventory=inventory)
    c.compute_hosts.apply(cloud.admin, "cn1", ComputeHostService.spec(inventory=SMALL))
    c.compute_hosts.apply(cloud.admin, "cn2", ComputeHostService.spec(inventory=BIG))  # the weighers prefer it
    a, b = cloud.project("srv-a"), cloud.project("srv-b")
    cloud.user("alice", a)
    cloud.user("rita", a, role="reader")
    cloud.user("bob", b)
    alice = cloud.login("alice", "srv-a")
    c.flavors.create(cloud.admin, "m1.tiny", vcpus=1, ram_mb=256, disk_gb=1)
    image = tmp_path / "disk.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(image), "64M"], check=True, capture_output=True)
    c.images.create(alice, "tiny", disk_format="qcow2", filename=image)
    c.images.create(alice, "needs-ram", disk_format="qcow2", filename=image, spec=ImageSpec(min_ram_mb=512))
    net = c.networking.networks.create(alice, "private")
    c.networking.subnets.create(alice, net.id, "10.0.0.0/24", dns_nameservers=["10.0.0.53"])
    return Rig(cloud, runner, alice, cloud.login("rita", "srv-a"), cloud.login("bob", "srv-b"), a.id, net.id)


def boot(rig: Rig, name: str = "web-1", who: Context | None = None, **fields: Any) -> Any:
    fields.setdefault("networks", ["private"])
    return rig.cloud.c.servers.create(who or rig.alice, ServerRequest(name, flavor=fields.pop("flavor", "m1.tiny"),
                                                                      image=fields.pop("image", "tiny"), **fields))


def usage(rig: Rig) -> dict[str, int]:
    got = rig.cloud.c.quotas.get_usage(rig.cloud.admin, rig.a)
    return {k: got[k].in_use for k in ("instances", "cores", "ram_mb", "ports")}


def counts(rig: Rig) -> dict[str, int]:
    with rig.cloud.c.db.read() as session:
        return {
            "servers": session.scalar(select(func.count()).select_from(m.Server)) or 0,
            "ports": session.scalar(select(func.count()).select_from(m.Port)) or 0,
            "allocations": session.scalar(select(func.count()).select_from(m.Allocation)) or 0,
            "ips": session.scalar(select(func.count()).select_from(m.IpAllocation)) or 0,
        }


def test_create_plans_the_node_jobs_and_delete_gives_everything_back(rig: Rig) -> None:
    c = rig.cloud.c
    server = boot(rig, key_name=None, user_data="#!/bin/sh\necho hi\n")
    assert server.status == "ACTIVE" and server.fault == ""
    assert server.host is None and server.hypervisor is None, "tenants do not see the host"
    assert server.addresses == {"private": ("10.0.0.3",)}  # .2 is the network's DHCP port
    assert usage(rig) == {"instances": 1, "cores": 1, "ram_mb": 256, "ports": 1}
    seen = c.servers.get(rig.cloud.admin, server.id)
    assert seen.host == "cn2" and seen.hypervisor == "QEMU"

    played = [(job.playbook, job.host) for job in rig.runner.jobs]
    assert played == [("network_host", "cn2"), ("network_host", "net1"), ("dhcp_network", "net1"),
                      ("port_security", "cn2"), ("server_boot", "cn2")]  # fmt: skip
    net_cn2, net_net1, dhcp, filters, boot_job = rig.runner.jobs
    assert [item["state"] for item in filters.extravars["port_security"]] == ["present"]  # the default group
    assert net_cn2.extravars["tunnel_address"] == "10.9.0.2"
    assert net_cn2.extravars["fdb_entries"] == [{"mac": "00:00:00:00:00:00", "dst": "10.9.0.9"}]
    assert net_net1.extravars["fdb_entries"] == [{"mac": "00:00:00:00:00:00", "dst": "10.9.0.2"}]
    port = c.networking.ports.get(rig.alice, server.ports[0])
    assert dhcp.extravars["dhcp"]["reservations"] == [{"mac": port.mac_address, "ip": "10.0.0.3", "hostname": "web-1"}]
    assert dhcp.extravars["dhcp"]["address"] == "10.0.0.2/24" and dhcp.extravars["dhcp"]["gateway"] == "10.0.0.1"
    assert dhcp.extravars["dhcp"]["dns_servers"] == ["10.0.0.53"]
    assert boot_job.extravars["ports"] == [{"id": port.id, "mac": port.mac_address, "network_id": rig.net}]
    assert boot_job.extravars["config_drive"] == {"hostname": "web-1", "ssh_public_keys": [],
                                                  "user_data": "#!/bin/sh\necho hi\n"}  # fmt: skip
    assert boot_job.extravars["image_source"] == str(c.images.file_path(rig.alice, "tiny"))
    assert port.device_id == server.id and port.device_owner == "compute:nova"
    steps = [(a.action, a.step, a.status) for a in c.servers.actions(rig.alice, server.id)]
    assert ("create", "server_boot", "changed") in steps and steps[-1] == ("create", "build", "ACTIVE")
    assert all(a.host is None for a in c.servers.actions(rig.alice, server.id))

    rig.runner.jobs.clear()
    c.servers.delete(rig.alice, "web-1")
    assert [(job.playbook, job.host) for job in rig.runner.jobs] == [
        ("server_delete", "cn2"), ("dhcp_network", "net1"), ("network_host", "net1"), ("network_host", "cn2"),
        ("port_security", "cn2")]
    assert all(job.extravars.get("network", {}).get("state", "absent") == "absent" for job in rig.runner.jobs)
    assert [item["state"] for item in rig.runner.jobs[-1].extravars["port_security"]] == ["absent"]
    assert usage(rig) == {"instances": 0, "cores": 0, "ram_mb": 0, "ports": 0}
    assert counts(rig) == {"servers": 0, "ports": 0, "allocations": 0, "ips": 0}
    c.networking.networks.delete(rig.alice, "private")  # nothing of the server holds the network


def test_a_second_server_keeps_the_network_and_its_dhcp(rig: Rig) -> None:
    c = rig.cloud.c
    boot(rig, "web-1")
    second = boot(rig, "web-2")
    dhcp = rig.runner.played("dhcp_network")[-1].extravars["dhcp"]
    assert [r["hostname"] for r in dhcp["reservations"]] == ["web-1", "web-2"]
    rig.runner.jobs.clear()
    c.servers.delete(rig.alice, second.id)
    assert [(job.playbook, job.host) for job in rig.runner.jobs
            if job.playbook != "port_security"] == [("server_delete", "cn2"), ("dhcp_network", "net1")]
    assert [r["hostname"] for r in rig.runner.jobs[1].extravars["dhcp"]["reservations"]] == ["web-1"]


def test_builds_on_one_network_take_turns_on_its_plumbing_and_dhcp_reads_the_reservations_when_it_runs(
    rig: Rig,
) -> None:
    """Two builds side by side (as N ``server`` tasks run them): web-2 is made while web-1 runs its
    first network job. Their network jobs never overlap (the node modules check, then create), and
    web-1's DHCP job, planned before web-2's port existed, hands dnsmasq both reservations."""
    c = rig.cloud.c
    inner = rig.runner
    busy: list[str] = []  # network jobs in flight
    overlapped: list[tuple[str, ...]] = []
    second: list[Any] = []

    class SideBySide:
        def run(self, job: NodeJob) -> JobResult:
            network_job = job.playbook in ("network_host", "dhcp_network")
            if network_job:
                busy.append(job.playbook)
                if len(busy) > 1:
                    overlapped.append(tuple(busy))
            try:
                if not second and job.playbook == "network_host":  # web-1's first job: web-2 starts now
                    second.append(threading.Thread(target=lambda: second.append(boot(rig, "web-2"))))
                    second[0].start()
                    deadline = time.monotonic() + 30
                    while c.servers.find(rig.alice, "web-2") is None and time.monotonic() < deadline:
                        time.sleep(0.05)
                    time.sleep(0.5)  # long enough for web-2 to reach its own network job
                return inner.run(job)
            finally:
                if network_job:
                    busy.remove(job.playbook)

    c.servers.runner = SideBySide()
    first = boot(rig, "web-1")
    second[0].join(timeout=60)
    assert first.status == "ACTIVE" and second[1].status == "ACTIVE", (first.fault, second[1].fault)
    assert overlapped == [], overlapped
    dhcp_jobs = inner.played("dhcp_network")
    assert len(dhcp_jobs) == 2
    for job in dhcp_jobs:
        assert sorted(r["hostname"] for r in job.extravars["dhcp"]["reservations"]) == ["web-1", "web-2"], job


def test_a_build_failing_on_the_preferred_host_lands_on_the_alternate(rig: Rig) -> None:
    c = rig.cloud.c
    rig.runner.failing = {"cn2"}
    server = boot(rig)
    assert server.status == "ACTIVE"
    assert c.servers.get(rig.cloud.admin, server.id).host == "cn1"
    played = [(job.playbook, job.host) for job in rig.runner.jobs]
    assert played[:2] == [("network_host", "cn2"), ("server_delete", "cn2")]
    assert ("server_boot", "cn1") in played
    assert played[-1] == ("network_host", "cn2") and rig.runner.jobs[-1].extravars["network"]["state"] == "absent"
    gone = [job for job in rig.runner.played("port_security") if job.host == "cn2"][-1]
    assert [item["state"] for item in gone.extravars["port_security"]] == ["absent"], "no port tables left on cn2"
    actions = c.servers.actions(rig.cloud.admin, server.id)
    failed = [a for a in actions if a.status == "failed"]
    assert failed and failed[0].host == "cn2" and "libvirtd is not running" in failed[0].message
    assert failed[0].step == "network_host: The instances pool"
    with c.db.read() as session:
        held = session.scalars(select(m.Allocation.resource_provider_id)).all()
        cn1 = session.scalars(select(m.ResourceProvider.id).where(m.ResourceProvider.name == "cn1")).one()
    assert set(held) == {cn1}


def test_a_build_failing_everywhere_is_error_with_each_host_and_holds_only_quota(rig: Rig) -> None:
    c = rig.cloud.c
    rig.runner.failing = {"cn1", "cn2"}
    server = boot(rig)
    assert server.status == "ERROR"
    # The tenant is told why, without the hosts' names; the cloud admin sees them.
    assert "<host>: The instances pool on <host>: libvirtd is not running" in server.fault, server.fault
    assert "cn1" not in server.fault and "cn2" not in server.fault
    assert all("cn2" not in a.message for a in c.servers.actions(rig.alice, server.id))
    admin_fault = c.servers.get(rig.cloud.admin, server.id).fault
    assert "cn2: The instances pool on cn2: libvirtd is not running" in admin_fault and "cn1:" in admin_fault
    assert server.addresses == {} and server.ports == ()
    assert counts(rig) == {"servers": 1, "ports": 0, "allocations": 0, "ips": 0}
    assert usage(rig) == {"instances": 1, "cores": 1, "ram_mb": 256, "ports": 0}  # nova: counted until deleted
    # The clean-up failed there too (the stand-in fails every job on those hosts): the server keeps
    # the last such host, and deleting it runs server_delete there again; refused while it fails.
    assert "clean-up failed too on cn2, cn1" in admin_fault
    assert c.servers.get(rig.cloud.admin, server.id).host == "cn1"
    with pytest.raises(Conflict, match=r"failed \(The instances pool on <host>: .*delete it again when the host"):
        c.servers.delete(rig.alice, server.id)
    rig.runner.failing = set()
    c.servers.delete(rig.alice, server.id)
    assert rig.runner.jobs[-1].playbook == "server_delete" and rig.runner.jobs[-1].host == "cn1"
    assert usage(rig) == {"instances": 0, "cores": 0, "ram_mb": 0, "ports": 0}
    assert counts(rig)["servers"] == 0


def test_no_valid_host_is_error_saying_why_and_releases_the_ports(rig: Rig) -> None:
    c = rig.cloud.c
    server = boot(rig, availability_zone="nowhere")
    assert server.status == "ERROR" and "no valid host was found" in server.fault
    assert "AvailabilityZoneFilter" in server.fault or "placement" in server.fault, server.fault
    assert rig.runner.jobs == [], "nothing ran on a node"
    assert counts(rig) == {"servers": 1, "ports": 0, "allocations": 0, "ips": 0}
    c.servers.delete(rig.alice, server.id)
    assert counts(rig)["servers"] == 0 and usage(rig)["instances"] == 0


def test_quota_and_bad_requests_leave_nothing(rig: Rig) -> None:
    c = rig.cloud.c
    c.quotas.set_limits(rig.cloud.admin, rig.a, {"cores": 1})
    boot(rig, "web-1")
    before = counts(rig), usage(rig)
    with pytest.raises(OverQuota, match="cores"):
        boot(rig, "web-2")
    with pytest.raises(ValidationError, match="min_ram"):
        boot(rig, "web-3", image="needs-ram")
    with pytest.raises(NotFound, match="network"):
        boot(rig, "web-4", networks=["nope"])
    with pytest.raises(NotFound, match="keypair"):
        boot(rig, "web-5", key_name="nope")
    with pytest.raises(PolicyNotAuthorized, match="compute:create_server"):
        boot(rig, "web-6", who=rig.rita)
    assert (counts(rig), usage(rig)) == before


def test_a_failure_inside_the_creating_transaction_rolls_everything_back(rig: Rig) -> None:
    c = rig.cloud.c
    tiny = c.networking.networks.create(rig.alice, "tiny")
    c.networking.subnets.create(rig.alice, tiny.id, "10.1.0.0/30")  # one address: the DHCP port takes it
    before = counts(rig), usage(rig)
    with pytest.raises(Exception, match="exhausted|no free"):
        boot(rig, networks=["private", "tiny"])
    assert (counts(rig), usage(rig)) == before


def test_an_unexpected_error_after_the_row_exists_leaves_an_error_server_holding_nothing(rig: Rig) -> None:
    rig.runner.raise_on = "server_boot"
    with pytest.raises(RuntimeError, match="fell over"):
        boot(rig)
    server = rig.cloud.c.servers.get(rig.alice, "web-1")
    assert server.status == "ERROR" and "fell over" in server.fault
    assert counts(rig) == {"servers": 1, "ports": 0, "allocations": 0, "ips": 0}


def test_a_missing_inventory_is_a_config_error_and_the_server_is_error(rig: Rig, tmp_path: Path) -> None:
    rig.cloud.c.servers.conductor = ConductorConfig(inventory=tmp_path / "nope.yml")
    with pytest.raises(ConfigError, match="conductor.inventory"):
        boot(rig)
    assert rig.cloud.c.servers.get(rig.alice, "web-1").status == "ERROR"


def test_tenants_are_isolated(rig: Rig) -> None:
    c = rig.cloud.c
    server = boot(rig)
    assert [s.name for s in c.servers.list(rig.rita)] == ["web-1"]
    assert c.servers.list(rig.bob) == [] and c.servers.find(rig.bob, server.id) is None
    with pytest.raises(NotFound):
        c.servers.delete(rig.bob, server.id)
    with pytest.raises(PolicyNotAuthorized):
        c.servers.delete(rig.rita, server.id)
    with pytest.raises(NotFound, match="image"):
        boot(rig, "theirs", who=rig.bob, networks=[])
    c.images.create(rig.bob, "tiny", disk_format="qcow2", filename=c.images.file_path(rig.alice, "tiny"))
    with pytest.raises(NotFound, match="network"):
        boot(rig, "theirs", who=rig.bob, networks=[rig.net])
    assert c.servers.list(rig.cloud.admin) == []  # the admin's own project
    assert [s.host for s in c.servers.list(rig.cloud.admin, all_projects=True)] == ["cn2"]


def test_metadata_is_kept_replaced_checked_and_private(rig: Rig) -> None:
    c = rig.cloud.c
    server = boot(rig, metadata={"group": "web,db", "role": "frontend"})
    assert server.metadata == {"group": "web,db", "role": "frontend"}
    jobs = len(rig.runner.jobs)
    changed = c.servers.set_metadata(rig.alice, "web-1", {"role": "backend"})
    assert changed.metadata == {"role": "backend"} and c.servers.get(rig.alice, server.id).metadata == {"role": "backend"}
    assert len(rig.runner.jobs) == jobs, "metadata is the controller's: no node job"
    with pytest.raises(PolicyNotAuthorized):
        c.servers.set_metadata(rig.rita, server.id, {})
    with pytest.raises(NotFound):
        c.servers.set_metadata(rig.bob, server.id, {})
    for bad, words in (({"": "x"}, "keys are strings"), ({"k": "v" * 256}, "metadata k: values"),
                       ({"k%d" % n: "v" for n in range(129)}, "at most 128 items"), ({"k": 1}, "values are strings")):
        with pytest.raises(ValidationError, match=words) as caught:
            c.servers.set_metadata(rig.alice, server.id, bad)  # type: ignore[arg-type]
        assert caught.value.field == "metadata"
    before = counts(rig)
    with pytest.raises(ValidationError, match="metadata"):
        boot(rig, "web-2", metadata={"k": "v" * 300})
    assert counts(rig) == before, "a refused create makes nothing"
    assert c.servers.get(rig.alice, server.id).metadata == {"role": "backend"}


def names(jobs: Sequence[NodeJob]) -> list[str]:
    return [job.playbook for job in jobs]


def test_stop_and_start_run_server_power_on_the_host_and_are_idempotent(rig: Rig) -> None:
    c = rig.cloud.c
    server = boot(rig)
    rig.runner.jobs.clear()
    assert c.servers.stop(rig.alice, "web-1").status == "SHUTOFF"
    assert c.servers.stop(rig.alice, "web-1").status == "SHUTOFF"
    assert c.servers.start(rig.alice, server.id).status == "ACTIVE"
    assert [(j.playbook, j.host, j.extravars["power_state"]) for j in rig.runner.jobs] == [
        ("server_power", "cn2", "shutdown"), ("server_power", "cn2", "running")]
    with pytest.raises(PolicyNotAuthorized, match="compute:stop_server"):
        c.servers.stop(rig.rita, server.id)
    rig.runner.failing = {"cn2"}
    with pytest.raises(Conflict, match="could not be stopped"):
        c.servers.stop(rig.alice, server.id)
    assert c.servers.get(rig.alice, server.id).status == "ACTIVE"
    rig.runner.failing = {"cn1", "cn2"}
    broken = boot(rig, "web-2")
    with pytest.raises(Conflict, match="ERROR: it cannot be started"):
        c.servers.start(rig.alice, broken.id)


def test_ports_get_the_named_groups_and_rule_changes_reach_every_host_concerned(rig: Rig) -> None:
    from stackling.networking import RuleRequest

    c, sg = rig.cloud.c, rig.cloud.c.networking.security_groups
    sg.create(rig.alice, "web")
    web1 = boot(rig, "web-1", security_groups=["web", "default"])
    assert web1.security_groups == ("default", "web")
    with pytest.raises(NotFound):
        boot(rig, "web-x", who=rig.bob, security_groups=["web"])  # another project's group
    rig.runner.jobs.clear()
    web2 = boot(rig, "web-2", flavor="m1.tiny", security_groups=["web"])
    assert web2.security_groups == ("web",)
    hosts = [job.host for job in rig.runner.played("port_security")]
    assert len(hosts) == 1, "web-2's own filter only: no rule names web as remote group yet"
    with pytest.raises(Conflict, match="used by port"):
        sg.delete(rig.alice, "web")

    rig.runner.jobs.clear()
    sg.add_rule(rig.alice, "web", RuleRequest(protocol="icmp"))
    played = rig.runner.played("port_security")
    items = {item["port_id"]: item for job in played for item in job.extravars["port_security"]}
    assert set(items) == {web1.ports[0], web2.ports[0]}
    rendered = [rule for item in items.values() for table in item["tables"] for chain in table["chains"]
                for rule in chain["rules"]]
    assert "meta nfproto ipv4 meta l4proto icmp accept" in rendered

    sg.add_rule(rig.alice, "web", RuleRequest(protocol="tcp", port_range_min=22, remote_group="web"))
    rig.runner.jobs.clear()
    c.servers.delete(rig.alice, "web-1")  # web-2's rules name web: its set of web's addresses shrinks
    played = rig.runner.played("port_security")
    assert [item["state"] for item in played[0].extravars["port_security"]] == ["absent"]
    assert [item["port_id"] for job in played[1:] for item in job.extravars["port_security"]] == [web2.ports[0]]


def test_a_server_on_the_tenants_own_port_keeps_the_port_when_it_goes(rig: Rig) -> None:
    c = rig.cloud.c
    port = c.networking.ports.create(rig.alice, "private", name="fixed-web")
    address = port.fixed_ips[0].ip_address
    assert usage(rig)["ports"] == 1  # the port counts once, when made
    c.images.create(rig.bob, "tiny", disk_format="qcow2", filename=c.images.file_path(rig.alice, "tiny"))
    with pytest.raises(NotFound, match="port"):
        boot(rig, "x", who=rig.bob, networks=[], ports=[port.id])  # another project's port
    server = boot(rig, "web-1", networks=[], ports=["fixed-web"])
    assert server.status == "ACTIVE" and server.ports == (port.id,) and server.addresses == {"private": (address,)}
    assert usage(rig) == {"instances": 1, "cores": 1, "ram_mb": 256, "ports": 1}
    assert c.servers.get(rig.alice, server.id).security_groups == ("default",)  # it had none: the server's
    dhcp = rig.runner.played("dhcp_network")[-1].extravars["dhcp"]
    assert [r["ip"] for r in dhcp["reservations"]] == [address]
    with pytest.raises(Conflict, match="in use"):
        boot(rig, "web-2", networks=[], ports=[port.id])

    c.servers.delete(rig.alice, server.id)
    kept = c.networking.ports.get(rig.alice, port.id)
    assert (kept.device_id, kept.device_owner) == ("", "") and kept.fixed_ips[0].ip_address == address
    assert usage(rig) == {"instances": 0, "cores": 0, "ram_mb": 0, "ports": 1}
    rig.runner.failing = {"cn1", "cn2"}  # a failed build gives the port back unbound too
    failed = boot(rig, "web-3", networks=[], ports=[port.id])
    assert failed.status == "ERROR"
    assert c.networking.ports.get(rig.alice, port.id).device_id == ""
    c.networking.ports.delete(rig.alice, port.id)
