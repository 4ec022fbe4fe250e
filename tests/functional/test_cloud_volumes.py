"""Volumes end to end on this machine: a real controller (temporary SQLite store) whose conductor
runs the collection's node playbooks against the libvirt rig. ``compute1`` (this machine, local
connection, guests in the rig's namespace) is the compute host and the storage host of a ``file``
backend (``compute1@file``, volume type ``local``): its attachments are local (the all-in-one
path). ``storage1`` (this machine too, backend ``storage1@file``, volume type ``remote``) exports
its volumes with a tgtd listening on 127.0.0.1 inside the rig's namespace, so the guest's QEMU
reaches them with its own iSCSI client, as a compute host reaches another storage host.

The tenant makes a volume, snapshots it, extends it, boots a server from the tiny guest image and
attaches the volume through the cloud modules; the guest's user-data script waits for the new disk
and prints its serial and size on the console, then waits for it to go away again. Deleting
everything leaves no file, iSCSI target, allocation or quota usage.
"""

from __future__ import annotations

import re
import secrets
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from stackling.compute import ComputeHostService
from stackling.compute.servers import ServerRequest
from stackling.context import Context
from stackling.controller import Controller
from stackling.db import models as m
from stackling.identity.auth import ScopeRequest
from tests.functional.cloud_support import rig_controller
from tests.support import TEST_PREFIX
from tests.support.collection import run_module
from tests.support.guest_image import tiny_image
from tests.functional.test_iscsi_target import free_tcp_port, stop_tgtd, tgtadm, unused_control_port
from tests.support.rig import NETNS as RIG_NETNS
from tests.support.rig import netns_exec

pytestmark = pytest.mark.slow
GIB = 1 << 30
WAIT = 300.0
HOST = {"VCPU": {"total": 4}, "MEMORY_MB": {"total": 4096}, "DISK_GB": {"total": 50}}
# Runs in the guest after its first lease: reports the hot-plugged disk, then its removal.
WATCH_VDC = """#!/bin/sh
i=0; while [ ! -e /sys/block/vdc ] && [ $i -lt 200 ]; do sleep 1; i=$((i+1)); done
echo "STKVOL-ATTACHED serial=$(cat /sys/block/vdc/serial 2>/dev/null) sectors=$(cat /sys/block/vdc/size 2>/dev/null)" >/dev/console
i=0; while [ -e /sys/block/vdc ] && [ $i -lt 90 ]; do sleep 1; i=$((i+1)); done
[ -e /sys/block/vdc ] || echo "STKVOL-DETACHED" >/dev/console
"""


@dataclass
class VolumeRig:
    config: Path
    controller: Controller
    alice: Context
    admin: Context
    auth: dict[str, str]
    bob_auth: dict[str, str]
    volumes: Path
    instances: Path
    tgt_control_port: int

    def run(self, module: str, auth: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
        return run_module(module, config=str(self.config), auth=auth or self.auth, **params)


@pytest.fixture()
def volume_rig(tmp_path: Path, libvirt_rig: str) -> Iterator[VolumeRig]:
    token = secrets.token_hex(3)
    instances = Path("/var/lib/stackling/stktest-inst-" + token)
    volumes = Path("/var/lib/stackling/stktest-vol-" + token)
    cache = Path("/var/lib/stackling/stktest-cache-" + token)  # QEMU (not root) must reach it: not under /tmp
    storage = tmp_path / "storage.yaml"
    storage.write_text(yaml.safe_dump({"backend": "compute1@file", "driver": "file", "file": {"directory": str(volumes)},
                                       "iscsi": {"iqn_prefix": "iqn.2024-01.org.stackling", "portal": ""}}))
    # storage1: a second storage host (this machine too) whose tgtd listens on 127.0.0.1 inside the
    # rig's namespace, where the guests' QEMU runs: its volumes reach compute1 over iSCSI.
    control_port, portal = unused_control_port(), "127.0.0.1:%d" % free_tcp_port()
    netns_exec("tgtd", "-C", str(control_port), "--pid-file", "/run/stackling-tgtd.%d.pid" % control_port,
               "--iscsi", "portal=" + portal)
    storage1 = tmp_path / "storage1.yaml"
    storage1.write_text(yaml.safe_dump({"backend": "storage1@file", "driver": "file",
                                        "file": {"directory": str(volumes) + "-s1"},
                                        "iscsi": {"iqn_prefix": "iqn.2024-01.org.stackling", "portal": portal}}))
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "stackling_instances_dir": str(instances), "stackling_instances_pool": TEST_PREFIX + "inst-" + token,
            "stackling_netns": RIG_NETNS, "stackling_storage_config": str(storage)}
    inventory = tmp_path / "hosts.yml"
    remote = dict(host, stackling_storage_config=str(storage1), stackling_tgt_control_port=control_port,
                  stackling_iscsi_portal=portal)
    inventory.write_text(yaml.safe_dump({"all": {"children": {
        "compute": {"hosts": {"compute1": host}},
        "storage": {"hosts": {"compute1": {}, "storage1": remote}}}}}))  # fmt: skip
    config, c, admin = rig_controller(tmp_path, inventory, cache)
    auths = {}
    for user in ("alice", "bob"):
        project = c.identity.create_project(admin, TEST_PREFIX + "vol-%s-%s" % (user, token))
        password = user + "-" + secrets.token_urlsafe(9)
        c.identity.create_user(admin, user, password=password)
        c.identity.assign_role(admin, "member", user=user, project=project.id)
        auths[user] = {"username": user, "password": password, "project": project.name, "project_domain": "Default"}
    alice = c.tokens.validate(c.auth.password("alice", auths["alice"]["password"],
                                              ScopeRequest(project=auths["alice"]["project"],
                                                           project_domain="Default")).token)  # fmt: skip
    c.compute_hosts.apply(admin, "compute1", ComputeHostService.spec(inventory=HOST))
    c.storage_backends.apply(admin, "compute1@file", c.storage_backends.spec(
        driver="file", total_capacity_gb=50, thin_provisioning=True))  # fmt: skip
    c.storage_backends.apply(admin, "storage1@file", c.storage_backends.spec(
        driver="file", total_capacity_gb=50, thin_provisioning=True))  # fmt: skip
    c.volume_types.apply(admin, "local", backend="compute1@*")
    c.volume_types.apply(admin, "remote", backend="storage1@*")
    c.flavors.create(admin, TEST_PREFIX + "tiny", vcpus=1, ram_mb=128, disk_gb=1)
    c.images.create(alice, TEST_PREFIX + "tiny", disk_format="qcow2", filename=tiny_image())
    rig = VolumeRig(config, c, alice, admin, auths["alice"], auths["bob"], volumes, instances, control_port)
    yield rig
    for server in c.servers.list(alice):  # whatever a failed test left
        try:
            c.servers.delete(alice, server.id)
        except Exception as exc:  # noqa: BLE001
            print("clean-up: server %s: %s" % (server.id, exc))
    for snapshot in c.volume_snapshots.list(alice):
        c.volume_snapshots.delete(alice, snapshot.id)
    for volume in c.volumes.list(alice):
        c.volumes.delete(alice, volume.id)
    run_module("libvirt_pool", name=host["stackling_instances_pool"], state="absent")
    shutil.rmtree(instances, ignore_errors=True)
    shutil.rmtree(volumes, ignore_errors=True)
    shutil.rmtree(str(volumes) + "-s1", ignore_errors=True)
    stop_tgtd(control_port)
    shutil.rmtree(cache, ignore_errors=True)
    c.close()


def console_line(console: Path, marker: str) -> str:
    deadline = time.monotonic() + WAIT
    text = ""
    while time.monotonic() < deadline:
        text = console.read_text(errors="replace") if console.exists() else ""
        found = re.search(r"^%s.*$" % re.escape(marker), text, re.MULTILINE)
        if found:
            return found.group(0).strip()
        time.sleep(1)
    raise AssertionError("no %s on the console within %d s:\n%s" % (marker, WAIT, text[-3000:]))


def test_a_volume_is_made_snapshotted_extended_attached_seen_by_the_guest_detached_and_deleted(
    volume_rig: VolumeRig,
) -> None:
    rig, c = volume_rig, volume_rig.controller
    planned = rig.run("volume", check=True, diff=True, name="data", size=1)
    assert planned["changed"] and planned["volume"]["id"] is None and c.volumes.list(rig.alice) == []
    made = rig.run("volume", name="data", size=1, volume_type="local")
    assert not made.get("failed") and made["changed"] and made["volume"]["status"] == "available", made
    volume = made["volume"]
    assert "backend" not in volume, "tenants do not see the backend"
    path = rig.volumes / ("volume-%s.img" % volume["id"])
    assert path.stat().st_size == GIB
    assert not rig.run("volume", name="data", size=1)["changed"]
    shrink = rig.run("volume", name="data", size=0)
    assert shrink["failed"] and "size" in shrink["msg"], shrink

    snap = rig.run("volume_snapshot", name="data-snap", volume="data")
    assert snap["changed"] and snap["snapshot"]["status"] == "available", snap
    assert (rig.volumes / ("snapshot-%s.img" % snap["snapshot"]["id"])).exists()
    assert rig.run("volume_snapshot_info", volume="data")["snapshots"][0]["id"] == snap["snapshot"]["id"]
    grown = rig.run("volume", diff=True, name="data", size=2)
    assert grown["changed"] and grown["volume"]["size"] == 2 and grown["diff"]["after"] == {"size": 2}, grown
    assert path.stat().st_size == 2 * GIB
    assert rig.run("volume_info", auth=rig.bob_auth)["volumes"] == [], "another project sees nothing"
    assert rig.run("volume_info", auth=rig.bob_auth, name=volume["id"])["volumes"] == []

    server = c.servers.create(rig.alice, ServerRequest("vm-1", flavor=TEST_PREFIX + "tiny", image=TEST_PREFIX + "tiny",
                                                       user_data=WATCH_VDC))  # fmt: skip
    assert server.status == "ACTIVE", server.fault
    attached = rig.run("volume_attachment", volume="data", server="vm-1")
    assert not attached.get("failed") and attached["changed"], attached
    assert attached["attachment"]["device"] == "vdc" and attached["volume"]["status"] == "in-use"
    assert not rig.run("volume_attachment", volume="data", server="vm-1")["changed"]
    info = rig.run("volume_info", name="data")["volumes"][0]
    assert info["attachments"] == [{"server_id": server.id, "device": "vdc"}]
    blocked = rig.run("volume", name="data", state="absent")
    assert blocked["failed"] and "detach it first" in blocked["msg"], blocked

    console = rig.instances / ("%s-console.log" % server.id)
    seen = console_line(console, "STKVOL-ATTACHED")
    assert seen == "STKVOL-ATTACHED serial=%s sectors=%d" % (volume["id"][:20], 2 * GIB // 512), seen

    detached = rig.run("volume_attachment", volume="data", server="vm-1", state="absent")
    assert not detached.get("failed") and detached["changed"] and detached["volume"]["status"] == "available", detached
    assert console_line(console, "STKVOL-DETACHED") == "STKVOL-DETACHED"

    c.servers.delete(rig.alice, server.id)
    assert rig.run("volume_snapshot", name="data-snap", state="absent")["changed"]
    assert rig.run("volume", name="data", state="absent")["changed"]
    assert not rig.run("volume", name="data", state="absent")["changed"]
    assert list(rig.volumes.iterdir()) == [], "no volume or snapshot file is left"
    usage = c.quotas.get_usage(rig.alice, rig.alice.project_id or "")
    assert {k: usage[k].in_use for k in ("volumes", "gigabytes", "snapshots")} == {
        "volumes": 0, "gigabytes": 0, "snapshots": 0}  # fmt: skip
    with c.db.read() as session:
        assert session.scalar(select(func.count()).select_from(m.Allocation)) == 0
        assert session.scalar(select(func.count()).select_from(m.VolumeAttachment)) == 0


def test_a_volume_on_another_storage_host_reaches_the_guest_over_iscsi(volume_rig: VolumeRig) -> None:
    rig, c = volume_rig, volume_rig.controller
    made = rig.run("volume", name="far", size=1, volume_type="remote")
    assert not made.get("failed") and made["volume"]["status"] == "available", made
    volume = made["volume"]
    server = c.servers.create(rig.alice, ServerRequest("vm-2", flavor=TEST_PREFIX + "tiny", image=TEST_PREFIX + "tiny",
                                                       user_data=WATCH_VDC))  # fmt: skip
    assert server.status == "ACTIVE", server.fault
    attached = rig.run("volume_attachment", volume="far", server="vm-2")
    assert not attached.get("failed") and attached["attachment"]["device"] == "vdc", attached
    iqn = "iqn.2024-01.org.stackling:volume-" + volume["id"]
    targets = tgtadm(rig.tgt_control_port, "--mode", "target", "--op", "show").stdout
    assert iqn in targets and "iqn.2024-01.org.stackling:compute-compute1" in targets, targets
    console = rig.instances / ("%s-console.log" % server.id)
    seen = console_line(console, "STKVOL-ATTACHED")
    assert seen == "STKVOL-ATTACHED serial=%s sectors=%d" % (volume["id"][:20], GIB // 512), seen

    detached = rig.run("volume_attachment", volume="far", server="vm-2", state="absent")
    assert not detached.get("failed") and detached["changed"], detached
    assert console_line(console, "STKVOL-DETACHED") == "STKVOL-DETACHED"
    assert iqn not in tgtadm(rig.tgt_control_port, "--mode", "target", "--op", "show").stdout, "the export is gone"
    c.servers.delete(rig.alice, server.id)
    assert rig.run("volume", name="far", state="absent")["changed"]
    assert list(Path(str(rig.volumes) + "-s1").iterdir()) == []
