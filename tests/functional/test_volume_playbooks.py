"""The volume node playbooks (playbooks/node/volume_*.yml) run by the conductor's runner against
this machine: the file backend end to end (create from an image, extend, snapshot, create from the
snapshot, export over iSCSI with tgt and read the LUN with QEMU's client, delete), and the lvm
backend on a throw-away VG over a loop device with activation off (no device-mapper here: LVs
are made, grown and removed in the VG's metadata; writing data into them and LVM snapshots are
skipped with that reason). iSCSI stays on 127.0.0.1 with a tgtd of its own control port."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackling.conductor import NodeJob, PlaybookRunner
from tests.functional.test_iscsi_target import free_tcp_port, stop_tgtd, tgtadm, unused_control_port
from tests.support.collection import run_module
from tests.support.conductor import local_runner
from tests.support.lvm import NEEDS_DM, LvmSandbox, device_mapper_available, lv_rows, lvm, sandbox  # noqa: F401

GIB = 1 << 30
MARK = b"STACKLING-VOLUME-DATA"
PREFIX = "iqn.2024-01.org.stackling"


def settings(path: Path, driver: str, portal: str = "", vg: str = "", directory: str = "") -> Path:
    path.write_text(yaml.safe_dump({
        "backend": "st1@" + driver, "driver": driver, "lvm": {"vg": vg, "activation": False},
        "file": {"directory": directory}, "iscsi": {"iqn_prefix": PREFIX, "portal": portal}}))  # fmt: skip
    return path


def run(runner: PlaybookRunner, playbook: str, **extravars: Any) -> bool:
    """Run the playbook on st1; returns whether it changed anything (it must succeed)."""
    result = runner.run(NodeJob(playbook, "st1", extravars))
    assert result.ok, result.failure
    return result.changed


@pytest.fixture()
def tgt() -> Iterator[tuple[int, str]]:
    port = unused_control_port()
    try:
        yield port, "127.0.0.1:%d" % free_tcp_port()
    finally:
        stop_tgtd(port)


def test_file_backend_from_image_extend_snapshot_copy_export_and_delete(tmp_path: Path, tgt: tuple[int, str]) -> None:
    control_port, portal = tgt
    volumes = tmp_path / "volumes"
    config = settings(tmp_path / "storage.yaml", "file", portal=portal, directory=str(volumes))
    runner = local_runner(tmp_path, {"st1": {"stackling_storage_config": str(config),
                                             "stackling_tgt_control_port": str(control_port)}})  # fmt: skip
    image = tmp_path / "image.raw"
    image.write_bytes(MARK + b"\0" * (1 << 20))
    vol, snap, copy = (secrets.token_hex(8) for _ in range(3))
    path = volumes / ("volume-%s.img" % vol)

    source = {"image": {"path": str(image), "format": "raw"}}
    assert run(runner, "volume_create", volume={"id": vol, "size_gb": 1}, source=source)
    assert path.stat().st_size == GIB and path.read_bytes()[: len(MARK)] == MARK
    assert path.stat().st_blocks * 512 < 64 << 20, "the volume file is sparse"
    assert not run(runner, "volume_create", volume={"id": vol, "size_gb": 1}, source=source), "a re-run changes nothing"
    assert run(runner, "volume_extend", volume={"id": vol, "size_gb": 2}) and path.stat().st_size == 2 * GIB
    assert not run(runner, "volume_extend", volume={"id": vol, "size_gb": 2})

    assert run(runner, "volume_snapshot", volume={"id": vol, "size_gb": 2}, snapshot={"id": snap, "state": "present"})
    assert not run(runner, "volume_snapshot", volume={"id": vol, "size_gb": 2}, snapshot={"id": snap})
    assert run(runner, "volume_create", volume={"id": copy, "size_gb": 3}, source={"snapshot_id": snap})
    copied = volumes / ("volume-%s.img" % copy)
    assert copied.read_bytes()[: len(MARK)] == MARK and copied.stat().st_size == 3 * GIB

    iqn, initiator = "%s:volume-%s" % (PREFIX, vol), PREFIX + ":compute-cn1"
    export = {"iqn": iqn, "initiators": [initiator], "state": "present"}
    assert run(runner, "volume_export", volume={"id": vol}, export=export)
    assert not run(runner, "volume_export", volume={"id": vol}, export=export)
    info = subprocess.run(["qemu-img", "info", "--output", "json", "--image-opts",
                           "driver=iscsi,transport=tcp,portal=%s,target=%s,lun=1,initiator-name=%s"
                           % (portal, iqn, initiator)], capture_output=True, text=True, timeout=60, check=False)
    if "Unknown driver 'iscsi'" in info.stderr or "Unknown protocol" in info.stderr:
        pytest.skip("QEMU's iSCSI client is not installed (Debian package qemu-block-extra)")
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["virtual-size"] == 2 * GIB, "QEMU reads the exported volume"
    assert run(runner, "volume_export", volume={"id": vol}, export=dict(export, state="absent"))

    assert run(runner, "volume_snapshot", volume={"id": vol, "size_gb": 2}, snapshot={"id": snap, "state": "absent"})
    for gone in (vol, copy):
        assert run(runner, "volume_delete", volume={"id": gone})
        assert not run(runner, "volume_delete", volume={"id": gone})
    assert list(volumes.iterdir()) == [], "no volume, snapshot or partial copy is left"
    assert iqn not in tgtadm(control_port, "--mode", "target", "--op", "show").stdout


def test_lvm_backend_create_extend_delete_in_the_vg_metadata(tmp_path: Path, sandbox: LvmSandbox) -> None:  # noqa: F811
    lvm("vgcreate", sandbox.vg, sandbox.loop(3200))
    config = settings(tmp_path / "storage.yaml", "lvm", vg=sandbox.vg)
    runner = local_runner(tmp_path, {"st1": {"stackling_storage_config": str(config)}})
    vol = secrets.token_hex(8)
    lv = "volume-" + vol
    assert run(runner, "volume_create", volume={"id": vol, "size_gb": 1})
    assert int(lv_rows(sandbox.vg)[lv]["lv_size"]) == GIB
    assert not run(runner, "volume_create", volume={"id": vol, "size_gb": 1})
    assert run(runner, "volume_extend", volume={"id": vol, "size_gb": 2})
    assert int(lv_rows(sandbox.vg)[lv]["lv_size"]) == 2 * GIB
    # without activation the LV has no device: exporting it is refused, naming why and the way out
    export = {"iqn": PREFIX + ":volume-" + vol, "initiators": ["iqn.2024-01.org.stackling:test"], "state": "present"}
    refused = runner.run(NodeJob("volume_export", "st1", {"volume": {"id": vol}, "export": export}))
    assert not refused.ok and "LVM activation is off" in refused.failure, refused.failure
    assert "storage_driver: file" in refused.failure, refused.failure
    assert run(runner, "volume_delete", volume={"id": vol}) and lv not in lv_rows(sandbox.vg)
    assert not run(runner, "volume_delete", volume={"id": vol})


@pytest.mark.skipif(not device_mapper_available(), reason=NEEDS_DM + ": an LV cannot be opened to write an image "
                    "into it, and an LVM snapshot cannot be made")
def test_lvm_backend_image_data_and_snapshots(tmp_path: Path, sandbox: LvmSandbox) -> None:  # noqa: F811
    lvm("vgcreate", sandbox.vg, sandbox.loop(3200))
    config = settings(tmp_path / "storage.yaml", "lvm", vg=sandbox.vg)
    config.write_text(config.read_text().replace("activation: false", "activation: true"))
    runner = local_runner(tmp_path, {"st1": {"stackling_storage_config": str(config)}})
    image = tmp_path / "image.raw"
    image.write_bytes(MARK + b"\0" * (1 << 20))
    vol, snap, copy = (secrets.token_hex(8) for _ in range(3))
    assert run(runner, "volume_create", volume={"id": vol, "size_gb": 1},
               source={"image": {"path": str(image), "format": "raw"}})
    assert Path("/dev/%s/volume-%s" % (sandbox.vg, vol)).read_bytes()[: len(MARK)] == MARK
    assert run(runner, "volume_snapshot", volume={"id": vol, "size_gb": 1}, snapshot={"id": snap})
    assert run(runner, "volume_create", volume={"id": copy, "size_gb": 1}, source={"snapshot_id": snap})
    assert Path("/dev/%s/volume-%s" % (sandbox.vg, copy)).read_bytes()[: len(MARK)] == MARK
    run(runner, "volume_snapshot", volume={"id": vol, "size_gb": 1}, snapshot={"id": snap, "state": "absent"})
    for gone in (vol, copy):
        run(runner, "volume_delete", volume={"id": gone})


def test_attach_and_detach_local_and_over_iscsi_into_a_defined_domain(tmp_path: Path, libvirt_conn: Any) -> None:
    """volume_attach.yml / volume_detach.yml wire the right source into the domain's definition
    (a shut-off domain: no guest needs to boot; the running case is test_cloud_volumes.py)."""
    from tests.functional.domain_support import destroy_domain, make_qcow2, qemu_workdir

    work = qemu_workdir()
    server = secrets.token_hex(8)
    domain = "instance-" + server
    try:
        made = run_module("libvirt_domain", name=domain, memory_mb=128, vcpus=1, state="shutdown",
                          disks=[{"file": str(make_qcow2(work / "root.qcow2")), "format": "qcow2"}])  # fmt: skip
        assert not made.get("failed"), made
        config = settings(tmp_path / "storage.yaml", "file", directory=str(work))
        runner = local_runner(tmp_path, {"st1": {"stackling_storage_config": str(config)}})
        vol = secrets.token_hex(8)
        assert run(runner, "volume_create", volume={"id": vol, "size_gb": 1})
        local = {"server": {"uuid": server}, "volume": {"id": vol}, "device": "vdc", "connection": {"mode": "local"}}
        assert run(runner, "volume_attach", **local) and not run(runner, "volume_attach", **local)
        assert "%s/volume-%s.img" % (work, vol) in libvirt_conn.lookupByName(domain).XMLDesc(2)
        iqn = "%s:volume-%s" % (PREFIX, vol)
        remote = {"server": {"uuid": server}, "volume": {"id": vol}, "device": "vdd",
                  "connection": {"mode": "iscsi", "host": "192.0.2.10", "port": 3260, "iqn": iqn, "lun": 1,
                                 "initiator": PREFIX + ":compute-cn1"}}  # fmt: skip
        assert run(runner, "volume_attach", **remote)
        xml = libvirt_conn.lookupByName(domain).XMLDesc(2)
        assert "protocol='iscsi' name='%s/1'" % iqn in xml and "<host name='192.0.2.10' port='3260'/>" in xml
        assert "<iqn name='%s:compute-cn1'/>" % PREFIX in xml and "<serial>%s</serial>" % vol[:20] in xml
        for device in ("vdc", "vdd"):
            detach = {"server": {"uuid": server}, "volume": {"id": vol}, "device": device}
            assert run(runner, "volume_detach", **detach) and not run(runner, "volume_detach", **detach)
        assert "volume-" not in libvirt_conn.lookupByName(domain).XMLDesc(2)
    finally:
        destroy_domain(libvirt_conn, domain)
        shutil.rmtree(work, ignore_errors=True)
