"""stackling.cloud.ip_address against the real kernel, inside namespaces made by each test."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.collection import run_module
from tests.support.netns import NetnsFactory, addresses, ip, ping, veth


def veth_in(ns: str) -> None:
    """A veth pair inside ``ns``, both ends up (so IPv6 link-local addresses appear)."""
    veth(ns, "a0", ns, "a1")


def test_add_is_idempotent_and_normalised(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("ipa")
    veth_in(ns)
    want = ["10.233.1.1/24", "FD00:233:0::1/64", "10.233.2.1/24"]
    added = run_module("ip_address", diff=True, netns=ns, dev="a0", addresses=want)
    assert added["changed"] is True, added
    assert added["added"] == ["10.233.1.1/24", "10.233.2.1/24", "fd00:233::1/64"]
    assert added["diff"]["after"]["addresses"][:3] == ["10.233.1.1/24", "10.233.2.1/24", "fd00:233::1/64"]
    assert {"10.233.1.1/24", "10.233.2.1/24", "fd00:233::1/64"} <= set(addresses(ns, "a0"))
    again = run_module("ip_address", diff=True, netns=ns, dev="a0", addresses=want)
    assert again["changed"] is False and again["commands"] == [] and again["diff"] == {"before": {}, "after": {}}, again


def test_check_mode_changes_nothing(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("ipa")
    veth_in(ns)
    before = addresses(ns, "a0")
    planned = run_module("ip_address", check=True, diff=True, netns=ns, dev="a0", addresses=["10.233.1.1/24"])
    assert planned["changed"] is True and planned["added"] == ["10.233.1.1/24"]
    assert "10.233.1.1/24" in planned["addresses"]
    assert planned["diff"]["before"]["addresses"] == before
    assert addresses(ns, "a0") == before

    ip(ns, "address", "add", "10.233.1.1/24", "dev", "a0")
    planned = run_module("ip_address", check=True, netns=ns, dev="a0", addresses=["10.233.1.1/24"], state="absent")
    assert planned["changed"] is True and planned["removed"] == ["10.233.1.1/24"]
    assert "10.233.1.1/24" in addresses(ns, "a0")


def test_absent(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("ipa")
    veth_in(ns)
    ip(ns, "address", "add", "10.233.1.1/24", "dev", "a0")
    ip(ns, "address", "add", "10.233.3.1/24", "dev", "a0")
    gone = run_module("ip_address", netns=ns, dev="a0", addresses=["10.233.1.1/24", "10.233.4.4/24"], state="absent")
    assert gone["changed"] is True and gone["removed"] == ["10.233.1.1/24"], gone
    assert "10.233.1.1/24" not in addresses(ns, "a0") and "10.233.3.1/24" in addresses(ns, "a0")
    assert run_module("ip_address", netns=ns, dev="a0", addresses=["10.233.1.1/24"], state="absent")["changed"] is False


def test_exclusive_keeps_ipv6_link_local(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("ipa")
    veth_in(ns)
    for extra in ("10.233.1.1/24", "10.233.1.2/24", "10.233.5.1/16", "fd00:233::9/64"):
        ip(ns, "address", "add", extra, "dev", "a0")
    link_local = [a for a in addresses(ns, "a0") if a.startswith("fe80:")]
    assert link_local, "the kernel made no IPv6 link-local address on an up veth"
    # 10.233.1.1 is the primary of its subnet: removing it drops the secondary 10.233.1.2 too,
    # which the module must add back.
    result = run_module("ip_address", diff=True, netns=ns, dev="a0", addresses=["10.233.1.2/24", "fd00:233::1/64"], exclusive=True)
    assert result["changed"] is True, result
    assert result["removed"] == ["10.233.1.1/24", "10.233.5.1/16", "fd00:233::9/64"]
    assert sorted(addresses(ns, "a0")) == sorted(["10.233.1.2/24", "fd00:233::1/64"] + link_local)
    assert result["addresses"] == ["10.233.1.2/24", "fd00:233::1/64"] + link_local
    again = run_module("ip_address", netns=ns, dev="a0", addresses=["10.233.1.2/24", "fd00:233::1/64"], exclusive=True)
    assert again["changed"] is False, again

    emptied = run_module("ip_address", netns=ns, dev="a0", addresses=[], exclusive=True)
    assert emptied["changed"] is True and addresses(ns, "a0") == link_local


def test_veth_across_namespaces_pings(netns_factory: NetnsFactory) -> None:
    ns1, ns2 = netns_factory("ipa"), netns_factory("ipa")
    made = run_module("ip_link", netns=ns1, name="p-one", kind="veth", veth={"peer": "p-two", "peer_netns": ns2}, admin_state="up")
    assert made["changed"] is True, made
    assert run_module("ip_link", netns=ns2, name="p-two", admin_state="up")["changed"] is True
    assert run_module("ip_address", netns=ns1, dev="p-one", addresses=["10.233.10.1/24"])["changed"] is True
    assert run_module("ip_address", netns=ns2, dev="p-two", addresses=["10.233.10.2/24"])["changed"] is True
    assert ping(ns1, "10.233.10.2"), "no ICMP echo reply from %s over the veth" % ns2
    assert ping(ns2, "10.233.10.1")


@pytest.mark.parametrize("params, field", [
    ({"dev": "a0", "addresses": ["10.233.1.1"]}, "addresses[0]"),
    ({"dev": "a0", "addresses": ["10.233.1.1/24", "10.233.1.300/24"]}, "addresses[1]"),
    ({"dev": "a0", "addresses": ["fd00::1/129"]}, "addresses[0]"),
    ({"dev": "nosuch0", "addresses": ["10.233.1.1/24"]}, "dev"),
    ({"dev": "a-very-long-name0", "addresses": ["10.233.1.1/24"]}, "dev"),
    ({"dev": "a0", "addresses": ["10.233.1.1/24"], "state": "absent", "exclusive": True}, "exclusive"),
    ({"netns": "stktest-no-such-ns", "dev": "a0", "addresses": ["10.233.1.1/24"]}, "netns"),
])
def test_bad_input_names_the_field(netns_factory: NetnsFactory, params: dict[str, Any], field: str) -> None:
    ns = netns_factory("ipa")
    veth_in(ns)
    result = run_module("ip_address", **dict({"netns": ns}, **params))
    assert result["failed"] is True
    assert result["msg"].startswith(field + ": "), result["msg"]
    assert not [a for a in addresses(ns, "a0") if not a.startswith("fe80:")]
