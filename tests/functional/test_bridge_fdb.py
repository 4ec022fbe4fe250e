"""stackling.cloud.bridge_fdb against the real kernel, inside namespaces made by each test."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.collection import run_module
from tests.support.netns import NetnsFactory, bridge_json, ip, ping, sh

ZERO = "00:00:00:00:00:00"


def fdb(ns: str, dev: str = "vx0") -> list[tuple[str, str]]:
    """Static self entries with a destination, as (mac, dst)."""
    return sorted((e["mac"], e["dst"]) for e in bridge_json(ns, "fdb", "show", "dev", dev)
                  if "dst" in e and "self" in e["flags"] and e.get("state") == "permanent")


def vxlan_ns(netns_factory: NetnsFactory, **vxlan: Any) -> str:
    ns = netns_factory("fdb")
    ip(ns, "link", "add", "vx0", "type", "vxlan", "id", "7", "dstport", "4789", *[str(a) for kv in vxlan.items() for a in kv])
    return ns


def test_entries_are_idempotent_and_diffed(netns_factory: NetnsFactory) -> None:
    ns = vxlan_ns(netns_factory)
    entries = [{"mac": ZERO, "dst": "10.233.100.2"}, {"mac": ZERO, "dst": "10.233.100.3"},
               {"mac": "FA:16:3E:00:00:07", "dst": "10.233.100.3"}]
    made = run_module("bridge_fdb", diff=True, netns=ns, dev="vx0", entries=entries)
    assert made["changed"] is True, made
    expected = [(ZERO, "10.233.100.2"), (ZERO, "10.233.100.3"), ("fa:16:3e:00:00:07", "10.233.100.3")]
    assert fdb(ns) == expected
    assert made["diff"] == {"before": {"entries": []}, "after": {"entries": [{"mac": m, "dst": d} for m, d in expected]}}
    assert sum("fdb append" in c for c in made["commands"]) == 2 and sum("fdb replace" in c for c in made["commands"]) == 1
    again = run_module("bridge_fdb", diff=True, netns=ns, dev="vx0", entries=entries)
    assert again["changed"] is False and again["commands"] == [], again


def test_check_mode_changes_nothing(netns_factory: NetnsFactory) -> None:
    ns = vxlan_ns(netns_factory)
    planned = run_module("bridge_fdb", check=True, netns=ns, dev="vx0", entries=[{"mac": ZERO, "dst": "10.233.100.2"}])
    assert planned["changed"] is True and planned["entries"] == [{"mac": ZERO, "dst": "10.233.100.2"}]
    assert fdb(ns) == []
    ip(ns, "link", "set", "vx0", "up")
    planned = run_module("bridge_fdb", check=True, netns=ns, dev="vx0", entries=[], exclusive=True)
    assert planned["changed"] is False


def test_unicast_mac_moves_to_new_vtep(netns_factory: NetnsFactory) -> None:
    ns = vxlan_ns(netns_factory)
    run_module("bridge_fdb", netns=ns, dev="vx0", entries=[{"mac": "fa:16:3e:00:00:07", "dst": "10.233.100.2"}])
    moved = run_module("bridge_fdb", diff=True, netns=ns, dev="vx0", entries=[{"mac": "fa:16:3e:00:00:07", "dst": "10.233.100.3"}])
    assert moved["changed"] is True and moved["removed"] == [{"mac": "fa:16:3e:00:00:07", "dst": "10.233.100.2"}], moved
    assert fdb(ns) == [("fa:16:3e:00:00:07", "10.233.100.3")]


def test_exclusive_and_absent(netns_factory: NetnsFactory) -> None:
    ns = vxlan_ns(netns_factory, remote="10.233.100.9")
    ip(ns, "link", "add", "br0", "type", "bridge")
    ip(ns, "link", "set", "vx0", "master", "br0")
    for dst in ("10.233.100.2", "10.233.100.3", "10.233.100.4"):
        sh("bridge", "-n", ns, "fdb", "append", ZERO, "dev", "vx0", "dst", dst, "self", "permanent")
    keep = [{"mac": ZERO, "dst": "10.233.100.3"}]
    result = run_module("bridge_fdb", diff=True, netns=ns, dev="vx0", entries=keep, exclusive=True)
    assert result["changed"] is True, result
    assert result["removed"] == [{"mac": ZERO, "dst": "10.233.100.2"}, {"mac": ZERO, "dst": "10.233.100.4"}]
    # the device's own remote (ip_link's vxlan.remote) and the bridge's entries are left alone
    assert fdb(ns) == [(ZERO, "10.233.100.3"), (ZERO, "10.233.100.9")]
    assert any(e.get("master") == "br0" for e in bridge_json(ns, "fdb", "show", "dev", "vx0"))
    assert run_module("bridge_fdb", netns=ns, dev="vx0", entries=keep, exclusive=True)["changed"] is False

    gone = run_module("bridge_fdb", netns=ns, dev="vx0", entries=keep + [{"mac": ZERO, "dst": "10.233.100.8"}], state="absent")
    assert gone["changed"] is True and gone["removed"] == keep, gone
    assert fdb(ns) == [(ZERO, "10.233.100.9")]


def node(ns: str, underlay: str, local: str, overlay: str) -> None:
    """Bridge + VXLAN (learning off) + overlay address, all through the modules."""
    steps: list[tuple[str, dict[str, Any]]] = [
        ("ip_address", {"dev": underlay, "addresses": [local + "/24"]}),
        ("ip_link", {"name": "br-t7", "kind": "bridge", "admin_state": "up"}),
        ("ip_link", {"name": "vx-t7", "kind": "vxlan", "master": "br-t7", "admin_state": "up",
                     "vxlan": {"id": 7, "local": local, "dev": underlay, "learning": False}}),
        ("ip_address", {"dev": "br-t7", "addresses": [overlay + "/24"]}),
    ]
    for module, params in steps:
        result = run_module(module, netns=ns, **params)
        assert result["changed"] is True, (module, result)


def test_vxlan_between_namespaces_pings_with_static_flooding(netns_factory: NetnsFactory) -> None:
    ns1, ns2 = netns_factory("fdb"), netns_factory("fdb")
    run_module("ip_link", netns=ns1, name="u1", kind="veth", veth={"peer": "u2", "peer_netns": ns2}, admin_state="up")
    run_module("ip_link", netns=ns2, name="u2", admin_state="up")
    node(ns1, "u1", "10.233.100.1", "10.233.200.1")
    node(ns2, "u2", "10.233.100.2", "10.233.200.2")
    assert not ping(ns1, "10.233.200.2"), "VXLAN traffic flowed before any FDB entry existed"

    for ns, peer in ((ns1, "10.233.100.2"), (ns2, "10.233.100.1")):
        result = run_module("bridge_fdb", netns=ns, dev="vx-t7", entries=[{"mac": ZERO, "dst": peer}])
        assert result["changed"] is True, result
    assert ping(ns1, "10.233.200.2"), "no ICMP echo reply across the VXLAN"
    assert ping(ns2, "10.233.200.1")
    learned = [e for e in bridge_json(ns1, "fdb", "show", "dev", "vx-t7") if "self" in e["flags"] and e["mac"] != ZERO]
    assert learned == [], "learning is off: the VXLAN device must not learn remote MACs"


@pytest.mark.parametrize("params, field", [
    ({"dev": "br0", "entries": []}, "dev"),
    ({"dev": "nosuch0", "entries": []}, "dev"),
    ({"dev": "vx0", "entries": [{"mac": "00:00:00:00:00", "dst": "10.233.1.1"}]}, "entries[0].mac"),
    ({"dev": "vx0", "entries": [{"mac": ZERO, "dst": "10.233.1.1"}, {"mac": ZERO, "dst": "10.233.1"}]}, "entries[1].dst"),
    ({"dev": "vx0", "entries": [{"mac": "fa:16:3e:00:00:01", "dst": "10.233.1.1"},
                                {"mac": "fa:16:3e:00:00:01", "dst": "10.233.1.2"}]}, "entries[1].mac"),
    ({"dev": "vx0", "entries": [], "state": "absent", "exclusive": True}, "exclusive"),
    ({"netns": "stktest-no-such-ns", "dev": "vx0", "entries": []}, "netns"),
])
def test_bad_input_names_the_field(netns_factory: NetnsFactory, params: dict[str, Any], field: str) -> None:
    ns = vxlan_ns(netns_factory)
    ip(ns, "link", "add", "br0", "type", "bridge")
    result = run_module("bridge_fdb", **dict({"netns": ns}, **params))
    assert result["failed"] is True
    assert result["msg"].startswith(field + ": "), result["msg"]
    assert fdb(ns) == []
