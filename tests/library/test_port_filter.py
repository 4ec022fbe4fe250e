"""The rendering of a port's security groups as nft tables (stackling.networking.port_filter):
pure functions, no database. That every kind of rule loads into a real nft is checked in
tests/functional/test_port_security.py."""

from __future__ import annotations

from stackling.networking.port_filter import PortFilter, bridge_table, inet_table, port_security_absent, rule_statement
from stackling.networking.security_groups import SecurityGroupRule

def rule(
    direction: str = "ingress",
    protocol: str = "any",
    low: int | None = None,
    high: int | None = None,
    prefix: str | None = None,
    group: str | None = None,
    ethertype: str = "IPv4",
) -> SecurityGroupRule:
    return SecurityGroupRule("r", "g", "p", direction, ethertype, protocol, low, high, prefix, group, "")


def test_rule_statements() -> None:
    assert rule_statement(rule()) == "meta nfproto ipv4 accept"
    assert (
        rule_statement(rule(protocol="tcp", low=22, high=22)) == "meta nfproto ipv4 meta l4proto tcp th dport 22 accept"
    )
    assert rule_statement(rule("egress", "udp", 1000, 2000, prefix="10.0.0.0/8")) == (
        "meta nfproto ipv4 ip daddr 10.0.0.0/8 meta l4proto udp th dport 1000-2000 accept"
    )
    assert rule_statement(rule(protocol="icmp", low=8, high=0)) == (
        "meta nfproto ipv4 meta l4proto icmp icmp type 8 icmp code 0 accept"
    )
    assert rule_statement(rule(protocol="icmp", ethertype="IPv6", group="abc")) == (
        "meta nfproto ipv6 ip6 saddr @g6_abc meta l4proto ipv6-icmp accept"
    )


def test_tables_of_a_port() -> None:
    port = PortFilter("0123456789abcdef", "FA:16:3E:00:00:01", ("10.0.0.5", "fd00::5"),
                      (rule(protocol="icmp"), rule(group="web"), rule(group="web"), rule("egress")),
                      {"web": ("10.0.0.6", "10.0.0.5", "fd00::6")})  # fmt: skip
    inet = inet_table(port)
    assert inet["name"] == "stackling-tap0123456789a" and inet["family"] == "inet"
    assert inet["sets"] == [{"name": "g4_web", "type": "ipv4_addr", "elements": ["10.0.0.5", "10.0.0.6"]},
                            {"name": "g6_web", "type": "ipv6_addr", "elements": ["fd00::6"]}]  # fmt: skip
    chains = {chain["name"]: chain for chain in inet["chains"]}
    assert chains["forward"]["rules"] == ["ether saddr fa:16:3e:00:00:01 jump from_guest",
                                          "ether daddr fa:16:3e:00:00:01 jump to_guest"]  # fmt: skip
    to_guest = chains["to_guest"]["rules"]
    assert to_guest[0] == "ct direction reply accept" and to_guest[-1] == "drop"
    assert to_guest.count("meta nfproto ipv4 ip saddr @g4_web accept") == 1, "equal rules render once"
    assert "meta nfproto ipv4 accept" in chains["from_guest"]["rules"]
    bridge = {chain["name"]: chain["rules"] for chain in bridge_table(port)["chains"]}
    assert bridge["prerouting"] == ['iifname "tap0123456789a" jump from_guest']
    assert "ip saddr != { 10.0.0.5 } drop" in bridge["from_guest"]
    assert "ip6 saddr != { ::, fd00::5, fe80::f816:3eff:fe00:1 } drop" in bridge["from_guest"]
    assert [t["family"] for t in port_security_absent(port.port_id)["tables"]] == ["bridge", "inet"]
