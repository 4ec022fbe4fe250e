"""stackling.cloud.libvirt_network against the rig's real libvirtd (networks live in netns stk-rig)."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX
from tests.support.collection import run_module
from tests.support.rig import netns_exec

DNSMASQ_DIR = Path("/var/lib/libvirt/dnsmasq")
H1 = {"mac": "52:54:00:23:10:01", "ip": "10.231.10.11", "name": "web1"}
H2 = {"mac": "52:54:00:23:10:02", "ip": "10.231.10.12", "name": "db1"}
H3 = {"mac": "52:54:00:23:10:03", "ip": "10.231.10.13", "name": "cache1"}


def run_net(check: bool = False, diff: bool = False, **params: Any) -> dict[str, Any]:
    return run_module("libvirt_network", check=check, diff=diff, **params)


def nat_params(name: str, third: int = 10, hosts: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    """An active NAT network on 10.231.<third>.0/24 with a bridge named after the network."""
    params: dict[str, Any] = {
        "name": name, "state": "active", "forward": "nat",
        "bridge": {"name": "stk-" + name[len(TEST_PREFIX):][:11]},
        "ipv4": {
            "address": "10.231.%d.1/24" % third,
            "dhcp_range": {"start": "10.231.%d.100" % third, "end": "10.231.%d.200" % third},
            "hosts": hosts if hosts is not None else [H1, H2],
        },
    }
    params.update(extra)
    return params


def ok(result: dict[str, Any]) -> dict[str, Any]:
    assert not result["failed"], result.get("msg")
    return result


def lookup(conn: Any, name: str) -> Any:
    import libvirt

    try:
        return conn.networkLookupByName(name)
    except libvirt.libvirtError:
        return None


def xml_hosts(xml_text: str) -> list[tuple[str | None, str | None, str | None]]:
    return sorted((h.get("mac"), h.get("ip"), h.get("name")) for h in ET.fromstring(xml_text).iter("host"))


def dumpxml(conn: Any, name: str, inactive: bool = False) -> str:
    import libvirt

    return str(lookup(conn, name).XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE if inactive else 0))


def dnsmasq_pid(name: str) -> str:
    return Path("/run/libvirt/network/%s.pid" % name).read_text().strip()


@pytest.fixture()
def netname(request: pytest.FixtureRequest, libvirt_rig: str) -> Any:
    """A unique stktest- network name, removed (stopped and undefined) after the test."""
    name = TEST_PREFIX + "net-" + request.node.name.replace("test_", "")[:20].replace("[", "-").rstrip("]")
    name = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
    yield name
    run_net(name=name, state="absent")


def test_create_active_nat_then_unchanged(netname: str, libvirt_conn: Any) -> None:
    first = ok(run_net(**nat_params(netname)))
    assert first["changed"] and first["actions"] == ["define", "start"]
    net = first["network"]
    assert net["state"] == "active" and net["active"] and net["uuid"]
    assert net["ipv4"] == "10.231.10.1/24"
    assert net["dhcp_range"] == {"start": "10.231.10.100", "end": "10.231.10.200"}
    assert [h["ip"] for h in net["hosts"]] == ["10.231.10.11", "10.231.10.12"]
    assert lookup(libvirt_conn, netname).isActive()

    # Same request, hosts in the other order: nothing to do.
    again = ok(run_net(**nat_params(netname, hosts=[H2, H1])))
    assert not again["changed"] and again["actions"] == [] and not again["restart_required"]
    assert again["network"]["uuid"] == net["uuid"]


def test_bridge_lives_in_the_rig_namespace_only(netname: str) -> None:
    bridge = ok(run_net(**nat_params(netname, third=11, hosts=[])))["network"]["bridge"]
    assert netns_exec("ip", "link", "show", bridge).returncode == 0
    assert subprocess.run(["ip", "link", "show", bridge], capture_output=True, check=False).returncode != 0
    addr = netns_exec("ip", "-4", "-o", "addr", "show", "dev", bridge).stdout
    assert "10.231.11.1/24" in addr


def test_check_mode_changes_nothing(netname: str, libvirt_conn: Any) -> None:
    created = ok(run_net(check=True, **nat_params(netname)))
    assert created["changed"] and created["actions"] == ["define", "start"]
    assert lookup(libvirt_conn, netname) is None

    ok(run_net(**nat_params(netname)))
    before = dumpxml(libvirt_conn, netname, inactive=True)
    changed = ok(run_net(check=True, **nat_params(netname, hosts=[H3], mtu=1400, state="inactive", autostart=True)))
    assert changed["changed"] and changed["network"]["mtu"] == 1400 and changed["network"]["state"] == "inactive"
    net = lookup(libvirt_conn, netname)
    assert dumpxml(libvirt_conn, netname, inactive=True) == before
    assert net.isActive() and not net.autostart()

    gone = ok(run_net(check=True, name=netname, state="absent"))
    assert gone["changed"] and gone["actions"] == ["destroy", "undefine"]
    assert lookup(libvirt_conn, netname) is not None


def test_diff_holds_only_changed_keys(netname: str) -> None:
    ok(run_net(**nat_params(netname)))
    result = ok(run_net(diff=True, **nat_params(netname, mtu=1400, domain="stk.test")))
    assert result["diff"] == {"before": {"mtu": None, "domain": None}, "after": {"mtu": 1400, "domain": "stk.test"}}
    assert {c["name"] for c in result["changes"]} == {"mtu", "domain"}
    assert result["restart_required"] and result["actions"] == ["define"]


def test_static_hosts_change_live_without_restart(netname: str, libvirt_conn: Any) -> None:
    ok(run_net(**nat_params(netname)))
    hostsfile = DNSMASQ_DIR / ("%s.hostsfile" % netname)
    pid = dnsmasq_pid(netname)

    added = ok(run_net(diff=True, **nat_params(netname, hosts=[H1, H2, H3])))
    assert added["changed"] and added["actions"] == ["update hosts live"] and not added["restart_required"]
    assert list(added["diff"]["after"]) == ["hosts"]
    want = ("52:54:00:23:10:03", "10.231.10.13", "cache1")
    assert want in xml_hosts(dumpxml(libvirt_conn, netname))
    assert want in xml_hosts(dumpxml(libvirt_conn, netname, inactive=True))
    assert "52:54:00:23:10:03,10.231.10.13,cache1" in hostsfile.read_text()

    removed = ok(run_net(**nat_params(netname, hosts=[H3, H2])))
    assert removed["actions"] == ["update hosts live"] and not removed["restart_required"]
    assert ("52:54:00:23:10:01", "10.231.10.11", "web1") not in xml_hosts(dumpxml(libvirt_conn, netname))
    assert "52:54:00:23:10:01" not in hostsfile.read_text()
    assert "52:54:00:23:10:02" in hostsfile.read_text()
    assert dnsmasq_pid(netname) == pid  # dnsmasq was not restarted
    assert not ok(run_net(**nat_params(netname, hosts=[H2, H3])))["changed"]


def test_other_change_needs_restart_flag(netname: str, libvirt_conn: Any) -> None:
    ok(run_net(**nat_params(netname)))
    pending = ok(run_net(**nat_params(netname, domain="stk.test")))
    assert pending["changed"] and pending["restart_required"] and pending["network"]["domain"] == "stk.test"
    assert "<domain name='stk.test'" in dumpxml(libvirt_conn, netname, inactive=True)
    assert "stk.test" not in dumpxml(libvirt_conn, netname)

    still = ok(run_net(**nat_params(netname, domain="stk.test")))
    assert not still["changed"] and still["restart_required"]

    restarted = ok(run_net(**nat_params(netname, domain="stk.test", restart=True)))
    assert restarted["changed"] and restarted["actions"] == ["restart"] and not restarted["restart_required"]
    assert "<domain name='stk.test'" in dumpxml(libvirt_conn, netname)
    assert not ok(run_net(**nat_params(netname, domain="stk.test", restart=True)))["changed"]


def test_hosts_on_a_network_without_dhcp_need_a_restart(netname: str) -> None:
    params = nat_params(netname, third=15, hosts=[])
    del params["ipv4"]["dhcp_range"]
    ok(run_net(**params))  # dnsmasq runs without DHCP: a host cannot be added live
    params["ipv4"]["hosts"] = [{"mac": "52:54:00:23:15:05", "ip": "10.231.15.5", "name": "s5"}]
    pending = ok(run_net(**params))
    assert pending["actions"] == ["define"] and pending["restart_required"]
    restarted = ok(run_net(restart=True, **params))
    assert restarted["actions"] == ["restart"] and not restarted["restart_required"]
    assert "52:54:00:23:15:05,10.231.15.5,s5" in (DNSMASQ_DIR / ("%s.hostsfile" % netname)).read_text()


def test_state_transitions(netname: str, libvirt_conn: Any) -> None:
    params = dict(nat_params(netname, third=12, hosts=[]), forward="none")
    defined = ok(run_net(**dict(params, state="present")))
    assert defined["changed"] and defined["network"]["state"] == "inactive"
    assert not lookup(libvirt_conn, netname).isActive()
    assert not ok(run_net(**dict(params, state="inactive")))["changed"]

    started = ok(run_net(**dict(params, state="active", autostart=True)))
    assert started["actions"] == ["start", "autostart on"] and started["network"]["autostart"]
    assert lookup(libvirt_conn, netname).isActive() and lookup(libvirt_conn, netname).autostart()
    assert not ok(run_net(**dict(params, state="present")))["changed"]  # present leaves it running

    stopped = ok(run_net(**dict(params, state="inactive")))
    assert stopped["actions"] == ["destroy"] and not lookup(libvirt_conn, netname).isActive()

    # A change to a stopped network only rewrites the definition: nothing to restart.
    moved = ok(run_net(**dict(nat_params(netname, third=13, hosts=[]), forward="none", state="inactive")))
    assert moved["actions"] == ["define"] and not moved["restart_required"]
    assert moved["network"]["ipv4"] == "10.231.13.1/24"

    removed = ok(run_net(diff=True, name=netname, state="absent"))
    assert removed["changed"] and removed["diff"]["after"] == {} and removed["network"]["state"] == "absent"
    assert lookup(libvirt_conn, netname) is None
    assert not ok(run_net(name=netname, state="absent"))["changed"]


def test_failed_start_leaves_nothing_defined(netname: str, libvirt_conn: Any) -> None:
    ok(run_net(**nat_params(netname, third=14, hosts=[])))
    clash = netname[:-1] + "X"
    try:
        # Same subnet as the running network: libvirt defines it but refuses to start it.
        result = run_net(**dict(nat_params(clash, third=14, hosts=[]), bridge={"name": "stk-clash0"}))
        assert result["failed"] and "starting the network" in result["msg"]
        assert lookup(libvirt_conn, clash) is None
    finally:
        run_net(name=clash, state="absent")


def test_bridge_mode_with_existing_host_bridge_check_mode(netname: str, libvirt_conn: Any) -> None:
    host_bridge = "stktest-hb0"
    assert netns_exec("ip", "link", "add", host_bridge, "type", "bridge").returncode == 0
    try:
        result = ok(run_net(check=True, name=netname, state="active", forward="bridge", bridge={"name": host_bridge}))
        assert result["changed"] and result["network"]["forward"] == "bridge"
        assert result["network"]["ipv4"] is None and result["network"]["stp"] is None
        assert lookup(libvirt_conn, netname) is None
    finally:
        netns_exec("ip", "link", "del", host_bridge)


BAD_INPUTS = [
    ({"state": "running"}, "state"),
    ({"name": "stktest-a/b"}, "name"),
    ({"name": "stktest-<x>"}, "name"),
    ({"name": "stktest-'q'"}, "name"),
    ({"bridge": {"name": "br&0"}}, "bridge.name"),
    ({"bridge": {"name": "stktest-too-long-bridge"}}, "bridge.name"),
    ({"ipv4": {"address": "10.231.20.1"}}, "ipv4.address"),
    ({"ipv4": {"address": "10.231.20.300/24"}}, "ipv4.address"),
    ({"ipv4": {"address": "10.231.20.0/24"}}, "ipv4.address"),
    ({"ipv4": {"address": "10.231.20.1/24", "dhcp_range": {"start": "10.231.21.5", "end": "10.231.20.9"}}},
     "ipv4.dhcp_range.start"),
    ({"ipv4": {"address": "10.231.20.1/24", "dhcp_range": {"start": "10.231.20.5", "end": "10.231.22.9"}}},
     "ipv4.dhcp_range.end"),
    ({"ipv4": {"address": "10.231.20.1/24", "dhcp_range": {"start": "10.231.20.90", "end": "10.231.20.10"}}},
     "ipv4.dhcp_range"),
    ({"ipv4": {"address": "10.231.20.1/24", "hosts": [{"mac": "52:54:00:00:00:01", "ip": "10.231.99.5"}]}},
     "ipv4.hosts[0].ip"),
    ({"ipv4": {"address": "10.231.20.1/24", "hosts": [{"mac": "52:54:00:00:00:zz", "ip": "10.231.20.5"}]}},
     "ipv4.hosts[0].mac"),
    ({"ipv4": {"address": "10.231.20.1/24", "hosts": [{"name": "a<b", "ip": "10.231.20.5"}]}},
     "ipv4.hosts[0].name"),
    ({"ipv4": {"address": "10.231.20.1/24", "hosts": [{"name": "a", "ip": "10.231.20.5"},
                                                     {"name": "b", "ip": "10.231.20.5"}]}}, "ipv4.hosts"),
    ({"domain": "bad domain"}, "domain"),
    ({"mtu": 20}, "mtu"),
    ({"forward": "nat"}, "ipv4"),
    ({"forward": "bridge"}, "bridge"),
    ({"forward": "bridge", "bridge": {"name": "stktest-nobr0"}}, "bridge"),
    ({"forward": "bridge", "bridge": {"name": "stktest-nobr0"}, "ipv4": {"address": "10.231.20.1/24"}}, "ipv4"),
]


@pytest.mark.parametrize("params,field", BAD_INPUTS, ids=[field + "-%d" % i for i, (_, field) in enumerate(BAD_INPUTS)])
def test_bad_input_fails_naming_the_field(netname: str, libvirt_conn: Any, params: dict[str, Any], field: str) -> None:
    args = dict({"name": netname, "state": "active", "forward": "nat"}, **params)
    result = run_net(**args)
    assert result["failed"], result
    assert field in result["msg"], result["msg"]
    if field != "name":
        assert result["msg"].startswith(field) or field == "state", result["msg"]
    assert lookup(libvirt_conn, args["name"]) is None


def test_missing_host_bridge_fails_in_check_mode_too(netname: str) -> None:
    result = run_net(check=True, name=netname, forward="bridge", bridge={"name": "stktest-nobr0"})
    assert result["failed"] and result["msg"].startswith("bridge:") and "does not exist" in result["msg"]


def test_libvirtd_not_running(netname: str) -> None:
    result = run_net(name=netname, uri="qemu:///system?socket=/nonexistent/sock")
    assert result["failed"] and "cannot connect to libvirt" in result["msg"] and "libvirtd" in result["msg"]
