#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: router
short_description: Create, update or delete a Stackling router
description:
  - Ensures a router exists with the given external gateway and interfaces, or does not exist
    (like M(openstack.cloud.router)).
  - The external gateway is a port with an address on an external network; SNAT is on by
    default (turning it off is for cloud admins, as in Neutron).
  - Each interface is a port holding the gateway address of one of the project's subnets. One
    router never connects overlapping subnets (its gateway's subnets included); a subnet is on
    at most one router. Overlapping CIDRs on different routers or projects are fine.
  - All changes of one run happen in one transaction, so a router is never left half made.
  - A router with interfaces is not deleted (the error names the subnets); remove them first
    with O(interfaces=[]). The gateway goes with the router.
  - The library then makes the network host match the records through the conductor
    (C(playbooks/node/router.yml)), making a namespace C(qrouter-<id>), the gateway port on the
    external network's bridge, one port per interface on the tenant network's bridge, SNAT, and
    the floating IPs' DNAT. A router whose node work fails on creation is not kept; a failed
    update keeps the new records and fails saying so.
  - A run that changes no record still brings the network host in line with them (reported as
    changed only if something there had to change), so running the task again repairs a router
    whose node work failed. Check mode touches neither.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name (or id) of the router.
    type: str
    required: true
  state:
    description:
      - V(present) creates the router or updates it; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  project:
    description:
      - Project (name or id) the router belongs to; default the caller's project. Cloud admins only.
    type: str
  external_gateway:
    description:
      - The external gateway. Left as it is when omitted; with O(external_gateway.network) null
        (V({})) the router has no gateway.
    type: dict
    suboptions:
      network:
        description: External network (name or id).
        type: str
      enable_snat:
        description: Whether the router translates its subnets' addresses to its gateway address.
        type: bool
        default: true
  interfaces:
    description:
      - The subnets (names or ids) the router connects, exactly (interfaces not listed are
        removed). Left as they are when omitted.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: A router from the private subnet to the outside
  stackling.cloud.router:
    cloud: web-member
    name: r1
    external_gateway:
      network: public
    interfaces: [private-v4]
"""

RETURN = r"""
router:
  description: The router after the run (in check mode, as it would be; ids and addresses not yet made are null).
  returned: when O(state=present)
  type: dict
  contains:
    id: {description: "Router id.", type: str}
    name: {description: "Router name.", type: str}
    project_id: {description: "Owner project.", type: str}
    external_gateway:
      description: "The gateway: network_id, enable_snat, port_id, external_fixed_ips (subnet_id, ip_address); null when none."
      type: dict
    interfaces: {description: "Interfaces (subnet_id, port_id, ip_address), sorted by subnet id.", type: list, elements: dict}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_network import (
    find_network,
    find_subnet,
    gateway_request,
    networking,
    project_id,
    router_view,
)
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import STATE_SPEC, Plan, plan, state_result
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": STATE_SPEC,
    "project": {"type": "str"},
    "external_gateway": {"type": "dict", "options": {"network": {"type": "str"},
                                                     "enable_snat": {"type": "bool", "default": True}}},
    "interfaces": {"type": "list", "elements": "str"},
}


def desired_gateway(cloud, option, current):
    """The gateway view wanted (None: no gateway); the current one when only SNAT is asked for again."""
    if option["network"] is None:
        return None
    network = find_network(cloud, option["network"], "external_gateway.network")
    if not network.external:
        raise InvalidInput("external_gateway.network", "network %s is not external" % option["network"])
    if current is not None and current["network_id"] == network.id:
        return dict(current, enable_snat=option["enable_snat"])
    return {"network_id": network.id, "enable_snat": option["enable_snat"], "port_id": None, "external_fixed_ips": []}


def desired_interfaces(cloud, refs, current):
    by_subnet = dict((i["subnet_id"], i) for i in current)
    ids = sorted(set(find_subnet(cloud, ref, "interfaces").id for ref in refs))
    return [by_subnet.get(s, {"subnet_id": s, "port_id": None, "ip_address": None}) for s in ids]


def plan_present(cloud, params, current, owner):
    before = current or {"id": None, "name": params["name"], "project_id": owner or cloud.ctx.project_id,
                         "external_gateway": None, "interfaces": []}
    after = dict(before)
    if params["external_gateway"] is not None:
        after["external_gateway"] = desired_gateway(cloud, params["external_gateway"], before["external_gateway"])
    if params["interfaces"] is not None:
        after["interfaces"] = desired_interfaces(cloud, params["interfaces"], before["interfaces"])
    if current is None:
        return Plan("create", None, after)
    keys = [key for key in ("external_gateway", "interfaces") if after[key] != current[key]]
    return Plan("update" if keys else None, current, after, keys)


def run(module, cloud):
    params = module.params
    owner = project_id(cloud, params["project"])
    found = networking(cloud).routers.find(cloud.ctx, params["name"], owner)
    current = router_view(found) if found else None
    if params["state"] == "absent":
        change = plan(current, {}, "absent")
    else:
        change = plan_present(cloud, params, current, owner)
    view = change.after
    if change.changed:
        authorize(cloud, change)
        if not module.check_mode:
            view = apply(cloud, change, owner)
    result = state_result(module, change, "router", view)
    if current is not None and not change.changed and params["state"] == "present" and not module.check_mode:
        result["changed"] = networking(cloud).routers.converge(cloud.ctx, current["id"])
    return result


def authorize(cloud, change):
    target = {"project_id": (change.before or change.after)["project_id"]}
    cloud.authorize("network:%s_router" % change.action, target)
    gateway = (change.after or {}).get("external_gateway")
    was = (change.before or {}).get("external_gateway")
    if gateway is not None and not gateway["enable_snat"] and (was is None or was["enable_snat"]):
        cloud.authorize("network:disable_router_snat", target)


def apply(cloud, change, owner):
    routers = networking(cloud).routers
    after, before = change.after, change.before
    if change.action == "delete":
        routers.delete(cloud.ctx, before["id"])
        return None
    gateway = after["external_gateway"]
    request = None if gateway is None else gateway_request(gateway["network_id"], gateway["enable_snat"])
    wanted = [i["subnet_id"] for i in after["interfaces"]]
    if change.action == "create":
        return router_view(routers.create(cloud.ctx, after["name"], project=owner, external_gateway=request,
                                          interfaces=wanted))
    have = [i["subnet_id"] for i in before["interfaces"]]
    updated = routers.update(
        cloud.ctx, before["id"], external_gateway=request if "external_gateway" in change.keys else None,
        clear_gateway="external_gateway" in change.keys and gateway is None,
        add_interfaces=[s for s in wanted if s not in have], remove_interfaces=[s for s in have if s not in wanted])
    return router_view(updated)


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
