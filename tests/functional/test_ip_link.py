"""stackling.cloud.ip_link against the real kernel, inside namespaces made by each test."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.collection import run_module
from tests.support.netns import NetnsFactory, ip, ip_json, link_names, probe_kind


def link(ns: str, name: str) -> dict[str, Any]:
    return ip_json(ns, "link", "show", "dev", name)[0]


def test_bridge_create_is_idempotent(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("ipl")
    params = dict(netns=ns, name="br-t1", kind="bridge", mtu=1400, admin_state="up", alias="tenant one")
    created = run_module("ip_link", diff=True, **params)
    assert created["changed"] is True, created
    assert created["diff"]["before"] == {}
    assert created["diff"]["after"] == {"name": "br-t1", "kind": "bridge", "mtu": 1400, "admin_state": "up", "alias": "tenant one"}
    raw = link(ns, "br-t1")
    assert raw["mtu"] == 1400 and "UP" in raw["flags"] and raw["ifalias"] == "tenant one"
    facts = created["link"]
    assert facts["kind"] == "bridge" and facts["mtu"] == 1400 and facts["admin_state"] == "up" and facts["netns"] == ns

    again = run_module("ip_link", diff=True, **params)
    assert again["changed"] is False and again["commands"] == [] and again["changes"] == [], again
    assert again["link"]["ifindex"] == facts["ifindex"]


def test_check_mode_changes_nothing(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("ipl")
    planned = run_module("ip_link", check=True, diff=True, netns=ns, name="br-t1", kind="bridge", mtu=1400)
    assert planned["changed"] is True and planned["link"]["mtu"] == 1400
    assert "br-t1" not in link_names(ns)

    run_module("ip_link", netns=ns, name="br-t1", kind="bridge", mtu=1400)
    planned = run_module("ip_link", check=True, diff=True, netns=ns, name="br-t1", kind="bridge", mtu=1300, admin_state="up")
    assert planned["changed"] is True
    assert planned["diff"] == {"before": {"mtu": 1400, "admin_state": "down"}, "after": {"mtu": 1300, "admin_state": "up"}}
    assert {c["name"] for c in planned["changes"]} == {"mtu", "admin_state"}
    assert planned["link"]["mtu"] == 1300
    raw = link(ns, "br-t1")
    assert raw["mtu"] == 1400 and "UP" not in raw["flags"]

    planned = run_module("ip_link", check=True, netns=ns, name="br-t1", state="absent")
    assert planned["changed"] is True and "br-t1" in link_names(ns)


def test_in_place_changes_keep_the_link(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("ipl")
    run_module("ip_link", netns=ns, name="br-t1", kind="bridge")
    run_module("ip_link", netns=ns, name="br-t2", kind="bridge")
    made = run_module("ip_link", netns=ns, name="v-a", kind="veth", veth={"peer": "v-b"}, master="br-t1")
    ifindex = made["link"]["ifindex"]
    assert link(ns, "v-a")["master"] == "br-t1"

    steps: list[dict[str, Any]] = [
        {"mtu": 1280}, {"master": "br-t2"}, {"admin_state": "up"}, {"admin_state": "down"},
        {"address": "02:00:0A:E9:00:01"}, {"alias": "port a"}, {"master": ""},
    ]
    for change in steps:
        result = run_module("ip_link", diff=True, netns=ns, name="v-a", kind="veth", veth={"peer": "v-b"}, **change)
        assert result["changed"] is True, (change, result)
        assert list(result["diff"]["after"]) == list(change), result["diff"]
        assert run_module("ip_link", netns=ns, name="v-a", **change)["changed"] is False, change
    raw = link(ns, "v-a")
    assert raw["ifindex"] == ifindex and raw["mtu"] == 1280 and raw["address"] == "02:00:0a:e9:00:01"
    assert "master" not in raw and "UP" not in raw["flags"] and raw["ifalias"] == "port a"


def test_existing_link_without_kind(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("ipl")
    ip(ns, "link", "set", "lo", "down")
    result = run_module("ip_link", netns=ns, name="lo", admin_state="up")
    assert result["changed"] is True and result["link"]["kind"] is None
    assert "UP" in link(ns, "lo")["flags"]
    missing = run_module("ip_link", netns=ns, name="nothere", mtu=1400)
    assert missing["failed"] is True and missing["msg"].startswith("kind: is required"), missing


def test_vxlan_in_place_and_recreation(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("ipl")
    run_module("ip_link", netns=ns, name="under0", kind="veth", veth={"peer": "under1"})
    vx: dict[str, Any] = {"id": 4242, "local": "10.233.9.1", "dev": "under0", "learning": False}
    made = run_module("ip_link", netns=ns, name="vx-t1", kind="vxlan", vxlan=vx)
    assert made["changed"] is True, made
    data = link(ns, "vx-t1")["linkinfo"]["info_data"]
    assert (data["id"], data["local"], data["link"], data["port"], data["learning"]) == (4242, "10.233.9.1", "under0", 4789, False)
    assert run_module("ip_link", netns=ns, name="vx-t1", kind="vxlan", vxlan=vx)["changed"] is False

    changed = run_module("ip_link", diff=True, netns=ns, name="vx-t1", kind="vxlan", vxlan=dict(vx, learning=True, remote="10.233.9.2"))
    assert changed["changed"] is True and changed["diff"]["after"] == {"vxlan.learning": True, "vxlan.remote": "10.233.9.2"}
    data = link(ns, "vx-t1")["linkinfo"]["info_data"]
    assert data["learning"] is True and data["remote"] == "10.233.9.2"
    assert link(ns, "vx-t1")["ifindex"] == made["link"]["ifindex"]
    unset = run_module("ip_link", netns=ns, name="vx-t1", kind="vxlan", vxlan=dict(vx, learning=True))
    assert unset["changed"] is True and "remote" not in link(ns, "vx-t1")["linkinfo"]["info_data"]

    refused = run_module("ip_link", netns=ns, name="vx-t1", kind="vxlan", vxlan=dict(vx, id=4243))
    assert refused["failed"] is True and refused["msg"].startswith("vxlan.id: cannot be changed"), refused
    assert "recreate: true" in refused["msg"]
    assert link(ns, "vx-t1")["linkinfo"]["info_data"]["id"] == 4242

    rebuilt = run_module("ip_link", netns=ns, name="vx-t1", kind="vxlan", vxlan=dict(vx, id=4243, dstport=8472), recreate=True)
    assert rebuilt["changed"] is True, rebuilt
    data = link(ns, "vx-t1")["linkinfo"]["info_data"]
    assert (data["id"], data["port"]) == (4243, 8472)


def test_kind_change_needs_recreate(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("ipl")
    run_module("ip_link", netns=ns, name="x-t1", kind="bridge")
    refused = run_module("ip_link", netns=ns, name="x-t1", kind="tap")
    assert refused["failed"] is True and refused["msg"].startswith("kind: cannot be changed"), refused
    assert link(ns, "x-t1")["linkinfo"]["info_kind"] == "bridge"
    rebuilt = run_module("ip_link", netns=ns, name="x-t1", kind="tap", recreate=True, admin_state="up")
    assert rebuilt["changed"] is True and rebuilt["link"]["kind"] == "tap", rebuilt
    assert link(ns, "x-t1")["linkinfo"]["info_data"]["type"] == "tap"


def test_veth_peer_in_other_namespace(netns_factory: NetnsFactory) -> None:
    ns1, ns2 = netns_factory("ipl"), netns_factory("ipl")
    made = run_module("ip_link", netns=ns1, name="v-one", kind="veth", veth={"peer": "v-two", "peer_netns": ns2})
    assert made["link"]["veth"] == {"peer": "v-two", "peer_netns": ns2}, made
    assert "v-two" in link_names(ns2) and "v-two" not in link_names(ns1)
    other_end = run_module("ip_link", netns=ns2, name="v-two", kind="veth", veth={"peer": "v-one", "peer_netns": ns1})
    assert other_end["changed"] is False, other_end
    moved = run_module("ip_link", netns=ns1, name="v-one", kind="veth", veth={"peer": "v-two"})
    assert moved["failed"] is True and moved["msg"].startswith("veth.peer_netns: cannot be changed"), moved


def test_tap_enslaved_to_bridge(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("ipl")
    run_module("ip_link", netns=ns, name="br-t1", kind="bridge", admin_state="up")
    tap = run_module("ip_link", netns=ns, name="tap-t1", kind="tap", master="br-t1", admin_state="up", mtu=1450)
    assert tap["changed"] is True and tap["link"]["kind"] == "tap" and tap["link"]["master"] == "br-t1", tap
    assert run_module("ip_link", netns=ns, name="tap-t1", kind="tap", master="br-t1", admin_state="up", mtu=1450)["changed"] is False


def test_delete(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("ipl")
    run_module("ip_link", netns=ns, name="v-a", kind="veth", veth={"peer": "v-b"})
    wrong = run_module("ip_link", netns=ns, name="v-a", kind="bridge", state="absent")
    assert wrong["failed"] is True and wrong["msg"].startswith("kind: "), wrong
    gone = run_module("ip_link", diff=True, netns=ns, name="v-a", state="absent")
    assert gone["changed"] is True and gone["link"] is None
    assert gone["diff"] == {"before": {"name": "v-a", "kind": "veth"}, "after": {}}
    assert "v-a" not in link_names(ns) and "v-b" not in link_names(ns)
    assert run_module("ip_link", netns=ns, name="v-a", state="absent")["changed"] is False


def test_failure_after_add_leaves_nothing(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("ipl")
    result = run_module("ip_link", netns=ns, name="br-big", kind="bridge", mtu=70000)
    assert result["failed"] is True and result["rc"] != 0 and result["stderr"], result
    assert "br-big" not in link_names(ns)


@pytest.mark.parametrize("kind", ["dummy", "vlan"])
def test_probed_kinds(netns_factory: NetnsFactory, kind: str) -> None:
    ns = netns_factory("ipl")
    missing = probe_kind(ns, kind)
    if missing is not None:
        result = run_module("ip_link", netns=ns, name="k-t1", kind=kind, **({"vlan": {"id": 10, "parent": "lo"}} if kind == "vlan" else {}))
        assert result["failed"] is True and result["msg"].startswith("kind: the kernel cannot create"), result
        assert "k-t1" not in link_names(ns)
        pytest.skip("kernel has no 8021q: %s" % missing if kind == "vlan" else "kernel has no %s driver: %s" % (kind, missing))
    run_module("ip_link", netns=ns, name="br-t1", kind="bridge")
    extra = {"vlan": {"id": 10, "parent": "br-t1"}} if kind == "vlan" else {}
    made = run_module("ip_link", netns=ns, name="k-t1", kind=kind, mtu=1400, **extra)
    assert made["changed"] is True and made["link"]["kind"] == kind, made
    assert run_module("ip_link", netns=ns, name="k-t1", kind=kind, mtu=1400, **extra)["changed"] is False
    if kind == "vlan":
        assert made["link"]["vlan"] == {"id": 10, "parent": "br-t1"}
        refused = run_module("ip_link", netns=ns, name="k-t1", kind=kind, vlan={"id": 11, "parent": "br-t1"})
        assert refused["failed"] is True and refused["msg"].startswith("vlan.id: cannot be changed"), refused


@pytest.mark.parametrize("params, field", [
    ({"name": "a-very-long-name0", "kind": "bridge"}, "name"),
    ({"name": "bad/name", "kind": "bridge"}, "name"),
    ({"name": "t1", "kind": "tap", "master": "nosuchbr"}, "master"),
    ({"name": "t1", "kind": "bridge", "address": "02:00:00:00:00"}, "address"),
    ({"name": "t1", "kind": "vxlan", "vxlan": {"id": 5, "dev": "nosuchdev"}}, "vxlan.dev"),
    ({"name": "t1", "kind": "vxlan", "vxlan": {"id": 5, "local": "10.233.0.300"}}, "vxlan.local"),
    ({"name": "t1", "kind": "vxlan", "vxlan": {"id": 99999999}}, "vxlan.id"),
    ({"name": "t1", "kind": "vxlan", "vxlan": {"id": 16777216}}, "vxlan.id"),
    ({"name": "t1", "kind": "vxlan", "vxlan": {"id": 0}}, "vxlan.id"),
    ({"name": "t1", "kind": "vxlan", "vxlan": {"id": -1}}, "vxlan.id"),
    ({"name": "t1", "kind": "vxlan", "vxlan": {"id": 5, "dstport": 65536}}, "vxlan.dstport"),
    ({"name": "t1", "kind": "vxlan", "vxlan": {"id": 5, "dev": "underlay-too-long"}}, "vxlan.dev"),
    ({"name": "t1", "kind": "veth", "veth": {"peer": "peer-name-too-long"}}, "veth.peer"),
    ({"name": "nosuch0", "mtu": 1400}, "kind"),
    ({"name": "t1", "kind": "bridge", "mtu": 0}, "mtu"),
    ({"name": "t1", "kind": "bridge", "vxlan": {"id": 5}}, "vxlan"),
    ({"name": "t1", "kind": "veth", "veth": {"peer": "t2", "peer_netns": "stktest-nosuch-ns"}}, "veth.peer_netns"),
    ({"name": "t1", "kind": "veth", "veth": {"peer": "lo"}}, "veth.peer"),
])
def test_bad_input_names_the_field(netns_factory: NetnsFactory, params: dict[str, Any], field: str) -> None:
    ns = netns_factory("ipl")
    result = run_module("ip_link", netns=ns, **params)
    assert result["failed"] is True
    assert result["msg"].startswith(field + ": "), result["msg"]
    if field == "vxlan.id":
        assert "between 1 and 16777215" in result["msg"], result["msg"]
    assert link_names(ns) == ["lo"]


def test_unknown_netns() -> None:
    result = run_module("ip_link", netns="stktest-no-such-ns", name="br0", kind="bridge")
    assert result["failed"] is True
    assert result["msg"].startswith("netns: network namespace 'stktest-no-such-ns' does not exist"), result["msg"]
