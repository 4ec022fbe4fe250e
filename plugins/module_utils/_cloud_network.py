# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the networking cloud modules share: views of the library's records (plain dicts, lists
sorted so comparisons are order-free where order does not matter), address normalisers, and the
look-ups that turn the user's names into ids, failing naming the option."""

from __future__ import annotations

import ipaddress

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

try:
    from stackling.networking import FixedIpRequest, GatewayRequest
except ImportError:  # _cloud.run_cloud_module reports the missing library
    FixedIpRequest = GatewayRequest = None


def networking(cloud):
    """The library's networking services (networks, subnets, ports, routers, floating_ips)."""
    return cloud.controller.networking


def missing_network(cloud, params):
    """True when the ``network`` option names a network the caller does not see: an ``*_info`` module
    filtering by it then returns an empty list rather than failing."""
    return params["network"] is not None and networking(cloud).networks.find(cloud.ctx, params["network"]) is None


# --- views -----------------------------------------------------------------------------------------
def network_view(network):
    return {"id": network.id, "name": network.name, "project_id": network.project_id,
            "external": network.external, "shared": network.shared, "mtu": network.mtu,
            "provider_network_type": network.network_type,
            "provider_physical_network": network.physical_network or None,
            "provider_segmentation_id": network.segmentation_id}


def subnet_view(subnet):
    return {"id": subnet.id, "name": subnet.name, "network_id": subnet.network_id, "project_id": subnet.project_id,
            "ip_version": subnet.ip_version, "cidr": subnet.cidr, "gateway_ip": subnet.gateway_ip,
            "allocation_pools": sorted(({"start": first, "end": last} for first, last in subnet.allocation_pools),
                                       key=pool_key),
            "dns_nameservers": list(subnet.dns_nameservers),
            "host_routes": sorted(({"destination": r.destination, "nexthop": r.nexthop} for r in subnet.host_routes),
                                  key=route_key),
            "enable_dhcp": subnet.enable_dhcp}


def fixed_ip_view(ip):
    return {"subnet_id": ip.subnet_id, "ip_address": ip.ip_address}


def port_view(port):
    return {"id": port.id, "name": port.name, "network_id": port.network_id, "project_id": port.project_id,
            "mac_address": port.mac_address, "device_id": port.device_id, "device_owner": port.device_owner,
            "fixed_ips": [fixed_ip_view(ip) for ip in port.fixed_ips]}


def gateway_view(gateway):
    if gateway is None:
        return None
    return {"network_id": gateway.network_id, "enable_snat": gateway.enable_snat, "port_id": gateway.port_id,
            "external_fixed_ips": [fixed_ip_view(ip) for ip in gateway.fixed_ips]}


def router_view(router):
    return {"id": router.id, "name": router.name, "project_id": router.project_id,
            "external_gateway": gateway_view(router.external_gateway),
            "interfaces": [{"subnet_id": i.subnet_id, "port_id": i.port_id, "ip_address": i.ip_address}
                           for i in router.interfaces]}


def floating_ip_view(fip):
    return {"id": fip.id, "floating_ip_address": fip.floating_ip_address, "floating_network_id": fip.network_id,
            "project_id": fip.project_id, "port_id": fip.port_id, "fixed_ip_address": fip.fixed_ip_address,
            "router_id": fip.router_id}


# --- normalisers -----------------------------------------------------------------------------------
def pool_key(pool):
    return (ipaddress.ip_address(pool["start"]).version, int(ipaddress.ip_address(pool["start"])))


def route_key(route):
    return (route["destination"], route["nexthop"])


def address(field, text):
    """An IP address in its canonical text form (IPv6 compressed), or InvalidInput naming ``field``."""
    try:
        return str(ipaddress.ip_address(str(text).strip()))
    except ValueError:
        raise InvalidInput(field, "%r is not an IP address" % (text,)) from None


def cidr(field, text):
    """A CIDR in canonical form; one with host bits set fails, naming the network address."""
    try:
        return str(ipaddress.ip_network(str(text).strip()))
    except ValueError as exc:
        raise InvalidInput(field, "%r is not a network address in CIDR form (%s)" % (text, exc)) from None


def pools(items):
    if items is None:
        return None
    return sorted(({"start": address("allocation_pools", p["start"]), "end": address("allocation_pools", p["end"])}
                   for p in items), key=pool_key)


def routes(items):
    if items is None:
        return None
    return sorted(({"destination": cidr("host_routes", r["destination"]),
                    "nexthop": address("host_routes", r["nexthop"])} for r in items), key=route_key)


def nameservers(items):
    return None if items is None else [address("dns_nameservers", server) for server in items]


# --- look-ups ---------------------------------------------------------------------------------------
def project_id(cloud, project):
    """The id of the ``project`` option (a name or id), or None when not given (the caller's project)."""
    return None if project is None else cloud.resolve("project", project, field="project")["id"]


def find_network(cloud, ref, field="network", project=None):
    found = networking(cloud).networks.find(cloud.ctx, ref, project)
    if found is None:
        raise InvalidInput(field, "network %r not found (or not visible to the caller)" % ref)
    return found


def find_subnet(cloud, ref, field, network=None):
    found = networking(cloud).subnets.find(cloud.ctx, ref, network)
    if found is None:
        raise InvalidInput(field, "subnet %r not found (or not visible to the caller)" % ref)
    return found


def find_port(cloud, ref, field="port"):
    found = networking(cloud).ports.find(cloud.ctx, ref)
    if found is None:
        raise InvalidInput(field, "port %r not found (or not visible to the caller)" % ref)
    return found


def fixed_ip_requests(cloud, network_id, items):
    """The ``fixed_ips`` option as (subnet id or None, address or None) pairs, subnets looked up on the network."""
    out = []
    for item in items:
        subnet = item.get("subnet")
        ip = item.get("ip_address")
        if subnet is None and ip is None:
            raise InvalidInput("fixed_ips", "each entry needs a subnet, an ip_address or both")
        subnet_id = None if subnet is None else find_subnet(cloud, subnet, "fixed_ips", network_id).id
        out.append((subnet_id, None if ip is None else address("fixed_ips", ip)))
    return out


def fixed_ips_satisfied(current, requests):
    """Whether the port's fixed IPs (views) are exactly what ``requests`` asks for: every request
    matched by its own address, and no address left over."""
    left = list(current)
    for subnet_id, ip in requests:
        match = next((c for c in left if subnet_id in (None, c["subnet_id"]) and ip in (None, c["ip_address"])), None)
        if match is None:
            return False
        left.remove(match)
    return not left


def library_requests(requests):
    return [FixedIpRequest(subnet_id=subnet_id, ip_address=ip) for subnet_id, ip in requests]


def gateway_request(network_id, enable_snat):
    return GatewayRequest(network_id, enable_snat)
