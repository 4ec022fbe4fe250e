"""stackling.cloud.ip_route against the real kernel, inside namespaces made by each test."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.collection import run_module
from tests.support.netns import NetnsFactory, ip, ip_json, veth


def routed_ns(netns_factory: NetnsFactory) -> str:
    """A namespace with an up veth a0 on 10.233.1.1/24 and fd00:233:1::1/64."""
    ns = netns_factory("ipr")
    veth(ns, "a0", ns, "a1")
    veth(ns, "b0", ns, "b1")
    ip(ns, "address", "add", "10.233.1.1/24", "dev", "a0")
    ip(ns, "address", "add", "10.233.2.1/24", "dev", "b0")
    ip(ns, "address", "add", "fd00:233:1::1/64", "dev", "a0", "nodad")
    return ns


def routes(ns: str, *args: str) -> list[dict[str, Any]]:
    return [r for r in ip_json(ns, "route", "show", *args) if r.get("protocol") != "kernel"]


def test_create_is_idempotent(netns_factory: NetnsFactory) -> None:
    ns = routed_ns(netns_factory)
    made = run_module("ip_route", diff=True, netns=ns, dest="10.233.50.0/24", via="10.233.1.2")
    assert made["changed"] is True, made
    assert made["route"] == {"family": 4, "table": 254, "dest": "10.233.50.0/24", "metric": 0,
                             "via": "10.233.1.2", "dev": "a0", "scope": "global"}
    assert made["diff"]["before"] == {} and made["diff"]["after"]["via"] == "10.233.1.2"
    [route] = routes(ns, "exact", "10.233.50.0/24")
    assert route["gateway"] == "10.233.1.2" and route["dev"] == "a0"
    again = run_module("ip_route", diff=True, netns=ns, dest="10.233.50.0/24", via="10.233.1.2")
    assert again["changed"] is False and again["commands"] == [], again


def test_default_host_and_ipv6_routes(netns_factory: NetnsFactory) -> None:
    ns = routed_ns(netns_factory)
    cases: list[dict[str, Any]] = [
        {"dest": "default", "via": "10.233.1.254"},
        {"dest": "10.233.60.7", "dev": "a0"},
        {"dest": "fd00:233:99::/64", "via": "FD00:233:1::FE"},
        {"dest": "::/0", "dev": "a0", "metric": 2048},
        {"dest": "10.233.70.0/24", "via": "10.233.1.9", "table": "100", "metric": 10},
    ]
    for params in cases:
        assert run_module("ip_route", netns=ns, **params)["changed"] is True, params
        again = run_module("ip_route", netns=ns, **params)
        assert again["changed"] is False, (params, again)
    assert routes(ns, "exact", "default")[0]["gateway"] == "10.233.1.254"
    assert routes(ns, "exact", "10.233.60.7/32")[0]["scope"] == "link"
    assert ip_json(ns, "-6", "route", "show", "exact", "fd00:233:99::/64")[0]["gateway"] == "fd00:233:1::fe"
    assert ip_json(ns, "-6", "route", "show", "exact", "::/0")[0]["metric"] == 2048
    assert ip_json(ns, "route", "show", "table", "100")[0]["metric"] == 10


def test_check_mode_changes_nothing(netns_factory: NetnsFactory) -> None:
    ns = routed_ns(netns_factory)
    planned = run_module("ip_route", check=True, netns=ns, dest="10.233.50.0/24", via="10.233.1.2")
    assert planned["changed"] is True and planned["route"]["via"] == "10.233.1.2"
    assert routes(ns, "exact", "10.233.50.0/24") == []
    ip(ns, "route", "add", "10.233.50.0/24", "via", "10.233.1.2")
    planned = run_module("ip_route", check=True, diff=True, netns=ns, dest="10.233.50.0/24", via="10.233.2.2")
    assert planned["diff"] == {"before": {"via": "10.233.1.2"}, "after": {"via": "10.233.2.2"}}
    assert routes(ns, "exact", "10.233.50.0/24")[0]["gateway"] == "10.233.1.2"
    planned = run_module("ip_route", check=True, netns=ns, dest="10.233.50.0/24", state="absent")
    assert planned["changed"] is True and routes(ns, "exact", "10.233.50.0/24")


def test_attributes_change_in_place(netns_factory: NetnsFactory) -> None:
    ns = routed_ns(netns_factory)
    run_module("ip_route", netns=ns, dest="10.233.50.0/24", via="10.233.1.2")
    moved = run_module("ip_route", diff=True, netns=ns, dest="10.233.50.0/24", via="10.233.2.2")
    assert moved["changed"] is True and moved["diff"] == {"before": {"via": "10.233.1.2"}, "after": {"via": "10.233.2.2"}}
    [route] = routes(ns, "exact", "10.233.50.0/24")
    assert route["gateway"] == "10.233.2.2" and route["dev"] == "b0"
    direct = run_module("ip_route", diff=True, netns=ns, dest="10.233.50.0/24", dev="a0")
    assert direct["changed"] is True
    assert direct["diff"]["after"] == {"via": None, "scope": "link", "dev": "a0"}, direct["diff"]
    [route] = routes(ns, "exact", "10.233.50.0/24")
    assert "gateway" not in route and route["dev"] == "a0" and route["scope"] == "link"
    # another metric is another route
    run_module("ip_route", netns=ns, dest="10.233.50.0/24", via="10.233.2.2", metric=200)
    assert len(routes(ns, "exact", "10.233.50.0/24")) == 2


def test_absent(netns_factory: NetnsFactory) -> None:
    ns = routed_ns(netns_factory)
    ip(ns, "route", "add", "10.233.50.0/24", "via", "10.233.1.2", "metric", "5")
    ip(ns, "route", "add", "10.233.50.0/24", "via", "10.233.1.3")
    gone = run_module("ip_route", diff=True, netns=ns, dest="10.233.50.0/24", metric=5, state="absent")
    assert gone["changed"] is True and gone["route"] is None, gone
    assert gone["diff"]["after"] == {} and gone["diff"]["before"]["via"] == "10.233.1.2"
    [left] = routes(ns, "exact", "10.233.50.0/24")
    assert left["gateway"] == "10.233.1.3"
    assert run_module("ip_route", netns=ns, dest="10.233.50.0/24", metric=5, state="absent")["changed"] is False


@pytest.mark.parametrize("params, field", [
    ({"dest": "10.233.50.0/33", "via": "10.233.1.2"}, "dest"),
    ({"dest": "10.233.50.1/24", "via": "10.233.1.2"}, "dest"),
    ({"dest": "not-a-net", "dev": "a0"}, "dest"),
    ({"dest": "10.233.50.0/24", "via": "10.233.1"}, "via"),
    ({"dest": "10.233.50.0/24", "via": "fd00:233:1::2"}, "via"),
    ({"dest": "10.233.50.0/24", "dev": "nosuch0"}, "dev"),
    ({"dest": "10.233.50.0/24", "dev": "a-very-long-name0"}, "dev"),
    ({"dest": "10.233.50.0/24", "dev": "a0", "table": "nosuchtable"}, "table"),
    ({"dest": "fd00:233:5::/64", "dev": "a0", "scope": "link"}, "scope"),
    ({"netns": "stktest-no-such-ns", "dest": "10.233.50.0/24", "dev": "a0"}, "netns"),
])
def test_bad_input_names_the_field(netns_factory: NetnsFactory, params: dict[str, Any], field: str) -> None:
    ns = routed_ns(netns_factory)
    result = run_module("ip_route", **dict({"netns": ns}, **params))
    assert result["failed"] is True
    assert result["msg"].startswith(field + ": "), result["msg"]
    assert routes(ns) == []
