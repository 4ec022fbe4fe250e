#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: floating_ip
short_description: Allocate, associate, disassociate or release a Stackling floating IP
description:
  - Ensures a floating IP from an external network points at a port (like
    M(openstack.cloud.floating_ip)), or that it does not.
  - V(present) with O(port) (or O(server)) finds the floating IP associated with that port; if
    there is none it allocates one from O(network) (or takes O(floating_ip_address)) and
    associates it, in one transaction. A second identical run changes nothing.
  - The port must belong to the floating IP's project and be reachable through a router with a
    gateway on the floating IP's network and an interface on the port's subnet, as in Neutron;
    otherwise the run fails saying so.
  - V(absent) disassociates the floating IP (named by O(floating_ip_address), or the one on
    O(port)); with O(release=true) it also releases the address to the pool.
  - Allocating a particular O(floating_ip_address) is for cloud admins (Neutron's default); any
    caller may name one their project already holds.
  - The library then updates the NAT of the router doing the translation on the network host
    through the conductor (DNAT to the fixed address, SNAT from it). If that fails, the
    association is left as it was (a floating IP allocated by the run is released) and the run
    fails saying why. Releasing an associated floating IP disassociates it first.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  state:
    description:
      - V(present) associates (allocating when needed); V(absent) disassociates (and releases with O(release)).
    type: str
    choices: [present, absent]
    default: present
  network:
    description:
      - The external network (name or id) to allocate from. Required when a floating IP must be allocated.
    type: str
  floating_ip_address:
    description:
      - The floating IP, by address.
    type: str
  port:
    description:
      - The port (name or id) the floating IP points at.
    type: str
  server:
    description:
      - The server (name or id, see M(stackling.cloud.server)) whose port the floating IP points
        at; with several ports, its first port that has an IPv4 address (name the port with
        O(port) to choose another). A port's name or id is accepted here too (as before servers
        existed).
    type: str
  fixed_address:
    description:
      - Which IPv4 address of the port; default its first one.
    type: str
  release:
    description:
      - With O(state=absent), also release the floating IP (its address goes back to the pool),
        like C(purge) of M(openstack.cloud.floating_ip).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: A floating IP for the web server's port
  stackling.cloud.floating_ip:
    cloud: web-member
    network: public
    port: web-0
  register: fip

- name: Take it away and give the address back
  stackling.cloud.floating_ip:
    cloud: web-member
    floating_ip_address: "{{ fip.floating_ip.floating_ip_address }}"
    state: absent
    release: true
"""

RETURN = r"""
floating_ip:
  description: The floating IP after the run (null once released; in check mode, as it would be, with null id and address when not yet allocated).
  returned: always
  type: dict
  contains:
    id: {description: "Floating IP id.", type: str}
    floating_ip_address: {description: "The address.", type: str, sample: 203.0.113.10}
    floating_network_id: {description: "Its external network.", type: str}
    project_id: {description: "Owner project.", type: str}
    port_id: {description: "The port it points at (null: none).", type: str}
    fixed_ip_address: {description: "The port's address it points at.", type: str}
    router_id: {description: "The router doing its NAT.", type: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_network import (
    address,
    find_network,
    find_port,
    floating_ip_view,
    networking,
)
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import STATE_SPEC, Plan, state_result
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

ARGUMENT_SPEC = {
    "state": STATE_SPEC,
    "network": {"type": "str"},
    "floating_ip_address": {"type": "str"},
    "port": {"type": "str"},
    "server": {"type": "str"},
    "fixed_address": {"type": "str"},
    "release": {"type": "bool", "default": False},
}
PAIRING = ("port_id", "fixed_ip_address")


def target_port(cloud, params):
    if params["port"] is not None:
        return find_port(cloud, params["port"], "port")
    if params["server"] is None:
        return None
    servers = getattr(cloud.controller, "servers", None)
    server = servers.find(cloud.ctx, params["server"]) if servers is not None else None
    if server is None:
        return find_port(cloud, params["server"], "server")
    ports = networking(cloud).ports.list(cloud.ctx, device_id=server.id)
    with_v4 = [port for port in ports if any(":" not in ip.ip_address for ip in port.fixed_ips)]
    if not with_v4:
        raise InvalidInput("server", "server %s has no port with an IPv4 address" % params["server"])
    return with_v4[0]


def current_fip(cloud, params, port):
    fips = networking(cloud).floating_ips
    if params["floating_ip_address"] is not None:
        found = fips.find(cloud.ctx, address("floating_ip_address", params["floating_ip_address"]))
    elif port is not None:
        found = next(iter(fips.list(cloud.ctx, port=port.id)), None)
    else:
        raise InvalidInput("port", "name the floating IP: give port, server or floating_ip_address")
    return floating_ip_view(found) if found else None


def plan_present(cloud, params, current, port):
    network = find_network(cloud, params["network"]) if params["network"] is not None else None
    fixed = None if params["fixed_address"] is None else address("fixed_address", params["fixed_address"])
    if current is None:
        if network is None:
            raise InvalidInput("network", "allocating a floating IP needs its external network")
        return Plan("create", None, {
            "id": None, "floating_ip_address": params["floating_ip_address"], "floating_network_id": network.id,
            "project_id": cloud.ctx.project_id, "port_id": port.id if port else None,
            "fixed_ip_address": fixed, "router_id": None})
    if network is not None and network.id != current["floating_network_id"]:
        raise InvalidInput("network", "floating IP %s is on network %s"
                           % (current["floating_ip_address"], current["floating_network_id"]))
    if port is None or (current["port_id"] == port.id and fixed in (None, current["fixed_ip_address"])):
        return Plan(None, current, current)
    after = dict(current, port_id=port.id, fixed_ip_address=fixed, router_id=None)
    return Plan("update", current, after, PAIRING)


def plan_absent(params, current):
    if current is None:
        return Plan(None, None, None)
    if params["release"]:
        return Plan("delete", current, None)
    if current["port_id"] is None:
        return Plan(None, current, current)
    return Plan("update", current, dict(current, port_id=None, fixed_ip_address=None, router_id=None), PAIRING)


def run(module, cloud):
    params = module.params
    if params["port"] is not None and params["server"] is not None:
        raise InvalidInput("server", "give port or server, not both")
    port = target_port(cloud, params)
    current = current_fip(cloud, params, port)
    if params["state"] == "present":
        change = plan_present(cloud, params, current, port)
    else:
        change = plan_absent(params, current)
    view = change.after
    if change.changed:
        authorize(cloud, change, params)
        if not module.check_mode:
            view = apply(cloud, change, params)
    return state_result(module, change, "floating_ip", view)


def authorize(cloud, change, params):
    target = {"project_id": (change.before or change.after)["project_id"]}
    cloud.authorize("network:%s_floatingip" % change.action, target)
    if change.action == "create" and params["floating_ip_address"] is not None:
        cloud.authorize("network:create_floatingip_with_address", target)


def apply(cloud, change, params):
    fips = networking(cloud).floating_ips
    after, before = change.after, change.before
    if change.action == "create":
        made = fips.create(cloud.ctx, after["floating_network_id"], floating_ip_address=after["floating_ip_address"],
                           port=after["port_id"], fixed_ip_address=after["fixed_ip_address"])
        return floating_ip_view(made)
    if change.action == "delete":
        fips.delete(cloud.ctx, before["id"])
        return None
    if after["port_id"] is None:
        return floating_ip_view(fips.disassociate(cloud.ctx, before["id"]))
    return floating_ip_view(fips.associate(cloud.ctx, before["id"], after["port_id"], after["fixed_ip_address"]))


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
