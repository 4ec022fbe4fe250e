#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: port
short_description: Create, update or delete a port on a Stackling network
description:
  - Ensures a port exists on a network with the given fixed IPs and device, or does not exist
    (like M(openstack.cloud.port)).
  - A new port gets a MAC address of the controller's C(ipam.mac_prefix) (Neutron's V(fa:16:3e))
    plus three random octets; it is returned, never asked for.
  - A project member makes ports on its project's networks and on shared networks.
  - Deleting a port disassociates the floating IPs pointing at it. The ports of router interfaces,
    router gateways and floating IPs belong to those and are not deleted here.
  - This module manages the cloud's records; plugging the port into a server is the conductor's job.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name (or id) of the port. Names are not unique in Neutron; a name held by several of the
        caller's ports fails (use the id).
    type: str
    required: true
  state:
    description:
      - V(present) creates the port or updates what may change; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  network:
    description:
      - The network (name or id). Required to create a port; a port never moves to another network.
    type: str
  fixed_ips:
    description:
      - The port's addresses, exactly (when given). Each entry asks for any address of a subnet,
        an exact address, or both. An address the port holds that satisfies an entry is kept; the
        others are released and missing ones allocated. Default for a new port one address of the
        first IPv4 and of the first IPv6 subnet; V([]) gives none.
    type: list
    elements: dict
    suboptions:
      subnet:
        description: Subnet (name or id) of the port's network.
        type: str
      ip_address:
        description: Exact address.
        type: str
  device_id:
    description:
      - What uses the port (a server id). Left as it is when omitted.
    type: str
  device_owner:
    description:
      - Kind of user, like V(compute:nova). Owners starting with V(network:) are for cloud admins.
        Left as it is when omitted.
    type: str
"""

EXAMPLES = r"""
- name: A port with a fixed address
  stackling.cloud.port:
    cloud: web-member
    name: web-0
    network: private
    fixed_ips:
      - subnet: private-v4
        ip_address: 10.0.0.10
"""

RETURN = r"""
port:
  description: The port after the run (in check mode, as it would be; id and MAC of a port not yet created are null).
  returned: when O(state=present)
  type: dict
  contains:
    id: {description: "Port id.", type: str}
    name: {description: "Port name.", type: str}
    network_id: {description: "Its network.", type: str}
    project_id: {description: "Owner project.", type: str}
    mac_address: {description: "MAC address.", type: str, sample: "fa:16:3e:12:34:56"}
    device_id: {description: "What uses it.", type: str}
    device_owner: {description: "Kind of user.", type: str}
    fixed_ips: {description: "Addresses (subnet_id, ip_address); in check mode ip_address may be null.", type: list, elements: dict}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_network import (
    find_network,
    fixed_ip_requests,
    fixed_ips_satisfied,
    library_requests,
    networking,
    port_view,
)
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import (
    STATE_SPEC,
    Plan,
    plan,
    state_result,
    wanted,
)
from ansible_collections.stackling.cloud.plugins.module_utils._diff import changed_keys
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": STATE_SPEC,
    "network": {"type": "str"},
    "fixed_ips": {"type": "list", "elements": "dict",
                  "options": {"subnet": {"type": "str"}, "ip_address": {"type": "str"}}},
    "device_id": {"type": "str"},
    "device_owner": {"type": "str"},
}


def plan_present(cloud, params, current):
    """The plan of state=present; ``fixed_ips`` changes when the port's addresses do not satisfy the option exactly."""
    network = find_network(cloud, params["network"]) if params["network"] is not None else None
    if current is not None and network is not None and network.id != current["network_id"]:
        raise InvalidInput("network", "port %s is on network %s; a port never moves to another network"
                           % (current["name"], current["network_id"]))
    desired = wanted(device_id=params["device_id"], device_owner=params["device_owner"])
    if current is None:
        if network is None:
            raise InvalidInput("network", "a new port needs its network")
        requests = None if params["fixed_ips"] is None else fixed_ip_requests(cloud, network.id, params["fixed_ips"])
        new = {"id": None, "name": params["name"], "network_id": network.id, "project_id": cloud.ctx.project_id,
               "mac_address": None, "device_id": "", "device_owner": "",
               "fixed_ips": [{"subnet_id": s, "ip_address": ip} for s, ip in requests or []]}
        after = dict(new, **desired)
        after["requests"] = requests
        return Plan("create", None, after)
    keys = changed_keys(current, desired)
    after = dict(current, **desired)
    if params["fixed_ips"] is not None:
        requests = fixed_ip_requests(cloud, current["network_id"], params["fixed_ips"])
        if not fixed_ips_satisfied(current["fixed_ips"], requests):
            keys.append("fixed_ips")
            after["fixed_ips"] = [{"subnet_id": s, "ip_address": ip} for s, ip in requests]
            after["requests"] = requests
    return Plan("update" if keys else None, current, after, keys)


def run(module, cloud):
    params = module.params
    found = networking(cloud).ports.find(cloud.ctx, params["name"])
    current = port_view(found) if found else None
    if params["state"] == "absent":
        change = plan(current, {}, "absent")
    else:
        change = plan_present(cloud, params, current)
    requests = change.after.pop("requests", None) if change.after else None
    view = change.after
    if change.changed:
        owner = (change.before or change.after)["project_id"]
        cloud.authorize("network:%s_port" % change.action, {"project_id": owner})
        if not module.check_mode:
            view = apply(cloud, change, requests)
    return state_result(module, change, "port", view)


def apply(cloud, change, requests):
    ports = networking(cloud).ports
    after = change.after
    if change.action == "create":
        made = ports.create(cloud.ctx, after["network_id"], name=after["name"],
                            fixed_ips=None if requests is None else library_requests(requests),
                            device_id=after["device_id"], device_owner=after["device_owner"])
        return port_view(made)
    if change.action == "delete":
        ports.delete(cloud.ctx, change.before["id"])
        return None
    keys = change.keys
    updated = ports.update(cloud.ctx, change.before["id"],
                           fixed_ips=library_requests(requests) if "fixed_ips" in keys else None,
                           device_id=after["device_id"] if "device_id" in keys else None,
                           device_owner=after["device_owner"] if "device_owner" in keys else None)
    return port_view(updated)


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
