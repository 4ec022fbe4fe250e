"""playbooks/examples/libvirt_server.yml (the node modules without the cloud) boots the tiny image
on the rig's libvirtd.

A libvirt_network (NAT, DHCP), a libvirt_pool, a libvirt_volume overlay on the cached tiny image,
a NoCloud config drive and a running libvirt_domain; the guest prints its DHCP address and the
config drive's hostname on the serial console and answers ping inside the rig's namespace.
A second run of the playbook changes nothing.
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.collection import REPO, run_module, run_playbook
from tests.support.guest_image import tiny_image
from tests.support.rig import netns_exec

pytestmark = pytest.mark.slow

SUBNET = "10.235.0"


def _recap_changed(output: str) -> int:
    match = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", output)
    assert match, "no PLAY RECAP in:\n" + output
    return int(match.group(1))


@pytest.fixture()
def demo(libvirt_rig: str) -> Iterator[dict[str, str]]:
    name = "stktest-demo-" + secrets.token_hex(3)
    demo_dir = Path("/var/lib/stackling") / name
    demo_dir.mkdir(parents=True)
    names = {"name": name, "dir": str(demo_dir)}
    yield names
    run_module("libvirt_domain", name=name + "-server", state="absent")
    run_module("libvirt_volume", pool=name + "-pool", name=name + "-root.qcow2", state="absent")
    run_module("libvirt_pool", name=name + "-pool", state="absent")
    run_module("libvirt_network", name=name + "-net", state="absent")
    shutil.rmtree(demo_dir, ignore_errors=True)


def test_example_playbook_boots_a_server_that_gets_a_dhcp_address(demo: dict[str, str]) -> None:
    extra = ["-e", "demo_name=" + demo["name"], "-e", "demo_bridge=stkt-" + demo["name"][-6:],
             "-e", "demo_subnet_prefix=" + SUBNET, "-e", "demo_base_image=%s" % tiny_image(),
             "-e", "demo_hostname=demo-guest", "-e", "demo_dir=" + demo["dir"]]
    first = run_playbook(REPO / "playbooks" / "examples" / "libvirt_server.yml", *extra)
    assert first.returncode == 0, first.stdout + first.stderr
    assert _recap_changed(first.stdout) >= 4

    console = (Path(demo["dir"]) / "console.log").read_text(errors="replace")
    ready = re.search(r"STACKLING-GUEST-READY .*hostname=(\S+) .*ip=([0-9.]+)/24", console)
    assert ready, console
    assert ready.group(1) == "demo-guest"
    address = ready.group(2)
    assert address.startswith(SUBNET + ".") and 100 <= int(address.rsplit(".", 1)[1]) <= 199
    assert "hostname=demo-guest" in first.stdout

    ping = netns_exec("ping", "-c", "1", "-W", "5", address)
    assert ping.returncode == 0, ping.stdout + ping.stderr

    second = run_playbook(REPO / "playbooks" / "examples" / "libvirt_server.yml", *extra)
    assert second.returncode == 0, second.stdout + second.stderr
    assert _recap_changed(second.stdout) == 0, second.stdout
