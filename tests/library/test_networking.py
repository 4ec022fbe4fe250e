"""The tenant networking services (stackling.networking) through the policy, on SQLite and
PostgreSQL: the worked example, isolation between projects, overlapping CIDRs, quotas,
in-use refusals and the floating IP association rules."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from stackling.allocation_errors import NetworkInUse, SubnetOverlap
from stackling.context import Context
from stackling.errors import Conflict, NotFound, OverQuota, PolicyNotAuthorized, ValidationError
from stackling.networking import FixedIpRequest, GatewayRequest, Networking
from tests.library.helpers import Cloud


@dataclass
class Tenants:
    cloud: Cloud
    net: Networking
    alice: Context  # member of a
    rita: Context  # reader of a
    bob: Context  # member of b
    a: str
    b: str
    public: str  # the external network's id (made by the cloud admin)


@pytest.fixture()
def tenants(cloud: Cloud) -> Tenants:
    a, b = cloud.project("net-a"), cloud.project("net-b")
    cloud.user("alice", a)
    cloud.user("rita", a, role="reader")
    cloud.user("bob", b)
    net = cloud.c.networking
    public = net.networks.create(cloud.admin, "public", external=True)
    net.subnets.create(cloud.admin, public.id, "203.0.113.0/24", name="public-v4")
    return Tenants(cloud, net, cloud.login("alice", "net-a"), cloud.login("rita", "net-a"),
                   cloud.login("bob", "net-b"), a.id, b.id, public.id)  # fmt: skip


def private(t: Tenants, who: Context, name: str = "private", cidr: str = "10.0.0.0/24") -> tuple[str, str]:
    """(network id, subnet id) of a new tenant network with one subnet."""
    network = t.net.networks.create(who, name)
    subnet = t.net.subnets.create(who, network.id, cidr, name=name + "-v4", dns_nameservers=["9.9.9.9"])
    return network.id, subnet.id


def test_worked_example_as_a_tenant(tenants: Tenants) -> None:
    t, alice = tenants, tenants.alice
    network_id, subnet_id = private(t, alice)
    network = t.net.networks.get(alice, "private")
    assert network.network_type == "vxlan" and network.segmentation_id is not None and network.mtu == 1450
    assert network.project_id == t.a and not network.shared and not network.external
    router = t.net.routers.create(alice, "r1", external_gateway=GatewayRequest("public"), interfaces=["private-v4"])
    assert router.external_gateway is not None and router.external_gateway.enable_snat
    assert router.external_gateway.fixed_ips[0].ip_address.startswith("203.0.113.")
    assert [(i.subnet_id, i.ip_address) for i in router.interfaces] == [(subnet_id, "10.0.0.1")]
    port = t.net.ports.create(alice, "private", name="web-0")
    assert port.mac_address.startswith("fa:16:3e:") and port.fixed_ips[0].ip_address == "10.0.0.2"
    fip = t.net.floating_ips.create(alice, "public", port="web-0")
    assert fip.port_id == port.id and fip.fixed_ip_address == "10.0.0.2" and fip.router_id == router.id
    assert fip.floating_ip_address.startswith("203.0.113.") and fip.project_id == t.a
    assert t.net.floating_ips.get(alice, fip.floating_ip_address) == fip
    usage = t.cloud.c.quotas.get_usage(alice, t.a)
    assert {k: usage[k].in_use for k in ("networks", "subnets", "ports", "routers", "floating_ips")} == {
        "networks": 1, "subnets": 1, "ports": 2, "routers": 1, "floating_ips": 1}  # fmt: skip
    # readers read, but do not write
    assert [n.name for n in t.net.networks.list(t.rita)] == ["private", "public"]
    with pytest.raises(PolicyNotAuthorized, match="network:create_network"):
        t.net.networks.create(t.rita, "mine")
    # tear down in order; usage goes back to zero
    t.net.floating_ips.delete(alice, fip.id)
    t.net.ports.delete(alice, port.id)
    t.net.routers.update(alice, "r1", remove_interfaces=[subnet_id], clear_gateway=True)
    t.net.routers.delete(alice, "r1")
    t.net.networks.delete(alice, network_id)
    usage = t.cloud.c.quotas.get_usage(alice, t.a)
    assert all(usage[k].in_use == 0 for k in ("networks", "subnets", "ports", "routers", "floating_ips"))


def test_tenants_never_see_or_touch_each_other(tenants: Tenants) -> None:
    t, alice, bob = tenants, tenants.alice, tenants.bob
    network_id, subnet_id = private(t, alice)
    router = t.net.routers.create(alice, "r1", external_gateway=GatewayRequest("public"), interfaces=[subnet_id])
    port = t.net.ports.create(alice, network_id)
    fip = t.net.floating_ips.create(alice, t.public, port=port.id)
    # bob sees the external network only, and nothing of alice's
    assert [n.id for n in t.net.networks.list(bob)] == [t.public]
    assert t.net.subnets.list(bob) == [t.net.subnets.get(bob, "public-v4")]
    assert t.net.ports.list(bob) == [] and t.net.routers.list(bob) == [] and t.net.floating_ips.list(bob) == []
    for find, ref in ((t.net.networks.find, network_id), (t.net.networks.find, "private"),
                      (t.net.subnets.find, subnet_id), (t.net.ports.find, port.id), (t.net.routers.find, router.id),
                      (t.net.floating_ips.find, fip.id), (t.net.floating_ips.find, fip.floating_ip_address)):  # fmt: skip
        assert find(bob, ref) is None
    # ... and cannot change it: it does not exist for bob
    own_fip = t.net.floating_ips.create(bob, "public")
    for attempt in (
        lambda: t.net.networks.delete(bob, network_id),
        lambda: t.net.subnets.delete(bob, subnet_id),
        lambda: t.net.ports.delete(bob, port.id),
        lambda: t.net.routers.delete(bob, router.id),
        lambda: t.net.floating_ips.delete(bob, fip.id),
        lambda: t.net.floating_ips.disassociate(bob, fip.id),
        lambda: t.net.floating_ips.associate(bob, own_fip.id, port.id),
        lambda: t.net.ports.create(bob, network_id),
        lambda: t.net.subnets.create(bob, network_id, "10.9.0.0/24"),
        lambda: t.net.networks.update(bob, network_id, name="mine"),
    ):
        with pytest.raises(NotFound):
            attempt()
    bob_router = t.net.routers.create(bob, "rb")
    with pytest.raises(ValidationError, match="interfaces: subnet .* not found"):
        t.net.routers.update(bob, bob_router.id, add_interfaces=[subnet_id])
    with pytest.raises(PolicyNotAuthorized, match="network:create_network"):
        t.net.networks.create(bob, "sneaky", project=t.a)
    # a port on another project's network that is not shared: refused even when visible (external)
    with pytest.raises(PolicyNotAuthorized, match="network:create_port_on_any_network"):
        t.net.ports.create(bob, "public")
    assert t.net.floating_ips.get(alice, fip.id).port_id == port.id
    # the cloud admin sees both
    assert {n.name for n in t.net.networks.list(t.cloud.admin)} == {"private", "public"}


def test_admin_only_network_attributes_and_shared_networks(tenants: Tenants) -> None:
    t, alice, bob, admin = tenants, tenants.alice, tenants.bob, tenants.cloud.admin
    for kwargs, action in (({"shared": True}, "create_shared_network"), ({"external": True}, "create_external_network"),
                           ({"network_type": "vlan", "physical_network": "physnet1", "segmentation_id": 10},
                            "create_provider_network")):  # fmt: skip
        with pytest.raises(PolicyNotAuthorized, match="network:" + action):
            t.net.networks.create(alice, "n", **kwargs)  # type: ignore[arg-type]
    shared = t.net.networks.create(admin, "shared", shared=True, project=t.a)
    assert shared.project_id == t.a
    t.net.subnets.create(admin, shared.id, "192.168.50.0/24")
    port = t.net.ports.create(bob, "shared")  # anyone may plug into a shared network
    assert port.project_id == t.b and [n.name for n in t.net.networks.list(bob)] == ["public", "shared"]
    with pytest.raises(PolicyNotAuthorized, match="network:update_network"):
        t.net.networks.update(bob, "shared", name="mine")
    with pytest.raises(Conflict, match="used by other projects"):
        t.net.networks.update(admin, "shared", shared=False)
    with pytest.raises(PolicyNotAuthorized, match="network:create_shared_network"):
        t.net.networks.update(alice, "shared", shared=False)
    with pytest.raises(ValidationError, match="mtu: a vxlan network's MTU must be 68 to 1450"):
        t.net.networks.create(alice, "jumbo", mtu=9000)
    assert t.net.networks.update(alice, "shared", mtu=1400).mtu == 1400
    made = t.net.routers.create(admin, "theirs", project="net-a")  # a cloud admin works in a tenant's project
    assert made.project_id == t.a and t.net.routers.find(admin, "theirs", project="net-a") == made
    assert t.net.routers.get(alice, "theirs") == made and t.net.routers.find(bob, made.id) is None


def test_overlapping_cidrs_across_projects_yes_on_one_router_no(tenants: Tenants) -> None:
    t, alice, bob = tenants, tenants.alice, tenants.bob
    _, a1 = private(t, alice, "one", "10.0.0.0/24")
    _, b1 = private(t, bob, "one", "10.0.0.0/24")  # same CIDR, other project: fine
    _, a2 = private(t, alice, "two", "10.0.0.0/25")  # same project, other network: fine too
    t.net.routers.create(bob, "rb", external_gateway=GatewayRequest(t.public), interfaces=[b1])
    router = t.net.routers.create(alice, "ra", interfaces=[a1])
    with pytest.raises(SubnetOverlap, match="a router cannot connect overlapping subnets"):
        t.net.routers.update(alice, router.id, add_interfaces=[a2])
    assert [i.subnet_id for i in t.net.routers.get(alice, "ra").interfaces] == [a1], "nothing half made"
    # a swap in one call: the removal comes first
    swapped = t.net.routers.update(alice, "ra", remove_interfaces=[a1], add_interfaces=[a2])
    assert [i.subnet_id for i in swapped.interfaces] == [a2]
    # the gateway's subnet counts too
    _, clash = private(t, alice, "clash", "203.0.113.0/25")
    with pytest.raises(SubnetOverlap):
        t.net.routers.update(alice, "ra", external_gateway=GatewayRequest("public"), add_interfaces=[clash])
    t.net.subnets.create(alice, "two", "10.0.2.0/24", name="one-v4")  # the same name on another network
    assert t.net.subnets.get(alice, "one-v4", network="one").id == a1, "a name is looked up on the network given"
    with pytest.raises(Conflict, match="several subnets are named 'one-v4'; use the id"):
        t.net.subnets.get(alice, "one-v4")
    with pytest.raises(Conflict, match="already on router"):
        t.net.routers.create(alice, "rc", interfaces=[a2])
    assert [r.name for r in t.net.routers.list(alice)] == ["ra"], "the failed create left no router"


def test_quota_exhaustion_names_the_resource(tenants: Tenants) -> None:
    t, alice = tenants, tenants.alice
    t.cloud.c.quotas.set_limits(t.cloud.admin, t.a, {"networks": 1, "subnets": 1, "ports": 2, "routers": 1,
                                                     "floating_ips": 1})  # fmt: skip
    network_id, subnet_id = private(t, alice)
    with pytest.raises(OverQuota, match="quota exceeded for networks: limit 1, in use 1, requested 1"):
        t.net.networks.create(alice, "second")
    with pytest.raises(OverQuota, match="quota exceeded for subnets"):
        t.net.subnets.create(alice, network_id, "10.1.0.0/24")
    t.net.routers.create(alice, "r1", external_gateway=GatewayRequest("public"), interfaces=[subnet_id])
    with pytest.raises(OverQuota, match="quota exceeded for routers"):
        t.net.routers.create(alice, "r2")
    port = t.net.ports.create(alice, network_id)  # the router interface is the first port
    with pytest.raises(OverQuota, match="quota exceeded for ports: limit 2, in use 2"):
        t.net.ports.create(alice, network_id)
    t.net.floating_ips.create(alice, "public", port=port.id)
    with pytest.raises(OverQuota, match="quota exceeded for floating_ips"):
        t.net.floating_ips.create(alice, "public")
    assert [n.name for n in t.net.networks.list(alice)] == ["private", "public"]
    assert len(t.net.ports.list(alice)) == 2


def test_in_use_deletions_are_refused_naming_the_user(tenants: Tenants) -> None:
    t, alice = tenants, tenants.alice
    network_id, subnet_id = private(t, alice)
    router = t.net.routers.create(alice, "r1", external_gateway=GatewayRequest("public"), interfaces=[subnet_id])
    port = t.net.ports.create(alice, network_id, device_id="vm-1", device_owner="compute:nova")
    fip = t.net.floating_ips.create(alice, "public", port=port.id)
    with pytest.raises(
        NetworkInUse, match="interface of router %s .*port %s of compute:nova vm-1" % (router.id, port.id)
    ):
        t.net.networks.delete(alice, "private")
    with pytest.raises(NetworkInUse, match="subnet private-v4 .* is in use by interface of router"):
        t.net.subnets.delete(alice, subnet_id)
    with pytest.raises(Conflict, match="still has interfaces on subnet"):
        t.net.routers.delete(alice, "r1")
    with pytest.raises(Conflict, match="floating IP.* %s" % fip.floating_ip_address):
        t.net.routers.update(alice, "r1", remove_interfaces=[subnet_id])
    with pytest.raises(Conflict, match="through the gateway of router r1"):
        t.net.routers.update(alice, "r1", clear_gateway=True)
    with pytest.raises(Conflict, match="interface of router"):
        t.net.ports.delete(alice, router.interfaces[0].port_id)
    with pytest.raises(NetworkInUse, match="network public is in use by gateway of router .*floating IP"):
        t.net.networks.delete(t.cloud.admin, "public")
    # deleting the server's port disassociates its floating IP (as in Neutron)
    t.net.ports.delete(alice, port.id)
    assert t.net.floating_ips.get(alice, fip.id).port_id is None


def test_floating_ip_association_rules(tenants: Tenants) -> None:
    t, alice, bob, admin = tenants, tenants.alice, tenants.bob, tenants.cloud.admin
    network_id, subnet_id = private(t, alice)
    port = t.net.ports.create(alice, network_id)
    fip = t.net.floating_ips.create(alice, "public")
    assert fip.port_id is None and fip.router_id is None
    with pytest.raises(ValidationError, match="port: external network public is not reachable from subnet private-v4"):
        t.net.floating_ips.associate(alice, fip.id, port.id)
    router = t.net.routers.create(alice, "r1", interfaces=[subnet_id])  # no gateway yet: still unreachable
    with pytest.raises(ValidationError, match="not reachable"):
        t.net.floating_ips.associate(alice, fip.id, port.id)
    other = t.net.networks.create(admin, "public2", external=True)
    t.net.subnets.create(admin, other.id, "198.51.100.0/24")
    t.net.routers.update(alice, "r1", external_gateway=GatewayRequest("public2"))  # gateway elsewhere
    with pytest.raises(ValidationError, match="not reachable"):
        t.net.floating_ips.associate(alice, fip.id, port.id)
    t.net.routers.update(alice, "r1", external_gateway=GatewayRequest("public"))
    associated = t.net.floating_ips.associate(alice, fip.id, port.id)
    assert associated.router_id == router.id and associated.fixed_ip_address == port.fixed_ips[0].ip_address
    with pytest.raises(ValidationError, match="fixed_ip_address: 10.0.0.99 is not an IPv4 address"):
        t.net.floating_ips.associate(alice, fip.id, port.id, fixed_ip_address="10.0.0.99")
    with pytest.raises(ValidationError, match="is a network:router_interface port"):
        t.net.floating_ips.associate(alice, fip.id, router.interfaces[0].port_id)
    # a port of another project: even the cloud admin cannot cross projects
    bob_net, _ = private(t, bob, "bnet", "10.5.0.0/24")
    bob_port = t.net.ports.create(bob, bob_net)
    with pytest.raises(ValidationError, match="belongs to another project"):
        t.net.floating_ips.associate(admin, fip.id, bob_port.id)
    with pytest.raises(ValidationError, match="network: private is not an external network"):
        t.net.floating_ips.create(alice, "private")
    with pytest.raises(PolicyNotAuthorized, match="network:create_floatingip_with_address"):
        t.net.floating_ips.create(alice, "public", floating_ip_address="203.0.113.77")
    exact = t.net.floating_ips.create(admin, "public", floating_ip_address="203.0.113.77", project=t.a)
    assert exact.project_id == t.a and t.net.floating_ips.find(alice, "203.0.113.77") == exact
    assert t.net.floating_ips.disassociate(alice, fip.id).port_id is None
    t.net.floating_ips.delete(alice, fip.floating_ip_address)
    assert t.net.floating_ips.find(alice, fip.id) is None
    assert t.cloud.c.quotas.get_usage(alice, t.a)["floating_ips"].in_use == 1


def test_ports_fixed_ips_subnet_updates_and_bad_input(tenants: Tenants) -> None:
    t, alice = tenants, tenants.alice
    network_id, subnet_id = private(t, alice)
    v6 = t.net.subnets.create(alice, network_id, "2001:db8:1::/64", name="private-v6")
    port = t.net.ports.create(alice, network_id, fixed_ips=[FixedIpRequest(subnet_id="private-v4",
                                                                           ip_address="10.0.0.50")])  # fmt: skip
    assert [ip.ip_address for ip in port.fixed_ips] == ["10.0.0.50"]
    changed = t.net.ports.update(alice, port.id, fixed_ips=[FixedIpRequest(ip_address="10.0.0.50"),
                                                            FixedIpRequest(subnet_id=v6.id)])  # fmt: skip
    assert [ip.subnet_id for ip in changed.fixed_ips] == [subnet_id, v6.id]
    same = t.net.ports.update(alice, port.id, fixed_ips=[FixedIpRequest(subnet_id=v6.id),
                                                         FixedIpRequest(subnet_id=subnet_id)])  # fmt: skip
    assert same.fixed_ips == changed.fixed_ips, "requests already satisfied change nothing"
    with pytest.raises(ValidationError, match="fixed_ips: no subnet 'nope'"):
        t.net.ports.create(alice, network_id, fixed_ips=[FixedIpRequest(subnet_id="nope")])
    with pytest.raises(PolicyNotAuthorized, match="network:set_cloud_device_owner"):
        t.net.ports.create(alice, network_id, device_owner="network:dhcp")
    for kwargs, field in (({"cidr": "10.0.1.5/24"}, "cidr"), ({"cidr": "10.0.1.0/24", "ip_version": 6}, "ip_version"),
                          ({"cidr": "10.0.1.0/24", "gateway_ip": "10.9.9.9"}, "gateway_ip"),
                          ({"cidr": "10.0.1.0/24", "allocation_pools": [("10.0.1.1", "10.0.1.9")]}, "allocation_pools"),
                          ({"cidr": "10.0.1.0/24", "dns_nameservers": ["x"]}, "dns_nameservers"),
                          ({"cidr": "10.0.1.0/24", "host_routes": [("10.0.0.0/8", "2001:db8::1")]}, "host_routes")):  # fmt: skip
        with pytest.raises(ValidationError) as caught:
            t.net.subnets.create(alice, network_id, **kwargs)  # type: ignore[arg-type]
        assert caught.value.field == field and str(caught.value).startswith(field + ": "), caught.value
    updated = t.net.subnets.update(alice, subnet_id, name="renamed", dns_nameservers=["1.1.1.1", "9.9.9.9"],
                                   host_routes=[("192.168.0.0/16", "10.0.0.254")], enable_dhcp=False,
                                   allocation_pools=[("10.0.0.100", "10.0.0.200")])  # fmt: skip
    assert updated.dns_nameservers == ("1.1.1.1", "9.9.9.9") and not updated.enable_dhcp
    assert updated.allocation_pools == (("10.0.0.100", "10.0.0.200"),) and updated.name == "renamed"
    assert (
        t.net.ports.create(alice, network_id, fixed_ips=[FixedIpRequest(subnet_id=subnet_id)]).fixed_ips[0].ip_address
        == "10.0.0.100"
    )
