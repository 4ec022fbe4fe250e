"""stackling.cloud.libvirt_domain_info against the rig's real libvirtd (netns stk-rig)."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.stackling.cloud.plugins.module_utils._libvirt_domain import console_tail
from tests.conftest import TEST_PREFIX
from tests.functional.domain_support import destroy_domain, make_qcow2, qemu_workdir, run
from tests.support.rig import netns_exec


def ok(result: dict[str, Any]) -> dict[str, Any]:
    assert not result["failed"], result.get("msg")
    return result


@pytest.fixture(scope="module")
def two_domains(libvirt_rig: str) -> Any:
    """A running domain on a bridge (with a fixed tap name) and a defined, stopped one with metadata.

    Module-scoped: defining a domain is slow in the rig (libvirtd re-probes QEMU each time).
    """
    import libvirt

    workdir = qemu_workdir()
    token = secrets.token_hex(3)
    names = [TEST_PREFIX + "info-a-" + token, TEST_PREFIX + "info-b-" + token]
    bridge, tap = "stkbr" + token, "stktap" + token
    netns_exec("ip", "link", "add", bridge, "type", "bridge")
    common = {"memory_mb": 128, "vcpus": 1, "shutdown_timeout": 0}
    try:
        running = ok(run("libvirt_domain", name=names[0], state="running",
                         disks=[{"file": str(make_qcow2(workdir / "a.qcow2")), "format": "qcow2"}],
                         interfaces=[{"bridge": bridge, "target": tap}], **common))
        stopped = ok(run("libvirt_domain", name=names[1], autostart=True, metadata={"project_id": "p<1>"},
                         disks=[{"file": str(make_qcow2(workdir / "b.qcow2")), "format": "qcow2"}], **common))
        yield {"names": names, "bridge": bridge, "tap": tap, "facts": [running["domain"], stopped["domain"]]}
    finally:
        conn = libvirt.open(libvirt_rig)
        for name in names:
            destroy_domain(conn, name)
        conn.close()
        netns_exec("ip", "link", "del", bridge)
        shutil.rmtree(workdir, ignore_errors=True)


def test_one_domain(libvirt_conn: Any, two_domains: dict[str, Any]) -> None:
    name = two_domains["names"][0]
    result = ok(run("libvirt_domain_info", name=name))
    assert not result["changed"] and len(result["domains"]) == 1
    facts = result["domains"][0]
    assert facts == two_domains["facts"][0]  # the same parser as libvirt_domain's return value
    assert facts["uuid"] == libvirt_conn.lookupByName(name).UUIDString()
    assert facts["state"] == "running" and facts["vcpus"] == 1 and facts["memory_mb"] == 128
    nic = facts["interfaces"][0]
    assert nic["bridge"] == two_domains["bridge"] and nic["target"] == two_domains["tap"]
    assert nic["mac"].startswith("52:54:00:") and nic["network"] is None
    assert facts["disks"][0]["target"] == "vda" and facts["disks"][0]["format"] == "qcow2"


def test_all_domains_and_missing_one(two_domains: dict[str, Any]) -> None:
    listed = ok(run("libvirt_domain_info", check=True))["domains"]
    names = [facts["name"] for facts in listed]
    assert names == sorted(names) and set(two_domains["names"]) <= set(names)
    stopped = next(facts for facts in listed if facts["name"] == two_domains["names"][1])
    assert stopped["state"] == "shutdown" and stopped["autostart"] is True and stopped["persistent"] is True
    assert stopped["metadata"] == {"project_id": "p<1>"}
    assert ok(run("libvirt_domain_info", name=TEST_PREFIX + "no-such-domain"))["domains"] == []


def test_console_tail_reads_the_end_leniently(tmp_path: Path) -> None:
    log = tmp_path / "console.log"
    assert console_tail(str(log), 100) == "" and console_tail("", 100) == ""  # not written yet / no console
    log.write_bytes(b"boot\r\nREADY \xff\xfe\r\n\x1b[6n")
    assert console_tail(str(log), 1000) == "boot\r\nREADY \ufffd\ufffd\r\n\x1b[6n"
    assert console_tail(str(log), 6) == "\r\n\x1b[6n"


def test_console_output_only_when_asked(two_domains: dict[str, Any]) -> None:
    name = two_domains["names"][1]  # no console file: empty
    assert "console_output" not in ok(run("libvirt_domain_info", name=name))["domains"][0]
    assert ok(run("libvirt_domain_info", name=name, console_output_bytes=1024))["domains"][0]["console_output"] == ""
    bad = run("libvirt_domain_info", name=name, console_output_bytes=-1)
    assert bad["failed"] and bad["msg"].startswith("console_output_bytes:"), bad


def test_libvirtd_down(libvirt_rig: str) -> None:
    result = run("libvirt_domain_info", uri="qemu:///system?socket=/nonexistent/sock")
    assert result["failed"] and "cannot connect to libvirt" in result["msg"]

