"""The networking cloud modules' pure pieces, in process: address, CIDR, pool and route
normalisers, the exact-set check of a port's fixed IPs, the subnet module's default gateway
and fixed options, the network module's fixed provider options."""

from __future__ import annotations

import ipaddress
from types import SimpleNamespace
from typing import Any

import pytest

from ansible_collections.stackling.cloud.plugins.module_utils import _cloud_network as net
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput
from ansible_collections.stackling.cloud.plugins.modules import floating_ip, network, subnet


def test_addresses_and_cidrs_are_canonical_or_name_the_option() -> None:
    assert net.address("gateway_ip", " 2001:DB8:0::1 ") == "2001:db8::1"
    assert net.cidr("cidr", "2001:DB8:1:0::/64") == "2001:db8:1::/64"
    with pytest.raises(InvalidInput, match="^gateway_ip: 'x' is not an IP address"):
        net.address("gateway_ip", "x")
    with pytest.raises(InvalidInput, match="^cidr: '10.0.0.5/24' is not a network address"):
        net.cidr("cidr", "10.0.0.5/24")


def test_pools_and_routes_compare_order_free_nameservers_keep_their_order() -> None:
    pools = [{"start": "10.0.0.100", "end": "10.0.0.200"}, {"start": "10.0.0.2", "end": "10.0.0.50"}]
    assert net.pools(pools) == [{"start": "10.0.0.2", "end": "10.0.0.50"}, {"start": "10.0.0.100", "end": "10.0.0.200"}]
    routes = [{"destination": "192.168.0.0/16", "nexthop": "10.0.0.9"}, {"destination": "0.0.0.0/0", "nexthop": "10.0.0.1"}]
    assert [r["destination"] for r in net.routes(routes)] == ["0.0.0.0/0", "192.168.0.0/16"]
    assert net.nameservers(["9.9.9.9", "1.1.1.1"]) == ["9.9.9.9", "1.1.1.1"]
    assert net.pools(None) is None and net.routes(None) is None and net.nameservers(None) is None


def test_fixed_ips_satisfied_is_an_exact_set() -> None:
    current = [{"subnet_id": "s4", "ip_address": "10.0.0.5"}, {"subnet_id": "s6", "ip_address": "2001:db8::5"}]
    assert net.fixed_ips_satisfied(current, [("s4", None), (None, "2001:db8::5")])
    assert net.fixed_ips_satisfied(current, [("s6", None), ("s4", "10.0.0.5")])
    assert not net.fixed_ips_satisfied(current, [("s4", None)]), "an address no request asks for"
    assert not net.fixed_ips_satisfied(current, [("s4", None), ("s4", None), ("s6", None)]), "one address per request"
    assert not net.fixed_ips_satisfied(current, [("s4", "10.0.0.6"), ("s6", None)])
    assert net.fixed_ips_satisfied([], [])


def test_new_subnet_gateway() -> None:
    base: dict[str, Any] = {"disable_gateway_ip": False, "gateway_ip": None}
    assert subnet.wanted_gateway(base, ipaddress.ip_network("10.0.0.0/24")) == "10.0.0.1"
    assert subnet.wanted_gateway(base, ipaddress.ip_network("10.0.0.0/31")) is None
    assert subnet.wanted_gateway(dict(base, gateway_ip="10.0.0.254"), ipaddress.ip_network("10.0.0.0/24")) == "10.0.0.254"
    assert subnet.wanted_gateway(dict(base, disable_gateway_ip=True), ipaddress.ip_network("10.0.0.0/24")) is None


def test_fixed_options_name_the_option() -> None:
    current = {"name": "s", "cidr": "10.0.0.0/24", "ip_version": 4, "gateway_ip": "10.0.0.1"}
    subnet.check_fixed(current, {"cidr": "10.0.0.0/24", "ip_version": None, "gateway_ip": None,
                                 "disable_gateway_ip": False})  # fmt: skip
    with pytest.raises(InvalidInput, match="^gateway_ip: .*fixed once made"):
        subnet.check_fixed(current, {"cidr": None, "ip_version": None, "gateway_ip": "10.0.0.2",
                                     "disable_gateway_ip": False})  # fmt: skip
    with pytest.raises(InvalidInput, match="^disable_gateway_ip: "):
        subnet.check_fixed(current, {"cidr": None, "ip_version": None, "gateway_ip": None, "disable_gateway_ip": True})
    provider = {"name": "n", "provider_network_type": "vxlan", "provider_physical_network": None,
                "provider_segmentation_id": 7}
    network.check_provider(provider, {"provider_network_type": "vxlan", "provider_physical_network": None,
                                      "provider_segmentation_id": None})  # fmt: skip
    with pytest.raises(InvalidInput, match="^provider_segmentation_id: "):
        network.check_provider(provider, {"provider_network_type": None, "provider_physical_network": None,
                                          "provider_segmentation_id": 8})  # fmt: skip


def fake_cloud(servers: dict[str, str], ports: list[Any]) -> Any:
    """A cloud whose servers.find knows ``servers`` (name -> id) and whose ports are ``ports``."""
    by_device = lambda ctx, device_id=None: [p for p in ports if p.device_id == device_id]  # noqa: E731
    find_port = lambda ctx, ref: next((p for p in ports if ref in (p.id, p.name)), None)  # noqa: E731
    server = lambda ctx, ref: SimpleNamespace(id=servers[ref]) if ref in servers else None  # noqa: E731
    networking = SimpleNamespace(ports=SimpleNamespace(list=by_device, find=find_port))
    return SimpleNamespace(ctx=None, controller=SimpleNamespace(servers=SimpleNamespace(find=server),
                                                                networking=networking))  # fmt: skip


def test_floating_ip_server_option_takes_the_servers_first_port_with_ipv4() -> None:
    v6 = SimpleNamespace(id="p6", name="", device_id="vm", fixed_ips=[SimpleNamespace(ip_address="2001:db8::5")])
    v4 = SimpleNamespace(id="p4", name="", device_id="vm", fixed_ips=[SimpleNamespace(ip_address="10.0.0.5")])
    loose = SimpleNamespace(id="px", name="web-0", device_id="", fixed_ips=[])
    cloud = fake_cloud({"web": "vm"}, [v6, v4, loose])
    params: dict[str, Any] = {"port": None, "server": "web"}
    assert floating_ip.target_port(cloud, params) is v4
    assert floating_ip.target_port(cloud, dict(params, server="web-0")) is loose, "a port name still works"
    with pytest.raises(InvalidInput, match="^server: port 'nope' not found"):
        floating_ip.target_port(cloud, dict(params, server="nope"))
    with pytest.raises(InvalidInput, match="^server: server web has no port with an IPv4 address"):
        floating_ip.target_port(fake_cloud({"web": "vm"}, [v6]), params)
