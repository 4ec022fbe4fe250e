"""The conductor's node playbooks (playbooks/node/) run through the conductor's PlaybookRunner on
this host, with the rig's libvirtd: a tenant network's bridge, its DHCP namespace and dnsmasq, and a
server booted from the tiny image that gets its reserved address from that dnsmasq (seen on its
console) and answers ping from the DHCP namespace. Re-runs change nothing; deleting leaves nothing.

Everything with an address lives in the rig's namespace (stk-rig: bridge, taps, guest) or in the
DHCP namespace the playbook makes (named stktest-dhcp-<hex> here)."""

from __future__ import annotations

import secrets
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stackling.conductor import NodeJob, ServerBuilder
from tests.support.collection import run_module
from tests.support.conductor import local_runner
from tests.support.guest_image import config_line, ready_line, tiny_image
from tests.support.netns import ping, sh
from tests.support.rig import NETNS as RIG_NETNS

pytestmark = pytest.mark.slow
BOOT_TIMEOUT = 240.0


@pytest.fixture()
def cloud(tmp_path: Path, libvirt_rig: str) -> Iterator[dict[str, Any]]:
    token = secrets.token_hex(3)
    # compute0 stands for a host whose libvirtd is stopped: its libvirt socket does not exist.
    runner = local_runner(tmp_path, {
        "compute1": {},
        "compute0": {"stackling_libvirt_uri": "qemu:///system?socket=/run/stktest-stopped-libvirtd/libvirt-sock"},
    })
    net = "10.237.%d" % secrets.randbelow(250)
    names = {
        "runner": runner,
        "common": {"stackling_netns": RIG_NETNS, "stackling_instances_dir": "/var/lib/stackling/stktest-inst-" + token,
                   "stackling_instances_pool": "stktest-inst-" + token},
        "network": {"id": "stkt%s-net" % token, "mtu": 1450},
        "dhcp_netns": "stktest-dhcp-" + token,
        "net": net,
        "server": {"uuid": str(uuid.uuid4()), "name": "web-1", "vcpus": 1, "memory_mb": 128, "disk_gb": 1},
        "mac": "fa:16:3e:%02x:%02x:%02x" % tuple(secrets.token_bytes(3)),
    }
    yield names
    common = names["common"]
    runner.run(NodeJob("server_delete", "compute1", dict(common, server=names["server"])))
    run_module("libvirt_pool", name=common["stackling_instances_pool"], state="absent")
    shutil.rmtree(common["stackling_instances_dir"], ignore_errors=True)
    runner.run(NodeJob("dhcp_network", "compute1", dict(common, dhcp_netns=names["dhcp_netns"],
                                                         network=dict(names["network"], state="absent"))))
    runner.run(NodeJob("network_host", "compute1", dict(common, network=dict(names["network"], state="absent"))))


def jobs(cloud: dict[str, Any]) -> dict[str, NodeJob]:
    common, net = cloud["common"], cloud["net"]
    dhcp = {"port_id": "d" + cloud["network"]["id"], "mac": "fa:16:3e:00:00:02", "address": net + ".2/24",
            "range_start": net + ".100", "range_end": net + ".150", "gateway": net + ".1",
            "reservations": [{"mac": cloud["mac"], "ip": net + ".10", "hostname": "web-1"}]}
    port = {"id": "p" + cloud["network"]["id"], "mac": cloud["mac"], "network_id": cloud["network"]["id"]}
    return {
        "network": NodeJob("network_host", "compute1", dict(common, network=cloud["network"])),
        "dhcp": NodeJob("dhcp_network", "compute1", dict(common, network=cloud["network"], dhcp=dhcp,
                                                         dhcp_netns=cloud["dhcp_netns"])),
        "boot": NodeJob("server_boot", "compute1", dict(common, server=cloud["server"], image_path=str(tiny_image()),
                                                        ports=[port], config_drive={"hostname": "web-1"})),
        "delete": NodeJob("server_delete", "compute1", dict(common, server=cloud["server"])),
    }


def wait_ready(console: Path) -> dict[str, str]:
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        text = console.read_text(errors="replace") if console.exists() else ""
        ready = ready_line(text)
        if ready:
            return ready
        time.sleep(1)
    raise AssertionError("no STACKLING-GUEST-READY within %d s:\n%s" % (BOOT_TIMEOUT, text))


def test_server_gets_its_reserved_address_from_the_networks_dnsmasq(cloud: dict[str, Any]) -> None:
    runner, planned = cloud["runner"], jobs(cloud)
    for step in ("network", "dhcp", "boot"):
        result = runner.run(planned[step])
        assert result.ok and result.changed, (step, result.failure, result.steps)

    instances = Path(cloud["common"]["stackling_instances_dir"])
    console = instances / ("%s-console.log" % cloud["server"]["uuid"])
    ready = wait_ready(console)
    assert ready["ip"] == cloud["net"] + ".10/24" and ready["hostname"] == "web-1", ready
    assert ready["mac"] == cloud["mac"]
    assert (config_line(console.read_text(errors="replace")) or {}).get("instance-id") == cloud["server"]["uuid"]
    assert ping(cloud["dhcp_netns"], cloud["net"] + ".10", deadline=20)

    for step in ("network", "dhcp", "boot"):
        again = runner.run(planned[step])
        assert again.ok and not again.changed, (step, [s for s in again.steps if s.status.value == "changed"])

    deleted = runner.run(planned["delete"])
    assert deleted.ok and deleted.changed
    assert not any(instances.glob(cloud["server"]["uuid"] + "*")), list(instances.iterdir())
    listing = sh("virsh", "-c", "qemu:///system", "list", "--all", "--name").stdout
    assert "instance-" + cloud["server"]["uuid"] not in listing
    assert not runner.run(planned["delete"]).changed


def test_removing_the_network_removes_its_bridge_and_dhcp_namespace(cloud: dict[str, Any]) -> None:
    runner, planned = cloud["runner"], jobs(cloud)
    assert runner.run(planned["network"]).ok and runner.run(planned["dhcp"]).ok
    bridge = "brq" + cloud["network"]["id"][:11]
    assert sh("ip", "-n", RIG_NETNS, "link", "show", "dev", bridge, check=False).returncode == 0

    gone = dict(cloud["network"], state="absent")
    common = cloud["common"]
    dhcp_gone = runner.run(NodeJob("dhcp_network", "compute1", dict(common, network=gone,
                                                                    dhcp_netns=cloud["dhcp_netns"])))
    net_gone = runner.run(NodeJob("network_host", "compute1", dict(common, network=gone)))
    assert dhcp_gone.ok and net_gone.ok and dhcp_gone.changed and net_gone.changed
    assert cloud["dhcp_netns"] not in sh("ip", "netns", "list").stdout
    assert sh("ip", "-n", RIG_NETNS, "link", "show", "dev", bridge, check=False).returncode != 0


def test_a_build_failing_on_a_host_is_cleaned_up_there_and_retried_on_the_alternate(cloud: dict[str, Any]) -> None:
    runner, planned = cloud["runner"], jobs(cloud)
    assert runner.run(planned["network"]).ok and runner.run(planned["dhcp"]).ok
    tried: list[tuple[str, str]] = []

    def jobs_for(host: str) -> list[NodeJob]:
        return [NodeJob(job.playbook, host, job.extravars) for job in (planned["network"], planned["boot"])]

    def cleanup_for(host: str) -> NodeJob:
        return NodeJob("server_delete", host, planned["delete"].extravars)

    def next_host(failed: str, why: str) -> str | None:
        tried.append((failed, why))
        return "compute1" if failed == "compute0" else None

    outcome = ServerBuilder(runner).build("compute0", jobs_for, cleanup_for, next_host)
    assert outcome.ok and outcome.host == "compute1", outcome.fault
    first = outcome.attempts[0]
    assert first.host == "compute0" and "libvirt" in first.reason.lower(), first.reason
    assert tried == [("compute0", first.reason)]
    # libvirtd is down there, so the clean-up could not reach it either: the outcome says so.
    assert outcome.leftovers == ("compute0",)
    console = Path(cloud["common"]["stackling_instances_dir"]) / ("%s-console.log" % cloud["server"]["uuid"])
    assert wait_ready(console)["ip"] == cloud["net"] + ".10/24"


def test_a_build_failing_everywhere_reports_each_host(cloud: dict[str, Any]) -> None:
    runner, planned = cloud["runner"], jobs(cloud)
    outcome = ServerBuilder(runner).build(
        "compute0", lambda host: [NodeJob("server_boot", host, planned["boot"].extravars)],
        lambda host: NodeJob("server_delete", host, planned["delete"].extravars), lambda host, why: None)
    assert not outcome.ok and outcome.host is None
    assert outcome.fault.startswith("compute0: The instances pool on compute0: ")
