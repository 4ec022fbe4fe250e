"""Routers and floating IPs end to end: the cloud modules change the records, the conductor runs
playbooks/node/router.yml on the network host, and a real guest on the libvirt rig becomes
reachable from an "external" host through its floating IP.

The network host is ``compute1`` (this machine, local connection; its bridges live in the rig's
namespace, where libvirtd plugs the guests' taps). The provider network is a bridge the test makes
in that namespace, declared to the cloud as an external flat network on physical network
``<physnet>``, which the conductor inventory maps to that bridge (``stackling_physical_bridges``).
The "external host" is a namespace of the test plugged into the provider bridge; it holds the
provider subnet's gateway address and has no route to the tenant subnet, so only the floating
IP's DNAT can reach the guest.
"""

from __future__ import annotations

import secrets
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackling.compute import ComputeHostService
from stackling.compute.servers import ServerRequest
from stackling.context import Context
from stackling.controller import Controller
from stackling.identity.auth import ScopeRequest
from tests.functional.cloud_support import rig_controller
from tests.functional.test_cloud_servers import SMALL, wait_ready
from tests.support import TEST_PREFIX
from tests.support.collection import run_module
from tests.support.guest_image import tiny_image
from tests.support.netns import NetnsFactory, ip, ping, sh, veth
from tests.support.rig import NETNS as RIG_NETNS

pytestmark = pytest.mark.slow
PROVIDER = "198.51.100"


@dataclass
class RouterRig:
    config: Path
    controller: Controller
    admin: Context
    alice: Context
    password: str
    project: str
    public: str  # the external network's name
    physnet: str
    provider_bridge: str
    outside: str  # the external host's namespace
    network: str  # the tenant network's id
    subnet: str  # the tenant subnet's name
    net: str  # the tenant subnet's first three octets
    instances: Path

    def module(self, module: str, **params: Any) -> dict[str, Any]:
        auth = {"username": "alice", "password": self.password, "project": self.project, "project_domain": "Default"}
        return run_module(module, config=str(self.config), auth=auth, **params)


@pytest.fixture()
def router_rig(tmp_path: Path, libvirt_rig: str, netns_factory: NetnsFactory) -> Iterator[RouterRig]:
    token = secrets.token_hex(3)
    physnet, bridge = TEST_PREFIX + "phys-" + token, "stktest-p" + token
    ip(RIG_NETNS, "link", "add", bridge, "type", "bridge")
    ip(RIG_NETNS, "link", "set", bridge, "up")
    outside = netns_factory("rout")
    veth(RIG_NETNS, "stkx" + token, outside, "eth0", peer_address=PROVIDER + ".1/24")
    ip(RIG_NETNS, "link", "set", "stkx" + token, "master", bridge)
    instances = Path("/var/lib/stackling/stktest-inst-" + token)
    cache = Path("/var/lib/stackling/stktest-cache-" + token)  # where qemu may read (not under /tmp)
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {
        "compute": {"hosts": {"compute1": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "stackling_netns": RIG_NETNS, "stackling_instances_dir": str(instances),
            "stackling_instances_pool": TEST_PREFIX + "inst-" + token,
            "stackling_physical_bridges": {physnet: bridge}}}},
        "network": {"hosts": {"compute1": {}}}}}}))  # fmt: skip
    config, c, admin = rig_controller(tmp_path, inventory, cache)
    project = c.identity.create_project(admin, TEST_PREFIX + "rtr-" + token)
    password = "alice-" + secrets.token_urlsafe(9)
    c.identity.create_user(admin, "alice", password=password)
    c.identity.assign_role(admin, "member", user="alice", project=project.id)
    alice = c.tokens.validate(c.auth.password("alice", password, ScopeRequest(project=project.id)).token)
    c.compute_hosts.apply(admin, "compute1", ComputeHostService.spec(inventory=SMALL))
    c.flavors.create(admin, TEST_PREFIX + "tiny", vcpus=1, ram_mb=128, disk_gb=1)
    c.images.create(alice, TEST_PREFIX + "tiny", disk_format="qcow2", filename=tiny_image())
    # The operator's declaration: an external flat network on the physical network the host maps.
    public = c.networking.networks.create(admin, "public", external=True, network_type="flat",
                                          physical_network=physnet)  # fmt: skip
    c.networking.subnets.create(admin, public.id, PROVIDER + ".0/24", gateway_ip=PROVIDER + ".1",
                                allocation_pools=[(PROVIDER + ".10", PROVIDER + ".50")])  # fmt: skip
    net = "10.239.%d" % secrets.randbelow(250)
    network = c.networking.networks.create(alice, TEST_PREFIX + "net-" + token)
    c.networking.subnets.create(alice, network.id, net + ".0/24", name="private-v4")
    yield RouterRig(config, c, admin, alice, password, project.name, "public", physnet, bridge, outside, network.id,
                    "private-v4", net, instances)  # fmt: skip
    for server in c.servers.list(alice):
        try:
            c.servers.delete(alice, server.id)
        except Exception as exc:  # noqa: BLE001  (clean-up of a failed test)
            print("clean-up: server %s: %s" % (server.id, exc))
    for router in c.networking.routers.list(alice):
        sh("ip", "netns", "delete", "qrouter-" + router.id, check=False)
    sh("ip", "-n", RIG_NETNS, "link", "delete", "brq" + network.id[:11], check=False)
    sh("ip", "-n", RIG_NETNS, "link", "delete", bridge, check=False)
    run_module("libvirt_pool", name=TEST_PREFIX + "inst-" + token, state="absent")
    shutil.rmtree(instances, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    c.close()


def links(ns: str) -> str:
    return sh("ip", "-n", ns, "-o", "link", "show").stdout


def test_a_floating_ip_makes_the_server_reachable_and_deleting_leaves_nothing(router_rig: RouterRig) -> None:
    rig, c = router_rig, router_rig.controller
    params = {"name": "r1", "external_gateway": {"network": rig.public}, "interfaces": [rig.subnet]}
    made = rig.module("router", **params)
    assert not made["failed"] and made["changed"], made
    router = made["router"]
    qrouter = "qrouter-" + router["id"]
    assert qrouter in sh("ip", "netns", "list").stdout
    gateway_ip = router["external_gateway"]["external_fixed_ips"][0]["ip_address"]
    assert gateway_ip + "/24" in sh("ip", "-n", qrouter, "-o", "addr", "show").stdout
    assert "snat to " + gateway_ip in sh("ip", "netns", "exec", qrouter, "nft", "list", "table", "ip",
                                         "stackling-router").stdout  # fmt: skip
    assert ping(rig.outside, gateway_ip, deadline=10), "the router's gateway is not on the provider bridge"
    again = rig.module("router", **params)
    assert not again["failed"] and not again["changed"], again

    server = c.servers.create(rig.alice, ServerRequest("fip-1", flavor=TEST_PREFIX + "tiny", image=TEST_PREFIX + "tiny",
                                                       networks=[rig.network]))  # fmt: skip
    assert server.status == "ACTIVE", server.fault
    fixed = server.addresses[next(iter(server.addresses))][0]
    ready = wait_ready(rig.instances / ("%s-console.log" % server.id))
    assert ready["ip"] == fixed + "/24", ready

    fip = rig.module("floating_ip", network=rig.public, server="fip-1")
    assert not fip["failed"] and fip["changed"], fip
    address = fip["floating_ip"]["floating_ip_address"]
    assert fip["floating_ip"]["fixed_ip_address"] == fixed and fip["floating_ip"]["router_id"] == router["id"]
    # The project's default security group admits only its own members: the outside is refused
    # until the tenant opens ICMP, and the rule reaches the running server's port.
    assert not ping(rig.outside, address, deadline=3), "the default security group lets the outside in"
    opened = rig.module("security_group_rule", security_group="default", protocol="icmp",
                        remote_ip_prefix="0.0.0.0/0")  # fmt: skip
    assert not opened["failed"] and opened["changed"], opened
    assert ping(rig.outside, address, deadline=30), "the floating IP does not reach the guest"
    assert not ping(rig.outside, fixed, deadline=2), "the tenant subnet must not be routed from outside"

    off = rig.module("floating_ip", floating_ip_address=address, state="absent")
    assert not off["failed"] and off["changed"] and off["floating_ip"]["port_id"] is None, off
    assert not ping(rig.outside, address, deadline=3), "a disassociated floating IP still reaches the guest"
    released = rig.module("floating_ip", floating_ip_address=address, state="absent", release=True)
    assert not released["failed"] and released["changed"], released

    c.servers.delete(rig.alice, server.id)
    unplugged = rig.module("router", name="r1", interfaces=[])
    assert not unplugged["failed"] and unplugged["changed"], unplugged
    assert "qr-" not in links(qrouter)
    gone = rig.module("router", name="r1", state="absent")
    assert not gone["failed"] and gone["changed"], gone
    assert qrouter not in sh("ip", "netns", "list").stdout
    rig_links = links(RIG_NETNS)
    for port in (router["external_gateway"]["port_id"], router["interfaces"][0]["port_id"]):
        assert "tap" + port[:11] not in rig_links, rig_links
    assert "brq" + rig.network[:11] not in rig_links, "the tenant network's bridge is left on the network host"
    provider_ports = sh("ip", "-n", RIG_NETNS, "-o", "link", "show", "master", rig.provider_bridge).stdout
    assert [line.split(":")[1].strip() for line in provider_ports.strip().splitlines()] == [
        "stkx" + rig.provider_bridge[-6:] + "@if2"], provider_ports  # only the external host's port is left
    assert c.networking.ports.list(rig.alice, network=rig.network) == []


def test_a_router_the_network_host_cannot_plumb_is_not_made(router_rig: RouterRig) -> None:
    rig, c = router_rig, router_rig.controller
    unmapped = c.networking.networks.create(rig.admin, "elsewhere", external=True, network_type="flat",
                                            physical_network=TEST_PREFIX + "nowhere")  # fmt: skip
    c.networking.subnets.create(rig.admin, unmapped.id, "192.0.2.0/24")
    failed = rig.module("router", name="r2", external_gateway={"network": "elsewhere"}, interfaces=[rig.subnet])
    assert failed["failed"] and "stackling_physical_bridges" in failed["msg"], failed
    assert c.networking.routers.find(rig.alice, "r2") is None, "a router that failed on the node is kept"
    assert c.networking.ports.list(rig.alice, network=rig.network) == []
