"""stackling.cloud.nft_table against real nftables, only inside network namespaces made by the tests."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.collection import run_module
from tests.support.netns import NetnsFactory, ip, ping, sh, veth

from ansible_collections.stackling.cloud.plugins.module_utils import _nft
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput


@pytest.fixture()
def pair(netns_factory: NetnsFactory) -> dict[str, str]:
    """Two namespaces joined by a veth pair: a (veth0, .1/24) and b (veth1, .2/24)."""
    a, b = netns_factory("nft"), netns_factory("nft")
    net = "10.234.%d" % secrets.randbelow(250)
    veth(a, "veth0", b, "veth1", net + ".1/24", net + ".2/24")
    return {"a": a, "b": b, "a_ip": net + ".1", "b_ip": net + ".2"}


def tables(ns: str) -> list[str]:
    listing = json.loads(sh("ip", "netns", "exec", ns, "nft", "-j", "list", "tables").stdout)
    return ["%s %s" % (obj["table"]["family"], obj["table"]["name"]) for obj in listing["nftables"] if "table" in obj]


def table_text(ns: str, family: str, name: str) -> str:
    return sh("ip", "netns", "exec", ns, "nft", "-s", "list", "table", family, name).stdout


FILTER = [{
    "name": "input", "hook": "input", "policy": "drop",
    "rules": ["ct state established,related accept", 'iifname "lo" accept', "tcp dport { 22, 80 } accept"],
}]


def test_create_check_mode_idempotence_diff_and_remove(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("nft")
    planned = run_module("nft_table", check=True, diff=True, name="guard", netns=ns, chains=FILTER)
    assert planned["changed"] and not planned["failed"], planned
    assert "tcp dport { 22, 80 } accept" in planned["diff"]["after"] and planned["diff"]["before"] == ""
    assert tables(ns) == []

    created = run_module("nft_table", name="guard", netns=ns, chains=FILTER)
    assert created["changed"], created
    assert tables(ns) == ["inet guard"]
    assert created["text"] == table_text(ns, "inet", "guard")
    assert {"table": {"family": "inet", "name": "guard"}} in created["nftables"]
    assert not any("handle" in body for obj in created["nftables"] for body in obj.values())

    again = run_module("nft_table", name="guard", netns=ns, chains=FILTER)
    assert not again["changed"] and "script" not in again, again

    gone = run_module("nft_table", check=True, name="guard", netns=ns, state="absent")
    assert gone["changed"] and tables(ns) == ["inet guard"]
    gone = run_module("nft_table", diff=True, name="guard", netns=ns, state="absent")
    assert gone["changed"] and gone["diff"]["after"] == "" and "chain input" in gone["diff"]["before"]
    assert tables(ns) == []
    assert not run_module("nft_table", name="guard", netns=ns, state="absent")["changed"]


def test_modify_a_rule_shows_diff_and_check_mode_keeps_the_old_one(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("nft")
    assert run_module("nft_table", name="guard", netns=ns, chains=FILTER)["changed"]
    chains = [dict(FILTER[0], rules=FILTER[0]["rules"][:2] + ["tcp dport 443 accept"])]

    planned = run_module("nft_table", check=True, diff=True, name="guard", netns=ns, chains=chains)
    assert planned["changed"]
    assert "tcp dport { 22, 80 } accept" in planned["diff"]["before"]
    assert "tcp dport 443 accept" in planned["diff"]["after"]
    assert "tcp dport { 22, 80 }" in table_text(ns, "inet", "guard")

    changed = run_module("nft_table", diff=True, name="guard", netns=ns, chains=chains)
    assert changed["changed"] and "tcp dport 443 accept" in table_text(ns, "inet", "guard")
    assert "dport { 22, 80 }" not in table_text(ns, "inet", "guard")
    assert not run_module("nft_table", name="guard", netns=ns, chains=chains)["changed"]


@pytest.mark.parametrize("written, other_form", [
    ("ct state related,established accept", "ct state established,related accept"),
    ("ip daddr 203.0.113.5 dnat to 10.0.0.5", "ip daddr 203.0.113.5 dnat ip to 10.0.0.5"),
    ("tcp dport {80,22} accept", "tcp dport { 22, 80 } accept"),
    ('ip saddr 10.0.0.0/24 oif "veth0" masquerade', 'ip saddr 10.0.0.0/24 oif veth0 masquerade'),
])
def test_canonical_and_non_canonical_forms_are_idempotent(pair: dict[str, str], written: str, other_form: str) -> None:
    ns = pair["a"]
    chain_type = "filter" if "accept" in written else "nat"
    hook = {"filter": "forward", "nat": "prerouting" if "dnat" in written else "postrouting"}[chain_type]

    def chains(rule: str, priority: Any = None) -> list[dict[str, Any]]:
        return [{"name": "c", "type": chain_type, "hook": hook, "priority": priority, "rules": [rule]}]

    assert run_module("nft_table", name="forms", netns=ns, chains=chains(written))["changed"]
    for rule in (written, other_form):
        result = run_module("nft_table", name="forms", netns=ns, chains=chains(rule))
        assert not result["changed"] and not result["failed"], (rule, result)
    default = 0 if chain_type == "filter" else (-100 if hook == "prerouting" else 100)
    named = {0: "filter", -100: "dstnat", 100: "srcnat"}[default]
    for priority in (default, str(default), named):
        assert not run_module("nft_table", name="forms", netns=ns, chains=chains(written, priority))["changed"], priority


def test_drop_rule_stops_ping_and_removing_it_restores_it(pair: dict[str, str]) -> None:
    assert ping(pair["a"], pair["b_ip"])
    chains = [{"name": "input", "hook": "input", "rules": ["ip saddr %s icmp type echo-request drop" % pair["a_ip"]]}]
    assert run_module("nft_table", name="guard", family="ip", netns=pair["b"], chains=chains)["changed"]
    assert not ping(pair["a"], pair["b_ip"], deadline=1)

    assert run_module("nft_table", name="guard", family="ip", netns=pair["b"], state="absent")["changed"]
    assert ping(pair["a"], pair["b_ip"])


def test_snat_and_dnat_table_loads(pair: dict[str, str]) -> None:
    ns = pair["a"]
    chains = [
        {"name": "prerouting", "type": "nat", "hook": "prerouting", "rules": ["ip daddr 203.0.113.5 dnat to 10.0.0.5"]},
        {"name": "postrouting", "type": "nat", "hook": "postrouting",
         "rules": ['ip saddr 10.0.0.0/24 oif "veth0" masquerade']},
    ]
    result = run_module("nft_table", name="router", family="ip", netns=ns, chains=chains)
    assert result["changed"] and not result["failed"], result
    text = table_text(ns, "ip", "router")
    assert "dnat to 10.0.0.5" in text and 'oif "veth0" masquerade' in text
    assert "type nat hook prerouting priority dstnat" in text
    assert not run_module("nft_table", name="router", family="ip", netns=ns, chains=chains)["changed"]


FLOATING_IP, SERVICE = "10.237.1.100", "10.237.2.10"


def fetch(ns: str, url: str) -> str | None:
    """GET ``url`` from namespace ``ns`` with python's urllib (3 s timeout): the body, or None on failure."""
    code = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode())"
    proc = sh("ip", "netns", "exec", ns, sys.executable, "-c", code, url, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


@pytest.fixture()
def routed(netns_factory: NetnsFactory, tmp_path: Path) -> Iterator[dict[str, str]]:
    """client (10.237.1.10) -- router (10.237.1.1, floating IP 10.237.1.100; 10.237.2.1) -- server (10.237.2.10),
    with an HTTP server on 10.237.2.10:8080 in the server namespace, killed by its pid afterwards."""
    client, router, server = netns_factory("nftc"), netns_factory("nftr"), netns_factory("nfts")
    veth(client, "eth0", router, "qr-client", "10.237.1.10/24", "10.237.1.1/24")
    veth(server, "eth0", router, "qr-server", SERVICE + "/24", "10.237.2.1/24")
    ip(router, "address", "add", FLOATING_IP + "/32", "dev", "qr-client")  # the router answers ARP for it
    ip(client, "route", "add", "default", "via", "10.237.1.1")
    ip(server, "route", "add", "default", "via", "10.237.2.1")
    sh("ip", "netns", "exec", router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
    token = "stktest-" + secrets.token_hex(8)
    (tmp_path / "index.html").write_text(token)
    service = subprocess.Popen(["ip", "netns", "exec", server, sys.executable, "-m", "http.server", "--bind", SERVICE, "8080"],
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            if fetch(client, "http://%s:8080/" % SERVICE) == token:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the HTTP server in %s never answered" % server)
        yield {"client": client, "router": router, "token": token}
    finally:
        service.kill()  # `ip netns exec` execs python, so this pid is the server's
        service.wait(timeout=10)


def test_dnat_makes_the_floating_ip_reach_the_service(routed: dict[str, str]) -> None:
    client, router, url = routed["client"], routed["router"], "http://%s/" % FLOATING_IP
    assert fetch(client, url) is None, "the floating IP answered before any DNAT rule existed"
    chains = [{"name": "prerouting", "type": "nat", "hook": "prerouting",
               "rules": ["ip daddr %s tcp dport 80 dnat to %s:8080" % (FLOATING_IP, SERVICE)]}]
    created = run_module("nft_table", name="floating", family="ip", netns=router, chains=chains)
    assert created["changed"] and not created["failed"], created
    assert not run_module("nft_table", name="floating", family="ip", netns=router, chains=chains)["changed"]
    assert fetch(client, url) == routed["token"], "the DNAT rule did not bring the client to the service"

    removed = run_module("nft_table", name="floating", family="ip", netns=router, state="absent")
    assert removed["changed"] and tables(router) == [], removed
    assert fetch(client, url) is None, "the floating IP still reached the service after the table was removed"


def test_netdev_ingress_on_a_device_and_named_priorities(pair: dict[str, str]) -> None:
    ns = pair["a"]
    ingress = [{"name": "in", "hook": "ingress", "device": "veth0", "priority": "filter",
                "rules": ["ip saddr 192.0.2.1 drop"]}]
    assert run_module("nft_table", name="edge", family="netdev", netns=ns, chains=ingress)["changed"]
    assert 'hook ingress device "veth0"' in table_text(ns, "netdev", "edge")
    assert not run_module("nft_table", name="edge", family="netdev", netns=ns, chains=ingress)["changed"]
    nat = [{"name": "post", "type": "nat", "hook": "postrouting", "priority": "srcnat + 10", "rules": ["masquerade"]}]
    assert run_module("nft_table", name="outbound", family="ip", netns=ns, chains=nat)["changed"]
    assert not run_module("nft_table", name="outbound", family="ip", netns=ns, chains=[dict(nat[0], priority=110)])["changed"]


def test_sets_and_regular_chains(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("nft")
    sets = [{"name": "admins", "type": "ipv4_addr", "flags": ["interval"], "elements": ["192.0.2.0/24", "10.1.1.1"]},
            {"name": "ports", "type": "inet_service", "elements": ["22", "443"]}]
    chains = [{"name": "input", "hook": "input", "rules": ["jump admin"]},
              {"name": "admin", "rules": ["ip saddr @admins tcp dport @ports counter accept"]}]
    assert run_module("nft_table", name="lists", netns=ns, chains=chains, sets=sets)["changed"]
    reordered = [dict(sets[0], elements=["10.1.1.1", "192.0.2.0/24"]), sets[1]]
    assert not run_module("nft_table", name="lists", netns=ns, chains=list(reversed(chains)), sets=reordered[::-1])["changed"]
    more = [sets[0], dict(sets[1], elements=["22", "443", "8443"])]
    assert run_module("nft_table", name="lists", netns=ns, chains=chains, sets=more)["changed"]
    assert "22, 443, 8443" in table_text(ns, "inet", "lists")


def test_invalid_rule_names_chain_and_index_and_applies_nothing(netns_factory: NetnsFactory) -> None:
    ns = netns_factory("nft")
    assert run_module("nft_table", name="guard", netns=ns, chains=FILTER)["changed"]
    before = table_text(ns, "inet", "guard")
    chains = FILTER + [{"name": "output", "hook": "output", "rules": ["accept", "ip daddr 10.0.0.1 accept",
                                                                      "ip daddr 10.0.0.300 drop"]}]
    result = run_module("nft_table", name="guard", netns=ns, chains=chains)
    assert result["failed"] and result["field"] == "chains[1].rules[2]", result
    assert "rule 2 of chain output" in result["msg"] and "10.0.0.300" in result["msg"]
    assert "Error:" in result["msg"]
    assert table_text(ns, "inet", "guard") == before


@pytest.mark.parametrize("rule, message", [
    ("accept; flush ruleset", "contains ';'"),
    ("accept } table ip evil { chain x { drop", "unbalanced"),
    ("accept\ndrop", "several lines"),
])
def test_rules_cannot_escape_their_chain(netns_factory: NetnsFactory, rule: str, message: str) -> None:
    ns = netns_factory("nft")
    result = run_module("nft_table", name="guard", netns=ns, chains=[{"name": "c", "rules": [rule]}])
    assert result["failed"] and result["msg"].startswith("chains[0].rules[0]: ") and message in result["msg"], result
    assert tables(ns) == []


def test_missing_namespace_is_reported(netns_factory: NetnsFactory) -> None:
    missing = "stktest-" + secrets.token_hex(4)
    result = run_module("nft_table", name="guard", netns=missing, chains=FILTER)
    assert result["failed"] and "does not exist" in result["msg"] and result["msg"].startswith("netns:")
    assert not run_module("nft_table", name="guard", netns=missing, state="absent")["changed"]


def test_hook_options_need_a_hook(netns_factory: NetnsFactory) -> None:
    result = run_module("nft_table", name="guard", netns=netns_factory("nft"), chains=[{"name": "c", "policy": "drop"}])
    assert result["failed"] and result["msg"].startswith("chains[0].hook: is required when policy is set")


# Normalisers, without a kernel.

def test_canonical_ignores_handles_counters_order_and_dynamic_elements() -> None:
    def listing(handle: int, elems: list[Any], rules: list[str]) -> list[dict[str, Any]]:
        return [{"metainfo": {"version": "1"}}, {"table": {"family": "inet", "name": "t", "handle": handle}},
                {"set": {"name": "d", "flags": ["dynamic"], "elem": elems, "handle": handle + 1}},
                {"chain": {"name": "a", "handle": handle + 2}}, {"chain": {"name": "b", "handle": handle + 3}}] + [
                {"rule": {"chain": "a", "handle": handle + 4 + i, "expr": [{"set": [r, "x"]}]}}
                for i, r in enumerate(rules)]

    one = listing(1, ["1.1.1.1"], ["p", "q"])
    two = listing(7, [], ["p", "q"])
    two[3], two[4] = two[4], two[3]
    assert _nft.canonical(one) == _nft.canonical(two)
    assert _nft.canonical(one) != _nft.canonical(listing(1, [], ["q", "p"]))
    assert all("handle" not in body for obj in _nft.without_handles(one) for body in obj.values())


def test_replace_script_maps_each_line_to_its_option() -> None:
    table = _nft.normalize_table("inet", "t", [{"name": "c", "hook": "input", "rules": ["accept", "drop"]}], [])
    script, fields = _nft.replace_script(table)
    lines = script.splitlines()
    assert lines[:3] == ["table inet t", "delete table inet t", "table inet t {"]
    assert "type filter hook input priority 0; policy accept;" in lines[4]
    assert fields[lines.index("\t\tdrop")] == ("chains[0].rules[1]", "rule 1 of chain c")


def test_check_statement_allows_quoted_separators() -> None:
    assert _nft.check_statement("r", 'comment "a; b # {" accept') == 'comment "a; b # {" accept'
    with pytest.raises(InvalidInput, match="one element per list item"):
        _nft.check_statement("e", "1.1.1.1, 2.2.2.2", "element")


def test_keyword_table_name_is_reported_as_name(netns_factory: NetnsFactory) -> None:
    result = run_module("nft_table", name="sets", netns=netns_factory("nft"), chains=FILTER)
    assert result["failed"] and result["msg"].startswith("name: nft does not accept 'sets'"), result
