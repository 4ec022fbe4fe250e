"""stackling.cloud.libvirt_disk against the rig's libvirtd, on a defined (shut off) domain: the
disk goes into the persistent definition, a re-run and check mode change nothing, another source on
the same target fails naming ``target``, and it goes again. Hot-plugging into a running guest (and
the guest seeing the disk) is tested in test_cloud_volumes.py."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.functional.domain_support import destroy_domain, make_qcow2, qemu_workdir
from tests.support import TEST_PREFIX
from tests.support.collection import run_module


@pytest.fixture()
def workdir() -> Iterator[Path]:
    path = qemu_workdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture()
def domain(libvirt_conn: Any, workdir: Path) -> Iterator[str]:
    name = TEST_PREFIX + "disk-" + secrets.token_hex(4)
    root = make_qcow2(workdir / "root.qcow2")
    made = run_module("libvirt_domain", name=name, memory_mb=128, vcpus=1, state="shutdown",
                      disks=[{"file": str(root), "format": "qcow2"}])  # fmt: skip
    assert not made.get("failed"), made
    yield name
    destroy_domain(libvirt_conn, name)


def test_attach_is_idempotent_refuses_another_source_and_detaches(domain: str, workdir: Path, libvirt_conn: Any) -> None:
    volume = workdir / "volume.img"
    volume.write_bytes(b"\0" * 1024 * 1024)
    other = workdir / "other.img"
    other.write_bytes(b"\0" * 1024 * 1024)
    params = {"domain": domain, "target": "vdc", "path": str(volume), "serial": "volume-1"}

    planned = run_module("libvirt_disk", check=True, diff=True, **params)
    assert planned["changed"] and planned["actions"] == ["attach config"], planned
    assert planned["diff"] == {"before": {"config": None}, "after": {"config": {"file": str(volume)}}}
    assert "vdc" not in libvirt_conn.lookupByName(domain).XMLDesc(2), "check mode changes nothing"
    made = run_module("libvirt_disk", **params)
    assert made["changed"] and made["disk"] == {"config": {"file": str(volume)}, "live": None}, made
    xml = libvirt_conn.lookupByName(domain).XMLDesc(2)
    assert "<serial>volume-1</serial>" in xml and str(volume) in xml
    assert not run_module("libvirt_disk", **params)["changed"]

    clash = run_module("libvirt_disk", **dict(params, path=str(other)))
    assert clash["failed"] and clash["msg"].startswith("target: vdc of domain"), clash
    bad = run_module("libvirt_disk", **dict(params, target="sda"))
    assert bad["failed"] and bad["msg"].startswith("target:"), bad

    gone = run_module("libvirt_disk", domain=domain, target="vdc", state="absent")
    assert gone["changed"] and gone["actions"] == ["detach config"], gone
    assert str(volume) not in libvirt_conn.lookupByName(domain).XMLDesc(2)
    assert not run_module("libvirt_disk", domain=domain, target="vdc", state="absent")["changed"]
    missing = run_module("libvirt_disk", domain=domain + "-nope", target="vdc", state="absent")
    assert not missing.get("failed") and not missing["changed"], "detaching from a deleted server changes nothing"
