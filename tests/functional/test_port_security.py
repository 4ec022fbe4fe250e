"""Security groups enforced on real nftables: port_security.yml (run through the conductor's
PlaybookRunner) applies the tables stackling.networking.port_filter renders for two ports.

The "compute host" is a namespace the test makes, holding a Linux bridge with two veth ends named
like the taps of two ports; their peers sit in two more namespaces that stand in for the guests
(the test's own namespaces: no address outside them). Shown: ping passes with an ICMP rule and
stops once the rule is removed; TCP to the SSH port is allowed, another port is not; replies of
allowed flows pass although the sender has no ingress rule; a spoofed source address is dropped;
a re-run changes nothing; absent leaves no table."""

from __future__ import annotations

import dataclasses
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stackling.conductor import NodeJob, PlaybookRunner
from stackling.networking.port_filter import PortFilter, port_security, port_security_absent, table_name, tap_name
from stackling.networking.security_groups import SecurityGroupRule
from tests.support.conductor import local_runner
from tests.support.netns import NetnsFactory, ip, ping, sh

LISTENER = (  # says "listening" once it is, so the test never connects before it can accept
    "import socket,sys\ns=socket.socket()\ns.bind(('',int(sys.argv[1])))\ns.listen()\nprint('listening', flush=True)\n"
    "while True: s.accept()[0].close()"
)
CONNECT = "import socket,sys\nsocket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=3).close()"


def rule(direction: str, protocol: str = "any", low: int | None = None, remote_group: str | None = None,
         ethertype: str = "IPv4") -> SecurityGroupRule:  # fmt: skip
    return SecurityGroupRule(id=uuid.uuid4().hex, security_group_id="g", project_id="p", direction=direction,
                             ethertype=ethertype, protocol=protocol, port_range_min=low,
                             port_range_max=low if protocol in ("tcp", "udp") else None, remote_ip_prefix=None,
                             remote_group_id=remote_group, description="")  # fmt: skip


EGRESS = (rule("egress"), rule("egress", ethertype="IPv6"))


class Rig:
    def __init__(self, netns_factory: NetnsFactory, runner: PlaybookRunner) -> None:
        self.host = netns_factory("sghost")
        self.runner = runner
        ip(self.host, "link", "add", "br0", "type", "bridge")
        ip(self.host, "link", "set", "br0", "up")
        net = "10.238.%d" % secrets.randbelow(250)
        self.guests: dict[str, dict[str, Any]] = {}
        for index, label in enumerate(("a", "b"), start=10):
            ns, port_id = netns_factory("sg" + label), uuid.uuid4().hex
            mac = "02:16:3e:%02x:%02x:%02x" % tuple(secrets.token_bytes(3))
            ip(self.host, "link", "add", tap_name(port_id), "type", "veth", "peer", "name", "eth0", "netns", ns)
            ip(self.host, "link", "set", tap_name(port_id), "master", "br0", "up")
            ip(ns, "link", "set", "eth0", "address", mac)
            ip(ns, "addr", "add", "%s.%d/24" % (net, index), "dev", "eth0")
            ip(ns, "link", "set", "eth0", "up")
            self.guests[label] = {"ns": ns, "port": port_id, "mac": mac, "ip": "%s.%d" % (net, index)}

    def port(self, label: str, *rules: SecurityGroupRule) -> PortFilter:
        guest = self.guests[label]
        members = {"web": tuple(g["ip"] for g in self.guests.values())}
        return PortFilter(guest["port"], guest["mac"], (guest["ip"],), EGRESS + rules, members)

    def apply(self, *items: dict[str, Any]) -> bool:
        result = self.runner.run(NodeJob("port_security", "node1", {"stackling_netns": self.host,
                                                                    "port_security": list(items)}))  # fmt: skip
        assert result.ok, result.failure
        return result.changed

    def tcp(self, src: str, dst: str, port: int) -> bool:
        argv = ["ip", "netns", "exec", self.guests[src]["ns"], sys.executable, "-c", CONNECT,
                self.guests[dst]["ip"], str(port)]  # fmt: skip
        return subprocess.run(argv, capture_output=True, timeout=30).returncode == 0

    def tables(self) -> str:
        return sh("ip", "netns", "exec", self.host, "nft", "list", "tables").stdout


@pytest.fixture()
def rig(netns_factory: NetnsFactory, tmp_path: Path) -> Iterator[Rig]:
    made = Rig(netns_factory, local_runner(tmp_path))
    listeners = [subprocess.Popen(["ip", "netns", "exec", made.guests["b"]["ns"], sys.executable, "-c", LISTENER,
                                   str(port)], stdout=subprocess.PIPE, text=True) for port in (22, 2323)]  # fmt: skip
    for listener in listeners:  # a busy machine can take seconds to start them
        assert listener.stdout is not None and listener.stdout.readline().strip() == "listening"
    yield made
    for listener in listeners:
        listener.kill()
        listener.wait()


def test_rules_allow_deny_and_follow_removal(rig: Rig) -> None:
    a, b = rig.guests["a"], rig.guests["b"]
    assert ping(a["ns"], b["ip"]) and rig.tcp("a", "b", 2323)  # nothing applied: everything passes
    web = (rule("ingress", "icmp"), rule("ingress", "tcp", 22))
    assert rig.apply(port_security(rig.port("a")), port_security(rig.port("b", *web)))
    assert ping(a["ns"], b["ip"]), "an ICMP ingress rule on b lets a's ping in (and b's reply back to a)"
    assert not ping(b["ns"], a["ip"], deadline=2), "a has no ingress rule: b's ping is dropped"
    assert rig.tcp("a", "b", 22) and not rig.tcp("a", "b", 2323)
    assert not rig.apply(port_security(rig.port("a")), port_security(rig.port("b", *web))), "a re-run changes nothing"

    rig.apply(port_security(rig.port("b", rule("ingress", "tcp", 22))))
    assert not ping(a["ns"], b["ip"], deadline=2), "the ICMP rule is gone: ping stops"
    assert rig.tcp("a", "b", 22)

    rig.apply(port_security_absent(a["port"]), port_security_absent(b["port"]))
    assert table_name(a["port"]) not in rig.tables() and table_name(b["port"]) not in rig.tables()
    assert ping(b["ns"], a["ip"])


def test_remote_group_and_spoofing(rig: Rig) -> None:
    a, b = rig.guests["a"], rig.guests["b"]
    from_group = (rule("ingress", remote_group="web"), rule("ingress", remote_group="web", ethertype="IPv6"))
    rig.apply(port_security(rig.port("a")), port_security(rig.port("b", *from_group)))
    assert ping(a["ns"], b["ip"]), "a is a member of the remote group"
    spoofed = b["ip"].rsplit(".", 1)[0] + ".99"
    ip(a["ns"], "addr", "add", spoofed + "/24", "dev", "eth0")
    assert (
        sh(
            "ip",
            "netns",
            "exec",
            a["ns"],
            "/usr/bin/ping",
            "-q",
            "-n",
            "-c",
            "1",
            "-w",
            "2",
            "-I",
            spoofed,
            b["ip"],
            check=False,
        ).returncode
        != 0
    ), "a source address that is not the port's is dropped"
    rig.apply(port_security(PortFilter(b["port"], b["mac"], (b["ip"],), EGRESS + from_group, {"web": ()})))
    assert not ping(a["ns"], b["ip"], deadline=2), "a left the remote group"


def test_every_kind_of_rule_loads_into_nft(netns_factory: NetnsFactory) -> None:
    """Each rule shape the library accepts renders to something nft takes (and a port without IPv4)."""
    from tests.support.collection import run_module

    ns = netns_factory("sgload")
    kinds = (
        rule("ingress", "tcp", 22), rule("egress", "udp", 53), rule("ingress", "icmp"),
        rule("ingress", "icmp", ethertype="IPv6"), rule("ingress", remote_group="web", ethertype="IPv6"),
        dataclasses.replace(rule("ingress", "tcp", 8000), port_range_max=8080, remote_ip_prefix="192.0.2.0/24"),
        dataclasses.replace(rule("egress", "icmp", 8), port_range_max=0, remote_ip_prefix="2001:db8::/32",
                            ethertype="IPv6"),
    )  # fmt: skip
    for addresses in (("10.0.0.5", "2001:db8::5"), ("2001:db8::5",)):
        item = port_security(PortFilter(uuid.uuid4().hex, "02:16:3e:00:00:05", addresses, EGRESS + kinds,
                                        {"web": ("2001:db8::7",)}))  # fmt: skip
        for table in item["tables"]:
            result = run_module("nft_table", netns=ns, **table)
            assert not result["failed"] and result["changed"], result
