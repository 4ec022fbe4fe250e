"""Private network namespaces for the functional tests, and the probes run inside them.

Every device, address and route a test makes lives in a namespace made by ``netns_factory``
(``stktest-<tag>-<hex>``); the namespaces, and with them everything in them, are deleted when
the test ends. Set-up and probes run ``ip``/``bridge`` directly, never through a module.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import TEST_PREFIX

PING = "/usr/bin/ping"  # iputils-ping, installed by tools/bootstrap

NetnsFactory = Callable[[str], str]


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=check, timeout=60)


def ip(ns: str, *args: str) -> None:
    """A set-up command, always inside namespace ``ns``."""
    sh("ip", "-n", ns, *args)


def ip_json(ns: str, *args: str) -> Any:
    out = sh("ip", "-n", ns, "-j", "-d", *args).stdout
    return json.loads(out) if out.strip() else []


def bridge_json(ns: str, *args: str) -> Any:
    out = sh("bridge", "-n", ns, "-j", "-d", *args).stdout
    return json.loads(out) if out.strip() else []


def link_names(ns: str) -> list[str]:
    return sorted(link["ifname"] for link in ip_json(ns, "link", "show"))


def addresses(ns: str, dev: str) -> list[str]:
    return sorted("%s/%s" % (a["local"], a["prefixlen"]) for a in ip_json(ns, "addr", "show", "dev", dev)[0]["addr_info"])


def netns_exists(name: str) -> bool:
    return any(entry["name"] == name for entry in json.loads(sh("ip", "-j", "netns", "list").stdout or "[]"))


def new_name(tag: str) -> str:
    return "%s%s-%s" % (TEST_PREFIX, tag, secrets.token_hex(4))


def add_netns(name: str) -> str:
    """Create namespace ``name`` with its loopback up."""
    sh("ip", "netns", "add", name)
    ip(name, "link", "set", "lo", "up")
    return name


def delete_netns(name: str) -> None:
    sh("ip", "netns", "delete", name, check=False)


@pytest.fixture()
def netns_factory() -> Iterator[NetnsFactory]:
    """``make(tag)`` creates namespace stktest-<tag>-<hex> with lo up; all are deleted afterwards."""
    made: list[str] = []

    def make(tag: str) -> str:
        name = new_name(tag)
        made.append(name)
        return add_netns(name)

    yield make
    for name in made:
        delete_netns(name)


def veth(ns: str, dev: str, peer_ns: str, peer: str, address: str | None = None, peer_address: str | None = None) -> None:
    """A veth pair from ``dev`` in ``ns`` to ``peer`` in ``peer_ns`` (may be the same), both ends up,
    with the optional CIDR addresses."""
    ip(ns, "link", "add", dev, "type", "veth", "peer", "name", peer, *(["netns", peer_ns] if peer_ns != ns else []))
    for where, name, cidr in ((ns, dev, address), (peer_ns, peer, peer_address)):
        if cidr:
            ip(where, "addr", "add", cidr, "dev", name)
        ip(where, "link", "set", name, "up")


def ping(ns: str, address: str, deadline: float = 5) -> bool:
    """ICMP echo from namespace ``ns``: True once a reply comes back, asking every 0.5 s for ``deadline`` s."""
    return sh("ip", "netns", "exec", ns, PING, "-q", "-n", "-c", "1", "-i", "0.5", "-w", "%g" % deadline, address,
              check=False).returncode == 0


def probe_kind(ns: str, kind: str) -> str | None:
    """None when the kernel can create links of ``kind`` in ``ns``; else iproute2's error."""
    args = ["link", "add", "stkprobe0", "type", kind]
    if kind == "vlan":
        ip(ns, "link", "add", "stkprobe-br", "type", "bridge")
        args = ["link", "add", "link", "stkprobe-br", "name", "stkprobe0", "type", "vlan", "id", "10"]
    proc = sh("ip", "-n", ns, *args, check=False)
    sh("ip", "-n", ns, "link", "delete", "stkprobe0", check=False)
    sh("ip", "-n", ns, "link", "delete", "stkprobe-br", check=False)
    return None if proc.returncode == 0 else (proc.stderr.strip() or "rc=%d" % proc.returncode)
