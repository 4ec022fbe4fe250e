"""stackling.cloud.libvirt_domain against the rig's real libvirtd (guests, taps and bridges live in netns stk-rig).

The first tests exercise the pure spec/XML helpers (no libvirtd needed); the rest run the module as a
separate process and check the outcome through libvirt-python. Guests get an empty qcow2 disk: they
never boot an OS, which is enough for definitions and run states (and makes the guest ignore ACPI,
so shutdown has to fall back to powering off).
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.stackling.cloud.plugins.module_utils import _libvirt_lifecycle as lifecycle
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt_domain import (
    desired_spec, normalise_disks, normalise_interfaces, normalise_metadata, start_error_field,
)
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt_domain_xml import (
    METADATA_NS, build_domain, machine_aliases, parse_domain, stamp_raw_xml,
)
from tests.conftest import TEST_PREFIX
from tests.functional.domain_support import (
    destroy_domain, destroy_network, isolated_network_xml, make_qcow2, qemu_workdir, run,
)
from tests.support.rig import netns_exec

NO_LIBVIRTD = "qemu:///system?socket=/nonexistent/sock"


# ------------------------------------------------------------------ pure helpers (no libvirtd)


def test_disks_get_defaults_and_free_targets() -> None:
    disks = normalise_disks([
        {"file": "/img/a.qcow2", "format": "qcow2"},
        {"file": "/img/cidata.iso", "device": "cdrom"},
        {"file": "/img/b.raw", "target": "vda"},
        {"protocol": "nbd", "host": "10.0.0.1", "name": "vol"},
    ])
    assert [(d["target"], d["bus"], d["readonly"]) for d in disks] == [
        ("sda", "sata", True), ("vda", "virtio", False), ("vdb", "virtio", False), ("vdc", "virtio", False)]
    assert disks[1]["file"] == "/img/b.raw" and disks[1]["format"] == "raw"
    assert disks[3]["port"] == 10809 and disks[3]["file"] is None


@pytest.mark.parametrize("disk, field", [
    ({"file": "relative.qcow2"}, "disks[0].file"),
    ({"file": "/a", "protocol": "nbd", "host": "h"}, "disks[0]"),
    ({"protocol": "iscsi", "host": "h"}, "disks[0].name"),
    ({"protocol": "nbd"}, "disks[0].host"),
    ({"file": "/a", "device": "cdrom", "bus": "virtio"}, "disks[0].bus"),
    ({"file": "/a", "target": "sda"}, "disks[0].target"),
])
def test_bad_disks_name_the_field(disk: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        normalise_disks([disk])
    assert raised.value.field == field


def test_interfaces_and_metadata_validation() -> None:
    assert normalise_interfaces([{"network": "n1", "mac": "52:54:00:AA:BB:CC"}])[0] == {
        "bridge": None, "network": "n1", "mac": "52:54:00:aa:bb:cc", "model": "virtio", "target": None}
    for nic, field in (({"bridge": "b", "network": "n"}, "interfaces[0]"), ({"bridge": "a/b"}, "interfaces[0].bridge"),
                       ({"bridge": "b", "target": "vnet3"}, "interfaces[0].target"),
                       ({"bridge": "b", "mac": "52:54:00"}, "interfaces[0].mac")):
        with pytest.raises(InvalidInput) as raised:
            normalise_interfaces([nic])
        assert raised.value.field == field
    assert normalise_metadata({"project_id": 7, "note": "<a & b>"}) == {"project_id": "7", "note": "<a & b>"}
    for key in ("bad key", "1abc", "xmlish", "a:b", "<x>"):
        with pytest.raises(InvalidInput, match="metadata"):
            normalise_metadata({key: "v"})
    with pytest.raises(InvalidInput, match="control characters"):
        normalise_metadata({"k": "a\x01b"})


def test_build_keeps_unmanaged_xml_and_parse_round_trips() -> None:
    current = (
        "<domain type='qemu'><name>d</name><uuid>0b0c3f5e-8d44-4cbb-a3a9-4a7d5e2f0c11</uuid>"
        "<memory unit='KiB'>131072</memory><currentMemory unit='KiB'>131072</currentMemory><vcpu>1</vcpu>"
        "<os><type machine='pc-i440fx-7.2'>hvm</type><boot dev='hd'/></os>"
        "<metadata><other:x xmlns:other='urn:other'>keep</other:x></metadata>"
        "<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none'/>"
        "<source file='/img/a.qcow2'/><target dev='vda' bus='virtio'/>"
        "<address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/></disk>"
        "<interface type='bridge'><mac address='52:54:00:11:22:33'/><source bridge='br0'/><model type='virtio'/></interface>"
        "<controller type='usb' index='0' model='piix3-uhci'/></devices></domain>")
    spec = desired_spec({"memory_mb": 256, "disks": [{"file": "/img/a.qcow2", "format": "qcow2"}],
                         "interfaces": [{"bridge": "br1"}], "metadata": {"project_id": "p&<1>"}})
    root = ET.fromstring(build_domain("d", spec, current))
    assert root.find("uuid").text == "0b0c3f5e-8d44-4cbb-a3a9-4a7d5e2f0c11"
    assert root.find("devices/controller").get("model") == "piix3-uhci"
    assert root.find("devices/disk/address").get("slot") == "0x05"
    assert root.find("devices/disk/driver").get("cache") == "none"
    assert root.find("devices/interface/mac").get("address") == "52:54:00:11:22:33"
    assert root.find("metadata/{urn:other}x").text == "keep"
    assert root.find("metadata/{%s}instance/{%s}project_id" % (METADATA_NS, METADATA_NS)).text == "p&<1>"
    parsed = parse_domain(ET.tostring(root, encoding="unicode"))
    assert parsed["memory_mb"] == 256 and parsed["interfaces"][0]["bridge"] == "br1"
    assert parsed["metadata"] == {"project_id": "p&<1>"} and parsed["boot"] == ["hd"]


def test_raw_xml_stamp_and_machine_aliases() -> None:
    xml, digest = stamp_raw_xml("d", "<domain type='qemu'><memory>1</memory></domain>", uuid="u-1")
    root = ET.fromstring(xml)
    assert root.findtext("name") == "d" and root.findtext("uuid") == "u-1" and len(digest) == 64
    with pytest.raises(InvalidInput, match="does not match"):
        stamp_raw_xml("d", "<domain><name>e</name></domain>")
    with pytest.raises(InvalidInput, match="well-formed"):
        stamp_raw_xml("d", "<domain>")
    caps = "<capabilities><guest><arch><machine canonical='pc-i440fx-7.2'>pc</machine><machine>pc-q35-7.2</machine></arch></guest></capabilities>"
    assert machine_aliases(caps) == {"pc": "pc-i440fx-7.2"}


def test_lifecycle_plans_and_start_errors() -> None:
    assert lifecycle.plan("running", "present") == []
    assert lifecycle.plan("paused", "shutdown") == ["resume", "shutdown"]
    assert lifecycle.plan("shutdown", "paused") == ["start_paused"]
    assert lifecycle.plan_restart("running", "present") == ["shutdown", "start"]
    assert lifecycle.plan_reboot("running", "soft") == ["reboot"]
    assert lifecycle.plan_reboot("running", "hard") == ["reset"]
    assert lifecycle.plan_reboot("paused", "soft") == ["resume", "reboot"]
    assert lifecycle.plan_reboot("shutdown", "hard") == ["start"]  # a start is a fresh boot already
    assert lifecycle.plan_reboot("crashed", "soft") == ["destroy", "start"]
    nics = [{"bridge": None, "network": "n1"}, {"bridge": "br-x", "network": None}]
    assert start_error_field("Cannot get interface MTU on 'br-x': No such device", nics)[0] == "interfaces[1].bridge"
    assert start_error_field("Network not found: no network with matching name 'n1'", nics)[0] == "interfaces[0].network"
    assert start_error_field("some other failure", nics) is None


# ------------------------------------------------------------------ against libvirtd


def ok(result: dict[str, Any]) -> dict[str, Any]:
    assert not result["failed"], result.get("msg")
    return result


def failed(result: dict[str, Any]) -> str:
    assert result["failed"], result
    return str(result["msg"])


@pytest.fixture()
def workdir() -> Any:
    path = qemu_workdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture()
def disk(workdir: Path) -> Path:
    return make_qcow2(workdir / "disk.qcow2")


@pytest.fixture()
def domain(libvirt_conn: Any, workdir: Path) -> Any:
    """A unique domain name, destroyed and undefined after the test (before its workdir goes)."""
    name = TEST_PREFIX + "dom-" + secrets.token_hex(4)
    yield name
    destroy_domain(libvirt_conn, name)


def spec(name: str, disk: Path, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"name": name, "memory_mb": 128, "vcpus": 1, "shutdown_timeout": 2,
                              "disks": [{"file": str(disk), "format": "qcow2"}]}
    params.update(extra)
    return params


def lookup(conn: Any, name: str) -> Any:
    import libvirt

    try:
        return conn.lookupByName(name)
    except libvirt.libvirtError:
        return None


def run_state(conn: Any, name: str) -> str:
    return lifecycle.state_name(conn.lookupByName(name))


def inactive_spec(conn: Any, name: str) -> dict[str, Any]:
    import libvirt

    return parse_domain(conn.lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))


def test_define_is_idempotent_and_check_mode_changes_nothing(libvirt_conn: Any, domain: str, disk: Path) -> None:
    params = spec(domain, disk, machine="pc")
    checked = ok(run("libvirt_domain", check=True, **params))
    assert checked["changed"] and checked["actions"] == ["define"]
    assert lookup(libvirt_conn, domain) is None

    created = ok(run("libvirt_domain", **params))
    assert created["changed"] and created["domain"]["state"] == "shutdown"
    assert created["domain"]["uuid"] == libvirt_conn.lookupByName(domain).UUIDString()
    assert created["domain"]["machine"].startswith("pc-i440fx-")  # libvirt expanded the alias

    again = ok(run("libvirt_domain", **params))
    assert not again["changed"] and again["actions"] == [] and again["changes"] == []
    assert not ok(run("libvirt_domain", check=True, **params))["changed"]

    planned = ok(run("libvirt_domain", check=True, diff=True, **dict(params, memory_mb=192, state="running")))
    assert planned["changed"] and planned["actions"] == ["define", "start"]
    assert inactive_spec(libvirt_conn, domain)["memory_mb"] == 128
    assert run_state(libvirt_conn, domain) == "shutdown"


def test_diff_holds_only_changed_keys(libvirt_conn: Any, domain: str, disk: Path) -> None:
    ok(run("libvirt_domain", **spec(domain, disk)))
    result = ok(run("libvirt_domain", diff=True, **spec(domain, disk, vcpus=2, autostart=True)))
    assert result["diff"] == {"before": {"vcpus": 1, "autostart": False}, "after": {"vcpus": 2, "autostart": True}}
    assert [change["name"] for change in result["changes"]] == ["vcpus", "autostart"]
    assert result["actions"] == ["define", "autostart"]
    assert libvirt_conn.lookupByName(domain).autostart() == 1
    assert inactive_spec(libvirt_conn, domain)["vcpus"] == 2


def test_state_transitions(libvirt_conn: Any, domain: str, disk: Path) -> None:
    params = spec(domain, disk)
    steps = [
        ("running", ["define", "start"]),
        ("shutdown", ["shutdown", "destroy"]),  # the guest has no OS to obey ACPI: forced off after 2 s
        ("running", ["start"]),
        ("paused", ["pause"]),
        ("running", ["resume"]),
        ("paused", ["pause"]),
        ("shutdown", ["resume", "shutdown", "destroy"]),
        ("paused", ["start_paused"]),
    ]
    for state, actions in steps:
        result = ok(run("libvirt_domain", **dict(params, state=state)))
        assert result["actions"] == actions, state
        assert run_state(libvirt_conn, domain) == state == result["domain"]["state"]
        assert not ok(run("libvirt_domain", **dict(params, state=state)))["changed"], state
    gone = ok(run("libvirt_domain", diff=True, name=domain, state="absent"))
    assert gone["actions"] == ["destroy", "undefine"] and gone["diff"]["after"] == {"state": "absent"}
    assert lookup(libvirt_conn, domain) is None
    assert not ok(run("libvirt_domain", name=domain, state="absent"))["changed"]
    assert disk.exists()  # removing a domain keeps its disk files


def test_rebooted_always_changes_and_falls_back_to_reset(libvirt_conn: Any, domain: str, disk: Path) -> None:
    params = spec(domain, disk, state="rebooted")
    planned = ok(run("libvirt_domain", check=True, **params))
    assert planned["changed"] and planned["actions"] == ["define", "start"] and lookup(libvirt_conn, domain) is None
    assert ok(run("libvirt_domain", **params))["actions"] == ["define", "start"]
    assert run_state(libvirt_conn, domain) == "running"
    checked = ok(run("libvirt_domain", check=True, diff=True, **params))
    assert checked["changed"] and checked["actions"] == ["reboot"] and checked["domain"]["state"] == "running"
    # The guest has no OS to obey ACPI: reset after shutdown_timeout (2 s); the domain keeps running.
    soft = ok(run("libvirt_domain", **params))
    assert soft["changed"] and soft["actions"] == ["reboot", "reset"], soft
    assert soft["domain"]["state"] == "running" == run_state(libvirt_conn, domain)
    hard = ok(run("libvirt_domain", **dict(params, reboot_type="hard")))
    assert hard["changed"] and hard["actions"] == ["reset"] and run_state(libvirt_conn, domain) == "running"
    ok(run("libvirt_domain", **dict(params, state="paused")))
    assert ok(run("libvirt_domain", **dict(params, reboot_type="hard")))["actions"] == ["resume", "reset"]
    ok(run("libvirt_domain", **dict(params, state="shutdown", shutdown_timeout=0)))
    assert ok(run("libvirt_domain", **params))["actions"] == ["start"]  # shut off: started, no reboot on top
    assert run_state(libvirt_conn, domain) == "running"


def test_change_on_running_domain_requires_restart(libvirt_conn: Any, domain: str, disk: Path) -> None:
    params = spec(domain, disk, state="running")
    ok(run("libvirt_domain", **params))
    changed = ok(run("libvirt_domain", diff=True, **dict(params, memory_mb=160)))
    assert changed["changed"] and changed["restart_required"] and changed["actions"] == ["define"]
    assert changed["diff"] == {"before": {"memory_mb": 128}, "after": {"memory_mb": 160}}
    assert inactive_spec(libvirt_conn, domain)["memory_mb"] == 160
    assert libvirt_conn.lookupByName(domain).maxMemory() == 128 * 1024  # still runs the old definition

    pending = ok(run("libvirt_domain", **dict(params, memory_mb=160)))
    assert not pending["changed"] and pending["restart_required"]

    restarted = ok(run("libvirt_domain", **dict(params, memory_mb=160, restart=True)))
    assert restarted["actions"] == ["shutdown", "destroy", "start"] and not restarted["restart_required"]
    assert restarted["domain"]["memory_mb"] == 160 and run_state(libvirt_conn, domain) == "running"
    assert libvirt_conn.lookupByName(domain).maxMemory() == 160 * 1024


def test_metadata_round_trip_escapes_values(libvirt_conn: Any, domain: str, disk: Path) -> None:
    import libvirt

    nasty = "<evil attr=\"x\"/>&amp; ]]> 'q' \"dq\" ünï"
    metadata = {"project_id": "p-1", "instance_id": nasty}
    result = ok(run("libvirt_domain", **spec(domain, disk, state="running", metadata=metadata)))
    assert result["domain"]["metadata"] == metadata
    dom = libvirt_conn.lookupByName(domain)
    stored = ET.fromstring(dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, METADATA_NS))
    value = stored.find("instance_id")  # libvirt hands our element back without its namespace
    assert value.text == nasty and len(value) == 0  # text, never parsed into elements
    assert not ok(run("libvirt_domain", **spec(domain, disk, state="running", metadata=metadata)))["changed"]

    live = ok(run("libvirt_domain", **spec(domain, disk, state="running", metadata={"project_id": "p-2"})))
    assert live["actions"] == ["define", "update live metadata"] and not live["restart_required"]
    assert parse_domain(dom.XMLDesc(0))["metadata"] == {"project_id": "p-2"}
    assert inactive_spec(libvirt_conn, domain)["metadata"] == {"project_id": "p-2"}


def test_unmanaged_parts_are_kept(libvirt_conn: Any, domain: str, disk: Path) -> None:
    import libvirt

    ok(run("libvirt_domain", **spec(domain, disk)))
    dom = libvirt_conn.lookupByName(domain)
    root = ET.fromstring(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    ET.SubElement(root.find("devices"), "watchdog", model="i6300esb", action="reset")
    slot = root.find("devices/disk/address").get("slot")
    libvirt_conn.defineXML(ET.tostring(root, encoding="unicode"))

    assert not ok(run("libvirt_domain", **spec(domain, disk)))["changed"]
    ok(run("libvirt_domain", **spec(domain, disk, memory_mb=144, vcpus=None, disks=None)))
    root = ET.fromstring(libvirt_conn.lookupByName(domain).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    assert root.find("devices/watchdog").get("model") == "i6300esb"
    assert root.find("devices/disk/address").get("slot") == slot
    assert parse_domain(root)["memory_mb"] == 144


def test_guest_layout_for_a_cloud_instance(libvirt_conn: Any, domain: str, workdir: Path, disk: Path) -> None:
    """What the end-to-end boot test needs: qcow2 overlay, config drive, direct kernel boot, console log."""
    base = make_qcow2(workdir / "base.qcow2")
    overlay = workdir / "overlay.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(base), str(overlay)], check=True)
    cidata, iso, kernel, initrd = (workdir / n for n in ("cidata.img", "cidata.iso", "vmlinuz", "initrd.img"))
    for path in (cidata, iso, kernel, initrd):
        path.write_bytes(b"\0" * 4096)
    params = spec(domain, disk, disks=[
        {"file": str(overlay), "format": "qcow2"},
        {"file": str(cidata), "readonly": True},
        {"file": str(iso), "device": "cdrom"},
        {"protocol": "nbd", "host": "127.0.0.1", "name": "vol1"},
    ], kernel=str(kernel), initrd=str(initrd), cmdline="console=ttyS0 quiet",
        console_log=str(workdir / "console.log"))
    result = ok(run("libvirt_domain", **params))
    facts = result["domain"]
    assert [(d["target"], d["bus"], d["device"], d["readonly"]) for d in facts["disks"]] == [
        ("sda", "sata", "cdrom", True), ("vda", "virtio", "disk", False), ("vdb", "virtio", "disk", True),
        ("vdc", "virtio", "disk", False)]
    assert facts["disks"][3]["port"] == 10809 and facts["kernel"] == str(kernel)
    assert facts["cmdline"] == "console=ttyS0 quiet" and facts["console_log"] == str(workdir / "console.log")
    assert not ok(run("libvirt_domain", **params))["changed"]
    dropped = ok(run("libvirt_domain", **dict(params, kernel="", initrd=None, cmdline=None)))
    assert dropped["domain"]["kernel"] == "" and dropped["domain"]["initrd"] == ""


def test_raw_xml_escape_hatch(libvirt_conn: Any, domain: str, disk: Path) -> None:
    xml = ("<domain type='qemu'><name>%s</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
           "<os><type>hvm</type></os><devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
           "<source file='%s'/><target dev='vda' bus='virtio'/></disk></devices></domain>" % (domain, disk))
    assert ok(run("libvirt_domain", name=domain, xml=xml))["changed"]
    assert not ok(run("libvirt_domain", name=domain, xml=xml))["changed"]
    bigger = ok(run("libvirt_domain", diff=True, name=domain, xml=xml.replace(">128<", ">144<")))
    assert bigger["changed"] and "memory_mb" in bigger["diff"]["after"]
    assert inactive_spec(libvirt_conn, domain)["memory_mb"] == 144
    assert "mutually exclusive" in failed(run("libvirt_domain", name=domain, xml=xml, memory_mb=128))


@pytest.mark.parametrize("params, field", [
    ({"state": "suspended"}, "state"),
    ({"memory_mb": 0}, "memory_mb"),
    ({"memory_mb": -128}, "memory_mb"),
    ({"vcpus": 0}, "vcpus"),
    ({"name": "a/b"}, "name"),
    ({"name": "a<b>"}, "name"),
    ({"name": "x&y"}, "name"),
    ({"metadata": {"bad key": "v"}}, "metadata.bad key"),
    ({"metadata": {"9lives": "v"}}, "metadata.9lives"),
])
def test_bad_input_fails_naming_the_field(libvirt_conn: Any, domain: str, disk: Path,
                                          params: dict[str, Any], field: str) -> None:
    args = spec(domain, disk, state="running")
    args.update(params)
    msg = failed(run("libvirt_domain", **args))
    assert field in msg
    assert lookup(libvirt_conn, args["name"]) is None


def test_missing_disk_file_names_disk_and_path(libvirt_conn: Any, domain: str, disk: Path, workdir: Path) -> None:
    missing = workdir / "nope.qcow2"
    msg = failed(run("libvirt_domain", **spec(domain, disk, disks=[{"file": str(disk)}, {"file": str(missing)}])))
    assert msg.startswith("disks[1].file") and str(missing) in msg
    assert lookup(libvirt_conn, domain) is None


def test_missing_bridge_fails_at_start_and_leaves_nothing(libvirt_conn: Any, domain: str, disk: Path) -> None:
    params = spec(domain, disk, state="running", interfaces=[{"bridge": "stktest-nobr"}])
    result = run("libvirt_domain", **params)
    msg = failed(result)
    assert msg.startswith("interfaces[0].bridge") and "stktest-nobr" in msg, msg
    assert lookup(libvirt_conn, domain) is None  # defined in this run, so undefined again

    ok(run("libvirt_domain", **dict(params, state="present")))  # an existing definition stays
    assert failed(run("libvirt_domain", **params)).startswith("interfaces[0].bridge")
    assert run_state(libvirt_conn, domain) == "shutdown"


def test_libvirtd_down_is_reported(domain: str, disk: Path) -> None:
    msg = failed(run("libvirt_domain", uri=NO_LIBVIRTD, **spec(domain, disk)))
    assert "cannot connect to libvirt" in msg and "libvirtd" in msg


def test_bridge_interface_tap_lives_in_the_rig(libvirt_conn: Any, domain: str, disk: Path) -> None:
    bridge, tap = "stkbr" + secrets.token_hex(3), "stktap" + secrets.token_hex(3)
    assert netns_exec("ip", "link", "add", bridge, "type", "bridge").returncode == 0
    try:
        params = spec(domain, disk, state="running", interfaces=[{"bridge": bridge, "target": tap}, {"bridge": bridge}])
        facts = ok(run("libvirt_domain", **params))["domain"]
        first, second = facts["interfaces"]
        assert first["target"] == tap and first["bridge"] == bridge and first["mac"].startswith("52:54:00:")
        assert second["target"].startswith("vnet") and second["mac"] != first["mac"]
        again = ok(run("libvirt_domain", **params))
        assert not again["changed"] and not again["restart_required"]  # assigned MACs and taps are not changes
        assert netns_exec("ip", "link", "show", tap).stdout.count("master " + bridge) == 1
        assert subprocess.run(["ip", "link", "show", tap], capture_output=True, check=False).returncode != 0  # not in the root namespace
        pinned = dict(params, interfaces=[{"bridge": bridge, "target": tap, "mac": "52:54:00:32:00:01"}, {"bridge": bridge}])
        result = ok(run("libvirt_domain", diff=True, **pinned))
        assert result["restart_required"] and [c["name"] for c in result["changes"]] == ["interfaces"]
        assert inactive_spec(libvirt_conn, domain)["interfaces"][1]["mac"] == second["mac"]
    finally:
        destroy_domain(libvirt_conn, domain)
        netns_exec("ip", "link", "del", bridge)


def test_network_interface(libvirt_conn: Any, domain: str, disk: Path) -> None:
    network, bridge = TEST_PREFIX + "dnet-" + secrets.token_hex(3), "stkvbr" + secrets.token_hex(3)
    net = libvirt_conn.networkDefineXML(isolated_network_xml(network, bridge, 41))
    try:
        net.create()
        params = spec(domain, disk, state="running", interfaces=[{"network": network}])
        facts = ok(run("libvirt_domain", **params))["domain"]
        nic = facts["interfaces"][0]
        assert nic["network"] == network and nic["bridge"] == bridge and nic["target"].startswith("vnet")
        again = ok(run("libvirt_domain", **params))
        assert not again["changed"] and not again["restart_required"]
        assert netns_exec("ip", "link", "show", nic["target"]).returncode == 0
    finally:
        destroy_domain(libvirt_conn, domain)
        destroy_network(libvirt_conn, network)


def test_missing_network_names_the_interface(libvirt_conn: Any, domain: str, disk: Path) -> None:
    msg = failed(run("libvirt_domain", **spec(domain, disk, state="running", interfaces=[{"network": "stktest-nonet"}])))
    assert msg.startswith("interfaces[0].network") and "stktest-nonet" in msg
    assert lookup(libvirt_conn, domain) is None
