"""A port's security groups as nftables tables (pure: what the node playbook port_security.yml
applies with stackling.cloud.nft_table). Measured on the development kernel (docs/security-groups.md):

- Ports are taps on a Linux bridge. The ``bridge`` family has no connection tracking without
  nf_conntrack_bridge (a ``ct`` rule there fails with "Protocol error"), so the stateful rules
  live in an ``inet`` table whose ``forward`` chain sees bridged IP traffic through br_netfilter
  (``net.bridge.bridge-nf-call-iptables``/``ip6tables`` = 1). There the tap is not visible (the
  input and output device are the bridge), so the port is recognised by its MAC: ``ether saddr``
  for what the guest sends, ``ether daddr`` for what it receives. That is sound because:
- the ``bridge`` table of the port (stateless) drops what the tap sends from another MAC or IP
  (anti-spoofing, ARP included), DHCP or router-advertisement servers in guests, and broadcast
  or multicast IP towards the tap other than DHCP replies and ICMPv6 (neighbour discovery).
- One table per port and family (``stackling-tap<port id[:11]>``): tables compose as AND (a drop
  in any table is final), so each port's table decides for that port alone.

Statefulness: packets in the reply direction of a tracked flow pass; packets in the original
direction are checked against the rules every time, so removing a rule stops a flow at once (no
conntrack flush needed). Remote groups are named sets (``g4_<id>``/``g6_<id>``) of the member
ports' addresses, rewritten on every host with a port whose rules name the group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import netaddr  # type: ignore[import-untyped]  # netaddr 1.3 ships no type hints

from stackling.networking.security_groups import SecurityGroupRule

ND_OUT = "nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report"
ND_IN = "nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query"


@dataclass(frozen=True)
class PortFilter:
    """What decides one port's traffic: its MAC and addresses, the rules of its groups, and the
    addresses of the members of every group those rules name as remote group."""

    port_id: str
    mac: str
    addresses: tuple[str, ...]
    rules: tuple[SecurityGroupRule, ...]
    members: Mapping[str, tuple[str, ...]]  # remote group id -> member addresses


def tap_name(port_id: str) -> str:
    return "tap" + port_id[:11]


def table_name(port_id: str) -> str:
    return "stackling-" + tap_name(port_id)


def _versions(addresses: Sequence[str]) -> tuple[list[str], list[str]]:
    v4 = sorted(a for a in addresses if netaddr.IPAddress(a).version == 4)
    v6 = sorted(a for a in addresses if netaddr.IPAddress(a).version == 6)
    return v4, v6


def _set_name(ethertype: str, group_id: str) -> str:
    return ("g4_" if ethertype == "IPv4" else "g6_") + group_id


def rule_statement(rule: SecurityGroupRule) -> str:
    """One allow rule as an nft statement (ingress: the remote is the source; egress: the destination)."""
    v4 = rule.ethertype == "IPv4"
    parts = ["meta nfproto %s" % ("ipv4" if v4 else "ipv6")]
    side = "saddr" if rule.direction == "ingress" else "daddr"
    if rule.remote_ip_prefix is not None:
        parts.append("%s %s %s" % ("ip" if v4 else "ip6", side, rule.remote_ip_prefix))
    elif rule.remote_group_id is not None:
        parts.append("%s %s @%s" % ("ip" if v4 else "ip6", side, _set_name(rule.ethertype, rule.remote_group_id)))
    if rule.protocol in ("tcp", "udp"):
        parts.append("meta l4proto %s" % rule.protocol)
        if rule.port_range_min is not None:
            ports = str(rule.port_range_min)
            if rule.port_range_max not in (None, rule.port_range_min):
                ports += "-%d" % rule.port_range_max
            parts.append("th dport %s" % ports)
    elif rule.protocol == "icmp":
        icmp = "icmp" if v4 else "icmpv6"
        parts.append("meta l4proto %s" % (icmp if v4 else "ipv6-icmp"))
        if rule.port_range_min is not None:
            parts.append("%s type %d" % (icmp, rule.port_range_min))
        if rule.port_range_max is not None:
            parts.append("%s code %d" % (icmp, rule.port_range_max))
    return " ".join(parts + ["accept"])


def _direction_chain(name: str, rules: Sequence[SecurityGroupRule], always: Sequence[str]) -> dict[str, Any]:
    statements = list(dict.fromkeys(rule_statement(rule) for rule in rules))
    head = ["ct direction reply accept", "ct state invalid drop", "ct state related accept"]
    return {"name": name, "rules": head + list(always) + statements + ["drop"]}


def inet_table(port: PortFilter) -> dict[str, Any]:
    """The stateful filter: the port's egress and ingress rules (nft_table's ``chains``/``sets``)."""
    mac = port.mac.lower()
    ingress = [r for r in port.rules if r.direction == "ingress"]
    egress = [r for r in port.rules if r.direction == "egress"]
    sets = []
    for group_id in sorted({r.remote_group_id for r in port.rules if r.remote_group_id}):
        v4, v6 = _versions(port.members.get(group_id, ()))
        sets.append({"name": _set_name("IPv4", group_id), "type": "ipv4_addr", "elements": v4})
        sets.append({"name": _set_name("IPv6", group_id), "type": "ipv6_addr", "elements": v6})
    chains = [
        {"name": "forward", "hook": "forward", "priority": 0, "policy": "accept",
         "rules": ["ether saddr %s jump from_guest" % mac, "ether daddr %s jump to_guest" % mac]},
        _direction_chain("from_guest", egress, ["udp sport 68 udp dport 67 accept",
                                                "icmpv6 type { %s } accept" % ND_OUT]),
        _direction_chain("to_guest", ingress, ["udp sport 67 udp dport 68 accept",
                                               "icmpv6 type { %s } accept" % ND_IN]),
    ]  # fmt: skip
    return {"name": table_name(port.port_id), "family": "inet", "chains": chains, "sets": sets}


def bridge_table(port: PortFilter) -> dict[str, Any]:
    """Stateless checks on the tap: anti-spoofing on what it sends, no stray broadcast IP to it."""
    tap, mac = tap_name(port.port_id), port.mac.lower()
    v4, v6 = _versions(port.addresses)
    v6.append(str(netaddr.EUI(mac).ipv6_link_local()))
    own4 = "{ %s }" % ", ".join(v4) if v4 else None
    sent = [
        "ether saddr != %s drop" % mac,
        "arp saddr ether != %s drop" % mac,
        ("arp saddr ip != { 0.0.0.0, %s } drop" % ", ".join(v4)) if v4 else "arp saddr ip != 0.0.0.0 drop",
        "ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept",
        ("ip saddr != %s drop" % own4) if own4 else "ether type ip drop",
        "ip protocol udp udp sport 67 drop",
        "ip6 saddr != { ::, %s } drop" % ", ".join(sorted(set(v6))),
        "icmpv6 type nd-router-advert drop",
        "ip6 nexthdr udp udp sport 547 drop",
    ]
    received = [
        "ether daddr %s return" % mac,
        "ip protocol udp udp sport 67 udp dport 68 accept",
        "ip6 nexthdr ipv6-icmp accept",
        "ether type { ip, ip6 } drop",
    ]
    chains = [
        {"name": "prerouting", "hook": "prerouting", "priority": -200, "policy": "accept",
         "rules": ['iifname "%s" jump from_guest' % tap]},
        {"name": "forward", "hook": "forward", "priority": -200, "policy": "accept",
         "rules": ['oifname "%s" jump to_guest' % tap]},
        {"name": "from_guest", "rules": sent},
        {"name": "to_guest", "rules": received},
    ]  # fmt: skip
    return {"name": table_name(port.port_id), "family": "bridge", "chains": chains, "sets": []}


def port_security(port: PortFilter) -> dict[str, Any]:
    """port_security.yml's item for one port: its two tables."""
    return {"port_id": port.port_id, "tap": tap_name(port.port_id), "state": "present",
            "tables": [bridge_table(port), inet_table(port)]}  # fmt: skip


def port_security_absent(port_id: str) -> dict[str, Any]:
    name = table_name(port_id)
    return {"port_id": port_id, "tap": tap_name(port_id), "state": "absent",
            "tables": [{"name": name, "family": "bridge", "chains": [], "sets": []},
                       {"name": name, "family": "inet", "chains": [], "sets": []}]}  # fmt: skip
