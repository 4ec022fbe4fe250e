"""Helpers for the ip_* / bridge_fdb functional tests: private network namespaces and probes.

Every device, address and route a test makes lives in a namespace made by ``netns_factory``;
the namespaces (and with them everything in them) are deleted when the test ends.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.collection import ensure_collection_link

TEST_PREFIX = "stktest-"

# A dependency-free ICMP echo (the machines have no ping binary): exit 0 when a reply comes back.
_PING = r"""
import os, socket, struct, sys, time
dst = sys.argv[1]
def csum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
sock.settimeout(0.5)
ident = os.getpid() & 0xFFFF
for seq in range(1, 11):
    body = struct.pack("!HH", ident, seq) + b"stackling-ping!!"
    sock.sendto(struct.pack("!BBH", 8, 0, csum(struct.pack("!BBH", 8, 0, 0) + body)) + body, (dst, 0))
    deadline = time.time() + 0.5
    while time.time() < deadline:
        try:
            packet, addr = sock.recvfrom(2048)
        except socket.timeout:
            break
        icmp = packet[(packet[0] & 0x0F) * 4:]
        if addr[0] == dst and icmp[0] == 0 and struct.unpack("!H", icmp[4:6])[0] == ident:
            sys.exit(0)
sys.exit(1)
"""


def run(module: str, check: bool = False, diff: bool = False, **params: Any) -> dict[str, Any]:
    """Like tests.support.collection.run_module, whose first parameter ``name`` hides a module option
    called ``name``: run ``stackling.cloud.<module>`` as a process and return its JSON result."""
    args = dict(params, _ansible_check_mode=check, _ansible_diff=diff)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
        handle.flush()
        proc = subprocess.run(
            [sys.executable, "-m", "ansible_collections.stackling.cloud.plugins.modules." + module, handle.name],
            capture_output=True, text=True, timeout=300, check=False,
            env=dict(os.environ, PYTHONPATH=str(ensure_collection_link())),
        )
    try:
        result: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError("%s printed no JSON (rc=%s)\n%s\n%s" % (module, proc.returncode, proc.stdout, proc.stderr)) from exc
    result.setdefault("failed", False)
    return result


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=check, timeout=60)


def ip(ns: str, *args: str) -> None:
    """Set-up commands run directly (not through a module), always inside namespace ``ns``."""
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


def ping(ns: str, address: str) -> bool:
    """ICMP echo from namespace ``ns`` to ``address``."""
    return sh("ip", "netns", "exec", ns, sys.executable, "-c", _PING, address, check=False).returncode == 0


def netns_exists(name: str) -> bool:
    return any(entry["name"] == name for entry in json.loads(sh("ip", "-j", "netns", "list").stdout or "[]"))


def new_name(tag: str) -> str:
    return "%s%s-%s" % (TEST_PREFIX, tag, secrets.token_hex(4))


@pytest.fixture()
def netns_factory() -> Iterator[Callable[[str], str]]:
    """``make(tag)`` creates namespace stktest-<tag>-<hex> with lo up; all are deleted afterwards."""
    made: list[str] = []

    def make(tag: str) -> str:
        name = new_name(tag)
        sh("ip", "netns", "add", name)
        made.append(name)
        ip(name, "link", "set", "lo", "up")
        return name

    yield make
    for name in made:
        sh("ip", "netns", "delete", name, check=False)


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
