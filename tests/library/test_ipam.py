"""IPAM against the state store: networks and VNIs, subnets, ports, fixed and floating IPs."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from stackling.allocation_errors import (
    IpAddressExhausted,
    IpAddressInUse,
    NetworkInUse,
    SegmentationIdExhausted,
    SubnetOverlap,
)
from stackling.clock import utcnow
from stackling.db import Database
from stackling.errors import ConfigError, Conflict, ErrorCode, NotFound, ValidationError
from stackling.ipam import FixedIpRequest, Ipam, IpamConfig, check_router_subnets, ipam_config_from_mapping


@pytest.fixture()
def ipam() -> Ipam:
    return Ipam(IpamConfig(vni_ranges=((100, 102), (200, 200))), utcnow, random.Random(42))


def test_tenant_networks_take_the_lowest_free_vni_and_give_it_back(database: Database, ipam: Ipam) -> None:
    with database.write() as session:
        nets = [ipam.create_network(session, "p1", "n%d" % i) for i in range(4)]
        assert [n.segmentation_id for n in nets] == [100, 101, 102, 200]
        assert nets[0].mtu == 1450 and nets[0].network_type == "vxlan"
        with pytest.raises(SegmentationIdExhausted):
            ipam.create_network(session, "p1", "one-too-many")
        ipam.delete_network(session, nets[1].id)
        assert ipam.create_network(session, "p2", "reuse").segmentation_id == 101
        with pytest.raises(Conflict):  # an operator-chosen VNI that is taken
            ipam.create_network(session, "admin", "dup", segmentation_id=100)
        assert ipam.create_network(session, "admin", "chosen", segmentation_id=5000).segmentation_id == 5000


def test_provider_networks(database: Database, ipam: Ipam) -> None:
    with database.write() as session:
        flat = ipam.create_network(session, "admin", "public", "flat", physical_network="physnet1", external=True)
        assert (flat.segmentation_id, flat.mtu, flat.external) == (None, 1500, True)
        vlan = ipam.create_network(session, "admin", "v10", "vlan", segmentation_id=10, physical_network="physnet1")
        assert vlan.segmentation_id == 10
        ipam.create_network(session, "admin", "v10-other", "vlan", segmentation_id=10, physical_network="physnet2")
        with pytest.raises(Conflict):
            ipam.create_network(session, "admin", "v10-again", "vlan", segmentation_id=10, physical_network="physnet1")
        for bad in (dict(network_type="vlan", physical_network="physnet1"), dict(network_type="flat"),
                    dict(network_type="gre"), dict(network_type="vxlan", segmentation_id=2**24)):  # fmt: skip
            with pytest.raises(ValidationError):
                ipam.create_network(session, "admin", "bad", **bad)  # type: ignore[arg-type]


def test_subnet_defaults_and_options(database: Database, ipam: Ipam) -> None:
    with database.write() as session:
        net = ipam.create_network(session, "p1", "net")
        v4 = ipam.create_subnet(session, net.id, "10.0.0.0/24", dns_nameservers=["10.0.0.2", "1.1.1.1"],
                                host_routes=[("192.168.0.0/24", "10.0.0.254")])  # fmt: skip
        assert v4.gateway_ip == "10.0.0.1"
        assert v4.allocation_pools == (("10.0.0.2", "10.0.0.254"),)
        assert v4.dns_nameservers == ("10.0.0.2", "1.1.1.1")
        assert [(r.destination, r.nexthop) for r in v4.host_routes] == [("192.168.0.0/24", "10.0.0.254")]
        v6 = ipam.create_subnet(session, net.id, "2001:db8:1::/64")
        assert v6.ip_version == 6 and v6.gateway_ip == "2001:db8:1::1"
        assert v6.allocation_pools == (("2001:db8:1::2", "2001:db8:1:0:ffff:ffff:ffff:ffff"),)  # RFC 5952 text
        other = ipam.create_network(session, "p1", "other")
        mid = ipam.create_subnet(session, other.id, "10.1.0.0/24", gateway_ip="10.1.0.100")
        assert mid.allocation_pools == (("10.1.0.1", "10.1.0.99"), ("10.1.0.101", "10.1.0.254"))
        none = ipam.create_subnet(session, other.id, "10.2.0.0/29", gateway_ip=None,
                                  allocation_pools=[("10.2.0.4", "10.2.0.6")])  # fmt: skip
        assert none.gateway_ip is None and none.allocation_pools == (("10.2.0.4", "10.2.0.6"),)
        assert [s.cidr for s in ipam.subnets(session, other.id)] == ["10.1.0.0/24", "10.2.0.0/29"]


@pytest.mark.parametrize(
    ("cidr", "options"),
    [
        ("10.0.0.5/24", {}),  # not a network address
        ("10.0.0.0", {}),
        ("banana", {}),
        ("10.0.0.0/24", {"gateway_ip": "10.0.1.1"}),
        ("10.0.0.0/24", {"gateway_ip": "10.0.0.255"}),
        ("10.0.0.0/24", {"gateway_ip": "10.0.0.0"}),
        ("10.0.0.0/24", {"allocation_pools": [("10.0.0.0", "10.0.0.10")]}),
        ("10.0.0.0/24", {"allocation_pools": [("10.0.0.200", "10.0.0.255")]}),
        ("10.0.0.0/24", {"allocation_pools": [("10.0.0.1", "10.0.0.10")]}),  # contains the gateway
        ("10.0.0.0/24", {"allocation_pools": [("10.0.0.10", "10.0.0.5")]}),
        ("10.0.0.0/24", {"allocation_pools": [("10.0.0.2", "10.0.0.50"), ("10.0.0.40", "10.0.0.60")]}),
        ("10.0.0.0/24", {"allocation_pools": [("2001:db8::2", "2001:db8::5")]}),
        ("10.0.0.0/24", {"dns_nameservers": ["not-an-ip"]}),
        ("10.0.0.0/24", {"dns_nameservers": ["1.1.1.1", "1.1.1.1"]}),
        ("10.0.0.0/24", {"host_routes": [("192.168.0.0/24", "2001:db8::1")]}),
    ],
)
def test_bad_subnets_are_refused(database: Database, ipam: Ipam, cidr: str, options: dict[str, object]) -> None:
    with database.write() as session:
        net = ipam.create_network(session, "p1", "net")
        with pytest.raises(ValidationError):
            ipam.create_subnet(session, net.id, cidr, **options)  # type: ignore[arg-type]


def test_overlapping_cidrs_across_projects_but_not_within_a_network(database: Database, ipam: Ipam) -> None:
    with database.write() as session:
        a = ipam.create_network(session, "p1", "a")
        b = ipam.create_network(session, "p2", "b")
        sa = ipam.create_subnet(session, a.id, "10.0.0.0/24")
        sb = ipam.create_subnet(session, b.id, "10.0.0.0/24")  # another project: fine
        with pytest.raises(SubnetOverlap):
            ipam.create_subnet(session, a.id, "10.0.0.128/25")
        other = ipam.create_subnet(session, b.id, "10.9.0.0/16")
    with pytest.raises(SubnetOverlap) as caught:
        check_router_subnets([sa, other, sb])
    assert caught.value.code == ErrorCode.SUBNET_OVERLAP
    assert sa.id in str(caught.value) and sb.id in str(caught.value)
    check_router_subnets([sa, other])


def test_ports_get_unique_macs_and_addresses_from_each_ip_version(database: Database, ipam: Ipam) -> None:
    with database.write() as session:
        net = ipam.create_network(session, "p1", "net")
        v4 = ipam.create_subnet(session, net.id, "10.0.0.0/29")  # pool .2-.6
        v6 = ipam.create_subnet(session, net.id, "2001:db8::/64")
        ports = [ipam.create_port(session, net.id, device_id="vm%d" % i) for i in range(5)]
        assert [p.fixed_ips[0].ip_address for p in ports] == ["10.0.0.%d" % i for i in range(2, 7)]
        assert [p.fixed_ips[1].ip_address for p in ports] == ["2001:db8::%d" % i for i in range(2, 7)]
        assert len({p.mac_address for p in ports}) == 5
        assert all(p.mac_address.startswith("fa:16:3e:") for p in ports)
        with pytest.raises(IpAddressExhausted) as caught:
            ipam.create_port(session, net.id, fixed_ips=[FixedIpRequest(subnet_id=v4.id)])
        assert caught.value.code == ErrorCode.IP_ADDRESS_EXHAUSTED
        ipam.delete_port(session, ports[1].id)
        again = ipam.create_port(session, net.id, fixed_ips=[FixedIpRequest(subnet_id=v4.id)])
        assert again.fixed_ips[0].ip_address == "10.0.0.3"  # the only free one
        v6_only = ipam.create_port(session, net.id, fixed_ips=[FixedIpRequest(subnet_id=v6.id)])
        assert v6_only.fixed_ips[0].ip_address == "2001:db8::7"
        bare = ipam.create_port(session, net.id, fixed_ips=[])
        assert bare.fixed_ips == ()
        assert ipam.get_port(session, ports[0].id) == ports[0]


def test_released_addresses_are_reused_only_after_the_pool_wraps(database: Database, ipam: Ipam) -> None:
    with database.write() as session:
        net = ipam.create_network(session, "p1", "net")
        ipam.create_subnet(session, net.id, "10.0.0.0/28")  # pool .2-.14
        first = ipam.create_port(session, net.id)
        ipam.create_port(session, net.id)
        ipam.delete_port(session, first.id)  # .2 is free again
        assert ipam.create_port(session, net.id).fixed_ips[0].ip_address == "10.0.0.4"


def test_specific_addresses(database: Database, ipam: Ipam) -> None:
    with database.write() as session:
        net = ipam.create_network(session, "p1", "net")
        subnet = ipam.create_subnet(session, net.id, "10.0.0.0/24", allocation_pools=[("10.0.0.100", "10.0.0.200")])
        port = ipam.create_port(session, net.id, fixed_ips=[FixedIpRequest(ip_address="10.0.0.50")])  # outside the pool
        assert port.fixed_ips[0].ip_address == "10.0.0.50"
        with pytest.raises(IpAddressInUse):
            ipam.create_port(session, net.id, fixed_ips=[FixedIpRequest(subnet_id=subnet.id, ip_address="10.0.0.50")])
        with pytest.raises(IpAddressInUse):  # the gateway, for anyone but a router
            ipam.create_port(session, net.id, fixed_ips=[FixedIpRequest(ip_address="10.0.0.1")])
        router = ipam.create_port(session, net.id, fixed_ips=[FixedIpRequest(ip_address="10.0.0.1")],
                                  device_owner="network:router_interface")  # fmt: skip
        assert router.fixed_ips[0].ip_address == "10.0.0.1"
        for bad in ("10.0.0.0", "10.0.0.255", "10.0.1.5"):
            with pytest.raises(ValidationError):
                ipam.create_port(session, net.id, fixed_ips=[FixedIpRequest(subnet_id=subnet.id, ip_address=bad)])
        extra = ipam.add_fixed_ip(session, port.id, FixedIpRequest(subnet_id=subnet.id))
        assert extra.ip_address == "10.0.0.100"
        ipam.release_ip(session, port.id, "10.0.0.50")
        assert [ip.ip_address for ip in ipam.get_port(session, port.id).fixed_ips] == ["10.0.0.100"]
        with pytest.raises(NotFound):
            ipam.release_ip(session, port.id, "10.0.0.50")


def test_given_macs_are_validated_and_unique(database: Database, ipam: Ipam) -> None:
    with database.write() as session:
        net = ipam.create_network(session, "p1", "net")
        port = ipam.create_port(session, net.id, mac_address="FA-16-3E-00-00-01", fixed_ips=[])
        assert port.mac_address == "fa:16:3e:00:00:01"
        with pytest.raises(Conflict):
            ipam.create_port(session, net.id, mac_address="fa:16:3e:00:00:01", fixed_ips=[])
        for bad in ("01:00:5e:00:00:01", "00:00:00:00:00:00", "fa:16:3e:00:00", "zz:16:3e:00:00:01"):
            with pytest.raises(ValidationError):
                ipam.create_port(session, net.id, mac_address=bad, fixed_ips=[])


def test_networks_and_subnets_in_use_cannot_be_deleted(database: Database, ipam: Ipam) -> None:
    with database.write() as session:
        net = ipam.create_network(session, "p1", "net")
        subnet = ipam.create_subnet(session, net.id, "10.0.0.0/24")
        port = ipam.create_port(session, net.id)
        with pytest.raises(NetworkInUse):
            ipam.delete_subnet(session, subnet.id)
        with pytest.raises(NetworkInUse):
            ipam.delete_network(session, net.id)
        ipam.delete_port(session, port.id)
        ipam.delete_network(session, net.id)
        with pytest.raises(NotFound):
            ipam.get_subnet(session, subnet.id)


def test_floating_ips(database: Database, ipam: Ipam) -> None:
    with database.write() as session:
        public = ipam.create_network(session, "admin", "public", "flat", physical_network="physnet1", external=True)
        ipam.create_subnet(session, public.id, "203.0.113.0/29")  # pool .2-.6
        private = ipam.create_network(session, "p1", "private")
        ipam.create_subnet(session, private.id, "10.0.0.0/24")
        vm_port = ipam.create_port(session, private.id, device_id="vm1")
        fips = [ipam.create_floating_ip(session, public.id, "p1") for _ in range(4)]
        assert [f.address for f in fips] == ["203.0.113.%d" % i for i in range(2, 6)]
        chosen = ipam.create_floating_ip(session, public.id, "p1", ip_address="203.0.113.6")
        with pytest.raises(IpAddressExhausted):
            ipam.create_floating_ip(session, public.id, "p1")
        with pytest.raises(ValidationError):  # not external
            ipam.create_floating_ip(session, private.id, "p1")
        associated = ipam.associate_floating_ip(session, fips[0].id, vm_port.id)
        assert (associated.fixed_port_id, associated.fixed_ip_address) == (vm_port.id, "10.0.0.2")
        with pytest.raises(Conflict):
            ipam.associate_floating_ip(session, fips[1].id, vm_port.id)
        assert ipam.disassociate_floating_ip(session, fips[0].id).fixed_port_id is None
        ipam.delete_floating_ip(session, chosen.id)
        assert ipam.create_floating_ip(session, public.id, "p2").address == "203.0.113.6"


def test_ipam_config() -> None:
    config = ipam_config_from_mapping({"vni_ranges": [[1000, 1999], [5000, 5999]], "mac_prefix": "FA:16:3E"})
    assert config.vni_ranges == ((1000, 1999), (5000, 5999)) and config.mac_prefix == "fa:16:3e"
    for raw in ({"vni_ranges": [[0, 10]]}, {"vni_ranges": [[10, 5]]}, {"mac_prefix": "01:00:5e"},
                {"mac_prefix": "fa:16"}, {"colour": "blue"}, {"tunnel_mtu": 100}):  # fmt: skip
        with pytest.raises(ConfigError):
            ipam_config_from_mapping(raw)


@dataclass
class _Subnet:
    id: str
    cidr: str


def test_check_router_subnets_across_versions_and_containment() -> None:
    check_router_subnets([_Subnet("a", "10.0.0.0/24"), _Subnet("b", "2001:db8::/64"), _Subnet("c", "10.0.1.0/24")])
    with pytest.raises(SubnetOverlap):
        check_router_subnets([_Subnet("a", "10.0.0.0/16"), _Subnet("b", "10.0.200.0/24")])
    with pytest.raises(SubnetOverlap):
        check_router_subnets([_Subnet("a", "2001:db8::/48"), _Subnet("b", "2001:db8:0:1::/64")])
