"""Stackling's systemd test nodes (tools/nodes, docs/test-nodes.md) seen from a test.

A node is a privileged podman container ``stk-node-NAME`` with systemd as PID 1, in its own
network namespace ``stk-node-NAME``, wired by veth ``stkf-NAME`` to bridge ``stkfab0`` in the
fabric namespace ``stk-fabric`` (10.231.0.0/24, the deploy side is 10.231.0.1). Names are at
most 10 characters. Other users of the host may have nodes of their own on the same fabric:
tests start and stop their nodes by name, never all of them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from tests.support.collection import REPO

NODES = REPO / "tools" / "nodes"
STATE = Path(os.environ.get("STACKLING_NODES_DIR", "/var/lib/stackling/nodes"))
INVENTORY = STATE / "hosts.yml"
KEY = STATE / "id_ed25519"
FABRIC = "stk-fabric"
BRIDGE = "stkfab0"
DEPLOY_ADDRESS = "10.231.0.1"
# a first start builds the node image (a few minutes, once per content hash)
START_TIMEOUT = 1200.0


def nodes_tool(*args: str, timeout: float = 300, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``tools/nodes ARGS...``; never raises on a non-zero exit."""
    return subprocess.run([str(NODES), *args], capture_output=True, text=True, check=False, timeout=timeout, input=input)


def node_exec(name: str, *cmd: str, timeout: float = 120, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """``tools/nodes exec NAME CMD...`` (podman exec: needs no network)."""
    return nodes_tool("exec", name, *cmd, timeout=timeout, input=input)


def node_address(name: str) -> str:
    proc = nodes_tool("address", name)
    if proc.returncode != 0:
        raise AssertionError("no address for node %s: %s" % (name, proc.stderr))
    return proc.stdout.strip()


def can_run_nodes() -> str | None:
    """None when this host can run test nodes, else why not (for pytest.skip)."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, privileged podman)"
    for tool in ("podman", "runc", "debootstrap", "ssh"):
        if shutil.which(tool) is None:
            return "needs %s (tools/bootstrap installs it)" % tool
    return None


def leftovers(name: str) -> list[str]:
    """What still exists of node ``name``: its container, its namespace, its fabric veth."""
    found = []
    if subprocess.run(["podman", "container", "exists", "stk-node-" + name], check=False).returncode == 0:
        found.append("container stk-node-" + name)
    if Path("/run/netns/stk-node-" + name).exists():
        found.append("netns stk-node-" + name)
    if Path("/run/netns/" + FABRIC).exists():
        links = subprocess.run(["ip", "-n", FABRIC, "-j", "link", "show"], capture_output=True, text=True, check=False)
        if any(link["ifname"] == "stkf-" + name for link in json.loads(links.stdout or "[]")):
            found.append("veth stkf-%s in %s" % (name, FABRIC))
    return found
