"""Routers and floating IPs reach the network host (stackling.networking.plumbing), on SQLite and
PostgreSQL, with the stand-in runner of test_servers.py: the variables router.yml gets, and what a
failed node run leaves (a new router taken back, an association put back, a router kept). The
playbooks themselves run for real in tests/functional/test_cloud_routers.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stackling.config import ConductorConfig
from stackling.errors import ConfigError
from stackling.networking import GatewayRequest, NodeWorkFailed, RouterPlumbing
from tests.library.helpers import Cloud
from tests.library.test_servers import FakeRunner


@pytest.fixture()
def lab(cloud: Cloud, tmp_path: Path) -> tuple[Cloud, FakeRunner]:
    c = cloud.c
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {
        "compute": {"hosts": {"cn1": {"stackling_tunnel_address": "10.9.0.1"}}},
        "network": {"hosts": {"net1": {"stackling_tunnel_address": "10.9.0.9",
                                       "stackling_physical_bridges": {"provider": "br-provider"}}}}}}}))  # fmt: skip
    runner = FakeRunner()
    plumbing = RouterPlumbing(c.db, c.engines.ipam, ConductorConfig(inventory=inventory), runner)
    c.networking.routers.plumbing = c.networking.floating_ips.plumbing = c.networking.ports.plumbing = plumbing
    a = cloud.project("rtr-a")
    cloud.user("alice", a)
    alice = cloud.login("alice", "rtr-a")
    net = c.networking
    public = net.networks.create(cloud.admin, "public", external=True, network_type="flat", physical_network="provider")
    net.subnets.create(cloud.admin, public.id, "203.0.113.0/24")
    private = net.networks.create(alice, "private")
    net.subnets.create(alice, private.id, "10.0.0.0/24", name="private-v4")
    net.ports.create(alice, private.id, name="web-0")
    cloud.alice = alice  # type: ignore[attr-defined]
    return cloud, runner


def router_job(runner: FakeRunner) -> dict[str, object]:
    jobs = runner.played("router")
    assert jobs, [j.playbook for j in runner.jobs]
    return dict(jobs[-1].extravars["router"])


def test_router_and_floating_ip_vars_follow_the_records(lab: tuple[Cloud, FakeRunner]) -> None:
    cloud, runner = lab
    net, alice = cloud.c.networking, cloud.alice  # type: ignore[attr-defined]
    router = net.routers.create(alice, "r1", external_gateway=GatewayRequest("public"), interfaces=["private-v4"])
    assert [(j.playbook, j.host) for j in runner.jobs] == [("network_host", "net1"), ("router", "net1")]
    assert runner.jobs[0].extravars["network"]["state"] == "present"  # the tenant network's bridge first
    made = router_job(runner)
    gateway = made["gateway"]
    assert isinstance(gateway, dict) and gateway["bridge"] == "br-provider" and gateway["next_hop"] == "203.0.113.1"
    assert gateway["address"] == router.external_gateway.fixed_ips[0].ip_address + "/24"  # type: ignore[union-attr]
    interfaces = made["interfaces"]
    assert isinstance(interfaces, list) and len(interfaces) == 1
    assert interfaces[0] == {"port_id": router.interfaces[0].port_id, "mac": interfaces[0]["mac"],
                             "network_id": net.networks.get(alice, "private").id, "address": "10.0.0.1/24",
                             "cidr": "10.0.0.0/24"}  # fmt: skip
    assert made["floating_ips"] == []

    fip = net.floating_ips.create(alice, "public", port="web-0")
    assert router_job(runner)["floating_ips"] == [{"floating_ip": fip.floating_ip_address,
                                                   "fixed_ip": fip.fixed_ip_address}]  # fmt: skip
    net.floating_ips.delete(alice, fip.id)  # disassociated on the node first, then released
    assert router_job(runner)["floating_ips"] == []
    kept = net.floating_ips.create(alice, "public", port="web-0")
    assert router_job(runner)["floating_ips"] != []
    net.ports.delete(alice, "web-0")  # its floating IP is disassociated, and its NAT goes
    assert router_job(runner)["floating_ips"] == [] and net.floating_ips.get(alice, kept.id).port_id is None

    runner.jobs.clear()
    net.routers.update(alice, "r1", remove_interfaces=["private-v4"])
    assert router_job(runner)["interfaces"] == []
    assert [(j.playbook, j.extravars["network"]["state"]) for j in runner.played("network_host")] == [
        ("network_host", "absent")], "the tenant bridge on the network host goes with the last router port"
    net.routers.delete(alice, "r1")
    assert router_job(runner) == {"id": router.id, "state": "absent"}


def test_node_failures_leave_the_records_as_the_node_is(lab: tuple[Cloud, FakeRunner]) -> None:
    cloud, runner = lab
    c, alice = cloud.c, cloud.alice  # type: ignore[attr-defined]
    net = c.networking
    runner.failing = {"net1"}
    with pytest.raises(NodeWorkFailed, match="failed on the network host"):
        net.routers.create(alice, "r1", external_gateway=GatewayRequest("public"), interfaces=["private-v4"])
    assert net.routers.find(alice, "r1") is None
    assert [p.name for p in net.ports.list(alice)] == ["web-0"], "the interface port is given back"
    taken_back = [j.extravars["router"]["state"] for j in runner.played("router")]
    assert taken_back == ["absent"], "the node side is taken back"

    runner.failing = set()
    net.routers.create(alice, "r1", external_gateway=GatewayRequest("public"), interfaces=["private-v4"])
    fip = net.floating_ips.create(alice, "public")
    runner.failing = {"net1"}
    with pytest.raises(NodeWorkFailed, match="left as it was"):
        net.floating_ips.associate(alice, fip.id, "web-0")
    assert net.floating_ips.get(alice, fip.id).port_id is None
    with pytest.raises(NodeWorkFailed, match="the change is saved.*run the same change again"):
        net.routers.update(alice, "r1", remove_interfaces=["private-v4"])
    assert net.routers.get(alice, "r1").interfaces == ()
    with pytest.raises(NodeWorkFailed, match="is kept"):
        net.routers.delete(alice, "r1")
    assert net.routers.find(alice, "r1") is not None


def test_an_unmapped_physical_network_is_a_clear_error(lab: tuple[Cloud, FakeRunner]) -> None:
    cloud, runner = lab
    net, alice = cloud.c.networking, cloud.alice  # type: ignore[attr-defined]
    other = net.networks.create(cloud.admin, "elsewhere", external=True, network_type="flat", physical_network="dmz")
    net.subnets.create(cloud.admin, other.id, "198.51.100.0/24")
    with pytest.raises(ConfigError, match="stackling_physical_bridges"):
        net.routers.create(alice, "r2", external_gateway=GatewayRequest("elsewhere"))
    assert net.routers.find(alice, "r2") is None
