"""The libvirt test rig: libvirtd and virtlogd running inside a network namespace (tools/rig)."""

from __future__ import annotations

import subprocess

from tests.support.collection import REPO

RIG = REPO / "tools" / "rig"
NETNS = "stk-rig"


def rig(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RIG), *args], capture_output=True, text=True, check=False, timeout=120)


def netns_exec(*cmd: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a command inside the rig's network namespace (where the guests and bridges live)."""
    return subprocess.run(["ip", "netns", "exec", NETNS, *cmd], capture_output=True, text=True, check=False, timeout=timeout)
