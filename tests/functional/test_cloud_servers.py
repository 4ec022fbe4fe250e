"""Servers end to end on this machine: a real controller (temporary SQLite store and image store)
whose conductor runs the collection's node playbooks against the libvirt rig. The conductor's
inventory has ``compute1`` (this machine, local connection, guests in the rig's namespace) — the
compute and the network host — and ``compute0``, which stands for a host whose libvirtd is stopped
(its libvirt socket does not exist) and whose network plumbing goes into a scratch namespace.
compute0 is registered bigger, so the weighers prefer it: every build fails there first, is cleaned
up, and lands on compute1 (the scheduler's alternate).

The tenant boots a server from the tiny guest image on a network of its own: ACTIVE, and its
console shows STACKLING-GUEST-READY with the port's fixed IP handed out by the cloud's dnsmasq.
Deleting it leaves no domain, file, port, address, allocation or quota usage.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from stackling.compute import ComputeHostService
from stackling.compute.servers import ServerRequest
from stackling.controller import Controller
from stackling.db import models as m
from tests.functional.cloud_support import ServerRig, make_server_rig, remove_server_rig
from tests.functional.test_cloud_inventory import inventory, listed
from tests.support import TEST_PREFIX
from tests.support.collection import run_module, start_module
from tests.support.guest_image import ready_line, tiny_image
from tests.support.netns import sh
from tests.support.rig import NETNS as RIG_NETNS

pytestmark = pytest.mark.slow
BOOT_TIMEOUT = 240.0
SMALL = {"VCPU": {"total": 4}, "MEMORY_MB": {"total": 4096}, "DISK_GB": {"total": 50}}
BIG = {"VCPU": {"total": 64}, "MEMORY_MB": {"total": 262144}, "DISK_GB": {"total": 2000}}


@pytest.fixture()
def server_rig(tmp_path: Path, libvirt_rig: str) -> Iterator[ServerRig]:
    rig = make_server_rig(tmp_path, SMALL, compute0=BIG)
    yield rig
    remove_server_rig(rig)  # whatever a failed test left


def wait_ready(console: Path) -> dict[str, str]:
    deadline = time.monotonic() + BOOT_TIMEOUT
    text = ""
    while time.monotonic() < deadline:
        text = console.read_text(errors="replace") if console.exists() else ""
        ready = ready_line(text)
        if ready:
            return ready
        time.sleep(1)
    raise AssertionError("no STACKLING-GUEST-READY within %d s:\n%s" % (BOOT_TIMEOUT, text))


def domains() -> str:
    return subprocess.run(["virsh", "-c", "qemu:///system", "list", "--all", "--name"], capture_output=True,
                          text=True, check=True, timeout=60).stdout  # fmt: skip


def domstate(server_id: str) -> str:
    return subprocess.run(["virsh", "-c", "qemu:///system", "domstate", "instance-" + server_id], capture_output=True,
                          text=True, check=True, timeout=60).stdout.strip()  # fmt: skip


def nft_tables() -> str:
    return sh("ip", "netns", "exec", RIG_NETNS, "nft", "list", "tables").stdout


def held(controller: Controller, server_id: str) -> dict[str, int]:
    with controller.db.read() as session:
        return {
            "ports": session.scalar(select(func.count()).select_from(m.Port).where(m.Port.device_id == server_id)) or 0,
            "allocations": session.scalar(select(func.count()).select_from(m.Allocation)
                                          .where(m.Allocation.consumer_uuid == server_id)) or 0,
        }  # fmt: skip


def test_a_server_fails_on_the_stopped_host_boots_on_the_alternate_and_deletes_to_nothing(
    server_rig: ServerRig,
) -> None:
    rig, c = server_rig, server_rig.controller
    started = time.monotonic()
    server = c.servers.create(rig.alice, ServerRequest("web-1", flavor=TEST_PREFIX + "tiny", image=TEST_PREFIX + "tiny",
                                                       networks=[rig.network]))  # fmt: skip
    assert server.status == "ACTIVE", server.fault
    ip = server.addresses[next(iter(server.addresses))][0]
    assert ip.startswith(rig.net + ".")
    with c.db.read() as session:
        assert session.get(m.Server, server.id).host == "compute1"  # type: ignore[union-attr]

    # The failure on compute0 is on record, then the clean-up there, then the build on compute1.
    actions = [(a.step, a.status) for a in c.servers.actions(rig.alice, server.id)]
    with c.db.read() as session:
        rows = session.scalars(select(m.ServerAction).where(m.ServerAction.server_id == server.id)
                               .order_by(m.ServerAction.seq)).all()  # fmt: skip
        failed = [(r.host, r.step, r.message) for r in rows if r.status == "failed"]
        built = [(r.host, r.step) for r in rows if r.status in ("ok", "changed")]
    assert failed and failed[0][0] == "compute0" and failed[0][1].startswith("server_boot: "), failed
    assert "libvirt" in failed[0][2].lower(), failed
    assert ("compute1", "server_boot") in built and ("compute1", "dhcp_network") in built, built
    # its port's security group tables (the default group) are on its host; the guest's DHCP passes them
    tables = "table bridge stackling-tap%s" % server.ports[0][:11], "table inet stackling-tap%s" % server.ports[0][:11]
    assert all(table in nft_tables() for table in tables), nft_tables()
    assert actions[-1][1] == "ACTIVE" or ("build", "ACTIVE") in actions, actions

    console = rig.instances / ("%s-console.log" % server.id)
    ready = wait_ready(console)
    assert ready["ip"] == ip + "/24" and ready["hostname"] == "web-1", ready
    print("server ACTIVE and its guest ready in %.0f s" % (time.monotonic() - started))
    assert any(rig.cache.iterdir()), "the image is in the compute's cache"

    c.servers.delete(rig.alice, server.id)
    assert "instance-" + server.id not in domains()
    assert not any(table in nft_tables() for table in tables), nft_tables()
    assert not list(rig.instances.glob(server.id + "*")), list(rig.instances.iterdir())
    assert held(c, server.id) == {"ports": 0, "allocations": 0}
    usage = c.quotas.get_usage(rig.alice, rig.alice.project_id or "")
    assert {k: usage[k].in_use for k in ("instances", "cores", "ram_mb", "ports")} == {
        "instances": 0, "cores": 0, "ram_mb": 0, "ports": 0}  # fmt: skip
    assert c.networking.ports.list(rig.alice, network=rig.network) == []
    assert "qdhcp-" + rig.network not in sh("ip", "netns", "list").stdout
    assert sh("ip", "-n", RIG_NETNS, "link", "show", "dev", "brq" + rig.network[:11], check=False).returncode != 0


def test_a_full_host_refuses_the_next_server_with_the_exhausted_resource_and_keeps_nothing(
    server_rig: ServerRig,
) -> None:
    rig, c = server_rig, server_rig.controller
    c.compute_hosts.apply(rig.admin, "compute0", ComputeHostService.spec(enabled=False, disabled_reason="no libvirtd"))
    room = {"VCPU": {"total": 4}, "MEMORY_MB": {"total": 200}, "DISK_GB": {"total": 50}}  # one 128 MB server
    c.compute_hosts.apply(rig.admin, "compute1", ComputeHostService.spec(inventory=room))
    request = {"flavor": TEST_PREFIX + "tiny", "image": TEST_PREFIX + "tiny", "networks": [rig.network]}
    first = c.servers.create(rig.alice, ServerRequest("fill-1", **request))
    assert first.status == "ACTIVE", first.fault

    second = c.servers.create(rig.alice, ServerRequest("fill-2", **request))
    assert second.status == "ERROR"
    # the tenant learns what ran out, not where: host names are hidden from non-admins
    assert "<host> [MEMORY_MB: 128 wanted, 72 free of 200]" in second.fault, second.fault
    assert "compute1" not in second.fault, second.fault
    seen_by_admin = c.servers.get(rig.admin, second.id).fault
    assert "compute1 [MEMORY_MB: 128 wanted, 72 free of 200]" in seen_by_admin, seen_by_admin
    # the refused server holds no port, allocation or domain; like Nova, an ERROR server counts
    # against the instance quotas until it is deleted
    assert held(c, second.id) == {"ports": 0, "allocations": 0}
    assert "instance-" + second.id not in domains()

    def usage() -> dict[str, int]:
        found = c.quotas.get_usage(rig.alice, rig.alice.project_id or "")
        return {k: found[k].in_use for k in ("instances", "ram_mb", "ports")}

    assert usage() == {"instances": 2, "ram_mb": 256, "ports": 1}
    c.servers.delete(rig.alice, second.id)
    assert usage() == {"instances": 1, "ram_mb": 128, "ports": 1}
    assert [s.name for s in c.servers.list(rig.alice)] == ["fill-1"]


def test_the_server_module_boots_waits_is_idempotent_stops_starts_and_deletes(server_rig: ServerRig) -> None:
    rig = server_rig
    params: dict[str, Any] = {"config": str(rig.config), "auth": rig.auth(), "name": "app-1",
                              "flavor": TEST_PREFIX + "tiny", "image": TEST_PREFIX + "tiny", "networks": [rig.network],
                              "user_data": "#!/bin/sh\necho secret-user-data\n"}  # fmt: skip
    made = run_module("server", **params)
    assert not made["failed"] and made["changed"], made
    server = made["server"]
    assert server["status"] == "ACTIVE" and "host" not in server, server
    assert "secret-user-data" not in str(made)
    again = run_module("server", **params)
    assert not again["failed"] and not again["changed"] and again["server"]["id"] == server["id"], again
    stopped = run_module("server", **dict(params, state="stopped"))
    assert not stopped["failed"] and stopped["changed"] and stopped["server"]["status"] == "SHUTOFF", stopped
    assert domstate(server["id"]) == "shut off"
    assert run_module("server", **dict(params, state="stopped"))["changed"] is False
    running = run_module("server", **dict(params, state="running"))
    assert not running["failed"] and running["changed"] and running["server"]["status"] == "ACTIVE", running
    assert domstate(server["id"]) == "running"
    other = run_module("server", **dict(params, flavor="m1.nope"))
    assert other["failed"] and "flavor" in other["msg"], other
    # other security groups: the port's table on the host is rewritten, the guest keeps running
    from stackling.networking import RuleRequest
    from stackling.networking.port_filter import table_name

    groups = rig.controller.networking.security_groups
    groups.create(rig.alice, "web")
    groups.add_rule(rig.alice, "web", RuleRequest(protocol="tcp", port_range_min=8080))
    table = ["ip", "netns", "exec", RIG_NETNS, "nft", "list", "table", "inet", table_name(server["ports"][0])]
    assert "dport 8080" not in sh(*table).stdout
    regrouped = run_module("server", **dict(params, security_groups=["web"]))
    assert not regrouped["failed"] and regrouped["changed"] and regrouped["server"]["security_groups"] == ["web"]
    assert "tcp dport 8080 accept" in sh(*table).stdout and domstate(server["id"]) == "running"
    assert run_module("server", **dict(params, security_groups=["web"]))["changed"] is False
    info = run_module("server_info", config=str(rig.config), auth=rig.auth(), name="app-1")
    assert [s["id"] for s in info["servers"]] == [server["id"]]
    assert info["servers"][0]["addresses"] == server["addresses"]
    # the dynamic inventory lists the booted server as a host, reachable on its fixed IP
    hosts = listed(inventory(rig.directory, {"auth": rig.auth(), "config": str(rig.config)}))
    assert hosts["_meta"]["hostvars"]["app-1"]["ansible_host"] == next(iter(server["addresses"].values()))[0], hosts
    assert hosts["status_active"]["hosts"] == ["app-1"]
    gone = run_module("server", config=str(rig.config), auth=rig.auth(), name="app-1", state="absent")
    assert not gone["failed"] and gone["changed"], gone
    assert run_module("server", config=str(rig.config), auth=rig.auth(), name="app-1", state="absent")["changed"] is False
    assert "instance-" + server["id"] not in domains()


def test_a_killed_build_is_taken_over_by_the_next_run_and_ends_with_one_of_everything(server_rig: ServerRig) -> None:
    rig, c = server_rig, server_rig.controller
    params: dict[str, Any] = {"config": str(rig.config), "auth": rig.auth(), "name": "killed-1",
                              "flavor": TEST_PREFIX + "tiny", "image": TEST_PREFIX + "tiny", "networks": [rig.network]}
    build = start_module("server", rig.directory / "server-args.json", **params)
    # Kill the whole run (module and the conductor's ansible-playbook) once the guest is defined on
    # compute1: the build is past scheduling, the failure on compute0 and the claims.
    deadline = time.monotonic() + 600
    server_id = None
    while time.monotonic() < deadline and build.poll() is None:
        found = c.servers.find(rig.alice, "killed-1")
        if found is not None:
            server_id = found.id
            if "instance-" + server_id in domains():
                break
        time.sleep(0.5)
    assert build.poll() is None, "the build ended before it could be killed: %s" % (build.communicate(),)
    assert server_id is not None
    os.killpg(build.pid, signal.SIGKILL)
    build.wait(timeout=60)
    left = c.servers.get(rig.alice, server_id)
    assert left.status == "BUILD", "a killed run must leave the server in BUILD, not %s" % left.status

    resumed = run_module("server", **params)
    assert not resumed["failed"] and resumed["changed"], resumed
    assert resumed["server"]["id"] == server_id and resumed["server"]["status"] == "ACTIVE", resumed
    steps = [(a.action, a.step) for a in c.servers.actions(rig.alice, server_id)]
    assert ("resume", "take over") in steps, steps
    # one server, one port, one allocation per resource class; the guest got its one address
    assert [s.id for s in c.servers.list(rig.alice)] == [server_id]
    assert held(c, server_id) == {"ports": 1, "allocations": 3}
    ip = next(iter(resumed["server"]["addresses"].values()))[0]
    assert wait_ready(rig.instances / ("%s-console.log" % server_id))["ip"] == ip + "/24"
    again = run_module("server", **params)
    assert not again["failed"] and not again["changed"], again

    gone = run_module("server", config=str(rig.config), auth=rig.auth(), name="killed-1", state="absent")
    assert not gone["failed"] and gone["changed"], gone
    assert "instance-" + server_id not in domains()
    assert held(c, server_id) == {"ports": 0, "allocations": 0}
    assert not list(rig.instances.glob(server_id + "*")), list(rig.instances.iterdir())


def readies(console: Path, count: int, timeout: float = BOOT_TIMEOUT) -> str:
    """The console once it holds ``count`` STACKLING-GUEST-READY lines (one per boot)."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = console.read_text(errors="replace").replace("\r", "") if console.exists() else ""
        if ("\n" + text).count("\nSTACKLING-GUEST-READY ") >= count:
            return text
        time.sleep(1)
    raise AssertionError("fewer than %d STACKLING-GUEST-READY lines within %d s:\n%s" % (count, timeout, text))


def test_the_server_module_reboots_soft_and_hard_and_the_tenant_reads_the_console(server_rig: ServerRig) -> None:
    rig, c = server_rig, server_rig.controller
    login: dict[str, Any] = {"config": str(rig.config), "auth": rig.auth()}
    # booted on a port the tenant made first (nova's port-id NIC): the guest's DHCP lease is that port's address
    port = c.networking.ports.create(rig.alice, rig.network, name="reboot-port")
    params: dict[str, Any] = dict(login, name="reboot-1", flavor=TEST_PREFIX + "tiny", image=TEST_PREFIX + "tiny",
                                  ports=["reboot-port"])  # fmt: skip
    server = run_module("server", **params)["server"]
    assert server["status"] == "ACTIVE" and server["ports"] == [port.id], server
    console = rig.instances / ("%s-console.log" % server["id"])
    assert ready_line(readies(console, 1))["ip"] == port.fixed_ips[0].ip_address + "/24"  # type: ignore[index]

    def reboots() -> list[tuple[str, str, str]]:
        return [(a.step, a.status, a.message) for a in c.servers.actions(rig.alice, server["id"]) if a.action == "reboot"]

    planned = run_module("server", check=True, **dict(params, state="rebooted"))
    assert not planned["failed"] and planned["changed"] and planned["server"]["status"] == "ACTIVE", planned
    assert reboots() == [], "check mode reboots nothing"

    # soft: the guest obeys the ACPI button (it powers off, QEMU resets it in the same process), so
    # no fallback reset after a minute; the console keeps the first boot and shows the second
    started = time.monotonic()
    soft = run_module("server", **dict(params, state="rebooted"))
    assert not soft["failed"] and soft["changed"] and soft["server"]["status"] == "ACTIVE", soft
    assert time.monotonic() - started < 50, "the guest ignored ACPI: it was reset after the timeout"
    text = readies(console, 2)
    assert text.count("STACKLING-GUEST-SHUTDOWN") == 1, text
    assert domstate(server["id"]) == "running"
    # hard: a reset, no shutdown of the guest first
    hard = run_module("server", **dict(params, state="rebooted", reboot_type="hard"))
    assert not hard["failed"] and hard["changed"] and hard["server"]["status"] == "ACTIVE", hard
    text = readies(console, 3)
    assert text.count("STACKLING-GUEST-SHUTDOWN") == 1, text
    assert domstate(server["id"]) == "running" and c.servers.get(rig.alice, server["id"]).status == "ACTIVE"
    assert reboots() == [("request", "ok", "soft"), ("server_power", "changed", ""),
                         ("request", "ok", "hard"), ("server_power", "changed", "")]  # fmt: skip

    # the tenant reads the console through the module (check mode reads too); lines: the last ones
    log = run_module("server_console_log_info", check=True, **dict(login, name="reboot-1"))
    assert not log["failed"] and not log["changed"], log
    assert log["console_log"].replace("\r", "").count("STACKLING-GUEST-READY ") == 3, log["console_log"]
    tail = run_module("server_console_log_info", **dict(login, name=server["id"], lines=5))["console_log"]
    assert 0 < tail.count("\n") <= 5 and log["console_log"].endswith(tail), tail
    # another project's member finds no such server (its console neither)
    other = c.identity.create_project(rig.admin, TEST_PREFIX + "other-" + server["id"][:6])
    c.identity.create_user(rig.admin, "mallory", password="mallory-" + rig.password)
    c.identity.assign_role(rig.admin, "member", user="mallory", project=other.id)
    mallory = {"username": "mallory", "password": "mallory-" + rig.password, "project": other.name,
               "project_domain": "Default"}  # fmt: skip
    refused = run_module("server_console_log_info", config=str(rig.config), auth=mallory, name=server["id"])
    assert refused["failed"] and "404" in refused["msg"] and "STACKLING" not in str(refused), refused

    gone = run_module("server", **dict(login, name="reboot-1", state="absent"))
    assert not gone["failed"] and gone["changed"], gone
    kept = c.networking.ports.get(rig.alice, port.id)  # the tenant's port outlives its server, unbound
    assert kept.device_id == "" and kept.fixed_ips == port.fixed_ips
    c.networking.ports.delete(rig.alice, port.id)


def dominfo(server_id: str) -> dict[str, str]:
    out = subprocess.run(["virsh", "-c", "qemu:///system", "dominfo", "instance-" + server_id], capture_output=True,
                         text=True, check=True, timeout=60).stdout  # fmt: skip
    return {k.strip(): v.strip() for k, _sep, v in (line.partition(":") for line in out.splitlines()) if v}


def virtual_size(disk: Path) -> int:
    out = subprocess.run(["qemu-img", "info", "-U", "--output=json", str(disk)], capture_output=True, text=True,
                         check=True, timeout=60).stdout  # fmt: skip
    return int(json.loads(out)["virtual-size"])


def test_a_failed_migration_leaves_the_server_running_and_the_module_resizes_and_rebuilds_it(
    server_rig: ServerRig,
) -> None:
    rig, c = server_rig, server_rig.controller
    login: dict[str, Any] = {"config": str(rig.config), "auth": rig.auth()}
    params: dict[str, Any] = dict(login, name="resize-1", flavor=TEST_PREFIX + "tiny", image=TEST_PREFIX + "tiny",
                                  networks=[rig.network])  # fmt: skip
    server = run_module("server", **params)["server"]
    assert server["status"] == "ACTIVE", server
    console = rig.instances / ("%s-console.log" % server["id"])
    ip = ready_line(readies(console, 1))["ip"]  # type: ignore[index]
    ops_password = "ops-" + rig.password
    c.identity.create_user(rig.admin, "ops", password=ops_password)
    c.identity.assign_role(rig.admin, "admin", user="ops", project="admin")
    ops = {"config": str(rig.config), "name": server["id"],
           "auth": {"username": "ops", "password": ops_password, "project": "admin", "project_domain": "Default"}}

    # a tenant may not move it; the admin's move to compute0 (libvirtd stopped) fails there: the
    # server is back on compute1, running again (a second boot on its console), holding its claim only
    refused = run_module("server", **dict(params, host="compute0"))
    assert refused["failed"] and "compute:migrate_server" in refused["msg"], refused
    assert run_module("server", **dict(ops, host="compute1"))["changed"] is False  # it is there already
    failed = run_module("server", **dict(ops, host="compute0"))
    assert failed["failed"] and "could not be migrated, it is back as it was" in failed["msg"], failed
    after = c.servers.get(rig.admin, server["id"])
    assert (after.status, after.host) == ("ACTIVE", "compute1"), after
    assert domstate(server["id"]) == "running"
    assert ready_line(readies(console, 2))["ip"] == ip  # type: ignore[index]
    assert held(c, server["id"]) == {"ports": 1, "allocations": 3}
    with c.db.read() as session:
        assert session.scalar(select(func.count()).select_from(m.Allocation)) == 3, "the migration's claim is gone"

    # the resize: the weighers would prefer compute0, so it is taken out first; then the guest is
    # shut down, grown (2 vCPUs, 192 MiB, a 2 GiB disk) and started again with its address
    c.compute_hosts.apply(rig.admin, "compute0", ComputeHostService.spec(enabled=False, disabled_reason="no libvirtd"))
    wide = TEST_PREFIX + "wide"
    c.flavors.create(rig.admin, wide, vcpus=2, ram_mb=192, disk_gb=2)
    planned = run_module("server", check=True, diff=True, **dict(params, flavor=wide))
    assert planned["changed"] and planned["diff"]["after"]["flavor_id"] == c.flavors.get(rig.alice, wide).id, planned
    assert dominfo(server["id"])["CPU(s)"] == "1", "check mode changes nothing"
    resized = run_module("server", **dict(params, flavor=wide))
    assert not resized["failed"] and resized["changed"] and resized["server"]["status"] == "ACTIVE", resized
    info = dominfo(server["id"])
    assert info["CPU(s)"] == "2" and info["Max memory"] == "%d KiB" % (192 * 1024), info
    assert virtual_size(rig.instances / ("%s-disk.qcow2" % server["id"])) == 2 << 30
    assert ready_line(readies(console, 3))["ip"] == ip  # type: ignore[index]
    assert run_module("server", **dict(params, flavor=wide))["changed"] is False
    usage = c.quotas.get_usage(rig.admin, c.servers.get(rig.admin, server["id"]).project_id)
    assert (usage["cores"].in_use, usage["ram_mb"].in_use) == (2, 192)
    with c.db.read() as session:
        held_now = dict(session.execute(select(m.Allocation.resource_class, m.Allocation.used)
                                        .where(m.Allocation.consumer_uuid == server["id"])).all())  # fmt: skip
    assert held_now == {"VCPU": 2, "MEMORY_MB": 192, "DISK_GB": 2}

    # a rebuild from another image: refused without rebuild=true; then a new overlay on the new
    # image's cached base, booted again with the same address and size
    second = c.images.create(rig.alice, TEST_PREFIX + "tiny-2", disk_format="qcow2", filename=tiny_image())
    typo = run_module("server", **dict(params, flavor=wide, image=second.id))
    assert typo["failed"] and "rebuild=true" in typo["msg"], typo
    rebuilt = run_module("server", **dict(params, flavor=wide, image=second.id, rebuild=True))
    assert not rebuilt["failed"] and rebuilt["changed"] and rebuilt["server"]["image_id"] == second.id, rebuilt
    disk = rig.instances / ("%s-disk.qcow2" % server["id"])
    info_json = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", str(disk)], capture_output=True,
                                          text=True, check=True, timeout=60).stdout)  # fmt: skip
    assert info_json["backing-filename"] == str(rig.cache / second.id) and info_json["virtual-size"] == 2 << 30
    assert ready_line(readies(console, 4))["ip"] == ip  # type: ignore[index]
    assert run_module("server", **dict(params, flavor=wide, image=second.id, rebuild=True))["changed"] is False

    # a snapshot of the running guest (paused while its disk is copied) is an image a new server boots from
    snap = run_module("image", **dict(login, name="resize-1-snap", server="resize-1"))
    assert not snap["failed"] and snap["changed"], snap
    assert snap["image"]["properties"]["image_type"] == "snapshot" and snap["image"]["min_disk"] == 2, snap
    assert snap["image"]["properties"]["base_image_ref"] == second.id
    assert domstate(server["id"]) == "running"
    assert run_module("image", **dict(login, name="resize-1-snap", server="resize-1"))["changed"] is False
    clone = run_module("server", **dict(login, name="clone-1", flavor=wide, image="resize-1-snap",
                                        networks=[rig.network]))  # fmt: skip
    assert not clone["failed"] and clone["server"]["status"] == "ACTIVE", clone
    readies(rig.instances / ("%s-console.log" % clone["server"]["id"]), 1)
    assert run_module("server", **dict(login, name="clone-1", state="absent"))["changed"]
    gone = run_module("server", **dict(login, name="resize-1", state="absent"))
    assert not gone["failed"] and gone["changed"], gone
