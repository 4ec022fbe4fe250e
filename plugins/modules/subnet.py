#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: subnet
short_description: Create, update or delete a subnet of a Stackling network
description:
  - Ensures an IPv4 or IPv6 subnet exists on a network with the given gateway, allocation pools,
    DNS servers, host routes and DHCP flag, or does not exist (like M(openstack.cloud.subnet)).
  - The network's project (or a cloud admin) manages its subnets; subnets of shared and external
    networks are visible to every project.
  - O(cidr), O(ip_version) and the gateway are fixed once the subnet exists; asking for others
    fails naming the option. O(allocation_pools), O(dns_nameservers), O(host_routes) and
    O(enable_dhcp) may change (addresses already handed out stay).
  - Overlapping subnets on one network are refused; across networks and projects they are fine.
  - A subnet whose addresses are held (by ports, a router interface or gateway, floating IPs) is
    not deleted; the error names what holds them.
  - This module manages the cloud's records; DHCP on the nodes is the conductor's job.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name (or id) of the subnet.
    type: str
    required: true
  state:
    description:
      - V(present) creates the subnet or updates what may change; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  network:
    description:
      - The network (name or id). Required to create a subnet; when given, the subnet is looked
        up on that network only.
    type: str
  cidr:
    description:
      - The subnet's network address, like V(10.0.0.0/24) or V(2001:db8:1::/64). Required to create a subnet.
    type: str
  ip_version:
    description:
      - IP version; must match O(cidr) when given.
    type: int
    choices: [4, 6]
  gateway_ip:
    description:
      - Gateway address; default the first usable address of O(cidr).
    type: str
  disable_gateway_ip:
    description:
      - No gateway at all.
    type: bool
    default: false
  allocation_pools:
    description:
      - Address ranges handed out to ports; default the usable range without the gateway.
        Compared order-free. Left as they are when omitted.
    type: list
    elements: dict
    suboptions:
      start:
        description: First address.
        type: str
        required: true
      end:
        description: Last address.
        type: str
        required: true
  dns_nameservers:
    description:
      - DNS servers, in order. Left as they are when omitted.
    type: list
    elements: str
  host_routes:
    description:
      - Routes handed to the guests by DHCP. Compared order-free. Left as they are when omitted.
    type: list
    elements: dict
    suboptions:
      destination:
        description: Destination CIDR.
        type: str
        required: true
      nexthop:
        description: Next hop address.
        type: str
        required: true
  enable_dhcp:
    description:
      - Whether DHCP serves the subnet. Left as it is when omitted (V(true) for a new subnet).
    type: bool
"""

EXAMPLES = r"""
- name: An IPv4 subnet
  stackling.cloud.subnet:
    cloud: web-member
    name: private-v4
    network: private
    cidr: 10.0.0.0/24
    dns_nameservers: [9.9.9.9]

- name: An IPv6 subnet without a gateway
  stackling.cloud.subnet:
    cloud: web-member
    name: private-v6
    network: private
    cidr: 2001:db8:1::/64
    disable_gateway_ip: true
"""

RETURN = r"""
subnet:
  description: The subnet after the run (in check mode, as it would be; the id of a subnet not yet created is null).
  returned: when O(state=present)
  type: dict
  contains:
    id: {description: "Subnet id.", type: str}
    name: {description: "Subnet name.", type: str}
    network_id: {description: "Its network.", type: str}
    project_id: {description: "Owner project.", type: str}
    ip_version: {description: "4 or 6.", type: int}
    cidr: {description: "Network address.", type: str, sample: 10.0.0.0/24}
    gateway_ip: {description: "Gateway (null: none).", type: str}
    allocation_pools: {description: "Pools (start, end), sorted; null in check mode for a new subnet without O(allocation_pools).", type: list, elements: dict}
    dns_nameservers: {description: "DNS servers, in order.", type: list, elements: str}
    host_routes: {description: "Host routes (destination, nexthop), sorted.", type: list, elements: dict}
    enable_dhcp: {description: "Whether DHCP serves it.", type: bool}
"""

import ipaddress

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_network import (
    address,
    cidr,
    find_network,
    nameservers,
    networking,
    pools,
    routes,
    subnet_view,
)
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import STATE_SPEC, plan, state_result, wanted
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": STATE_SPEC,
    "network": {"type": "str"},
    "cidr": {"type": "str"},
    "ip_version": {"type": "int", "choices": [4, 6]},
    "gateway_ip": {"type": "str"},
    "disable_gateway_ip": {"type": "bool", "default": False},
    "allocation_pools": {"type": "list", "elements": "dict",
                         "options": {"start": {"type": "str", "required": True},
                                     "end": {"type": "str", "required": True}}},
    "dns_nameservers": {"type": "list", "elements": "str"},
    "host_routes": {"type": "list", "elements": "dict", "options": {
        "destination": {"type": "str", "required": True}, "nexthop": {"type": "str", "required": True}}},
    "enable_dhcp": {"type": "bool"},
}


def wanted_gateway(params, network):
    """The gateway a new subnet gets: none, the one given, or the first usable address."""
    if params["disable_gateway_ip"]:
        return None
    if params["gateway_ip"] is not None:
        return address("gateway_ip", params["gateway_ip"])
    return None if network.prefixlen >= network.max_prefixlen - 1 else str(network.network_address + 1)


def check_fixed(current, params):
    """The options that cannot change on an existing subnet."""
    fixed = {"cidr": None if params["cidr"] is None else cidr("cidr", params["cidr"]),
             "ip_version": params["ip_version"],
             "gateway_ip": None if params["gateway_ip"] is None else address("gateway_ip", params["gateway_ip"])}
    for option, value in fixed.items():
        if value is not None and value != current[option]:
            raise InvalidInput(option, "subnet %s has %s %s; it is fixed once made (delete and recreate the subnet)"
                               % (current["name"], option, current[option]))
    if params["disable_gateway_ip"] and current["gateway_ip"] is not None:
        raise InvalidInput("disable_gateway_ip", "subnet %s has gateway %s; it is fixed once made"
                           % (current["name"], current["gateway_ip"]))


def new_subnet(cloud, params):
    for option in ("network", "cidr"):
        if params[option] is None:
            raise InvalidInput(option, "a new subnet needs network and cidr")
    network = find_network(cloud, params["network"])
    net = ipaddress.ip_network(cidr("cidr", params["cidr"]))
    if params["ip_version"] not in (None, net.version):
        raise InvalidInput("ip_version", "%s is an IPv%d CIDR" % (net, net.version))
    return {"id": None, "name": params["name"], "network_id": network.id, "project_id": network.project_id,
            "ip_version": net.version, "cidr": str(net), "gateway_ip": wanted_gateway(params, net),
            "allocation_pools": None, "dns_nameservers": [], "host_routes": [], "enable_dhcp": True}


def current_subnet(cloud, params):
    """The subnet's view (None if missing); a missing O(network) fails, unless the subnet is to be absent."""
    network = params["network"]
    if network is not None and networking(cloud).networks.find(cloud.ctx, network) is None:
        if params["state"] == "absent":
            return None
        raise InvalidInput("network", "network %r not found (or not visible to the caller)" % network)
    found = networking(cloud).subnets.find(cloud.ctx, params["name"], network)
    return subnet_view(found) if found else None


def run(module, cloud):
    params = module.params
    current = current_subnet(cloud, params)
    if params["state"] == "absent":
        change = plan(current, {}, "absent")
    else:
        if current is not None:
            check_fixed(current, params)
        desired = wanted(allocation_pools=pools(params["allocation_pools"]),
                         dns_nameservers=nameservers(params["dns_nameservers"]),
                         host_routes=routes(params["host_routes"]), enable_dhcp=params["enable_dhcp"])
        new = new_subnet(cloud, params) if current is None else None
        change = plan(current, desired, "present", dict(new or {}, **desired))
    view = change.after
    if change.changed:
        owner = (change.before or change.after)["project_id"]
        cloud.authorize("network:%s_subnet" % change.action, {"project_id": owner})
        if not module.check_mode:
            view = apply(cloud, change, params)
    return state_result(module, change, "subnet", view)


def apply(cloud, change, params):
    subnets = networking(cloud).subnets
    if change.action == "delete":
        subnets.delete(cloud.ctx, change.before["id"])
        return None
    after = change.after
    pairs = None if after["allocation_pools"] is None else [(p["start"], p["end"]) for p in after["allocation_pools"]]
    hops = [(r["destination"], r["nexthop"]) for r in after["host_routes"]]
    if change.action == "create":
        gateway = None if params["disable_gateway_ip"] else params["gateway_ip"] or "auto"
        made = subnets.create(cloud.ctx, after["network_id"], after["cidr"], name=after["name"],
                              ip_version=after["ip_version"], gateway_ip=gateway, allocation_pools=pairs,
                              dns_nameservers=after["dns_nameservers"], host_routes=hops,
                              enable_dhcp=after["enable_dhcp"])
        return subnet_view(made)
    keys = change.keys
    updated = subnets.update(
        cloud.ctx, change.before["id"], allocation_pools=pairs if "allocation_pools" in keys else None,
        dns_nameservers=after["dns_nameservers"] if "dns_nameservers" in keys else None,
        host_routes=hops if "host_routes" in keys else None,
        enable_dhcp=after["enable_dhcp"] if "enable_dhcp" in keys else None)
    return subnet_view(updated)


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
