#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: network
short_description: Create, update or delete a Stackling tenant network
description:
  - Ensures a network exists with the given attributes, or does not exist (like M(openstack.cloud.network)).
  - A project member makes tenant networks in their own project; a tenant VXLAN network takes
    the lowest free VNI of the controller's C(ipam.vni_ranges).
  - O(external), O(shared), O(project) (another project than the caller's) and the provider
    options are for cloud admins, as in Neutron. Shared and external networks are visible to
    every project.
  - The provider options are fixed once the network exists; asking for others fails naming the option.
  - This module manages the cloud's records. The node side (bridges, VXLAN devices, DHCP
    namespaces) is made by the conductor.
  - A network with ports (of servers, router interfaces, floating IPs) is not deleted; the
    error names what uses it. Its subnets go with it.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name (or id) of the network. Names are looked up in the caller's project first, then
        among the shared and external networks.
    type: str
    required: true
  state:
    description:
      - V(present) creates the network or updates what may change; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  project:
    description:
      - Project (name or id) the network belongs to; default the caller's project. Cloud admins only.
    type: str
  external:
    description:
      - Whether the network is external (holds floating IPs and router gateways). Cloud admins
        only. Left as it is when omitted (V(false) for a new network).
    type: bool
  shared:
    description:
      - Whether every project may see the network and plug ports into it. Cloud admins only.
        Left as it is when omitted (V(false) for a new network).
    type: bool
  mtu:
    description:
      - MTU. Default for a new network C(ipam.tunnel_mtu) (VXLAN) or C(ipam.physical_mtu);
        it cannot exceed those.
    type: int
  provider_network_type:
    description:
      - Network type. Cloud admins only; default V(vxlan).
    type: str
    choices: [vxlan, vlan, flat, local]
  provider_physical_network:
    description:
      - Physical network of a VLAN or flat network. Cloud admins only.
    type: str
  provider_segmentation_id:
    description:
      - VLAN id or VNI. Cloud admins only; a tenant VXLAN network takes a free VNI.
    type: int
"""

EXAMPLES = r"""
- name: A tenant network
  stackling.cloud.network:
    cloud: web-member
    name: private

- name: The external network (cloud admin)
  stackling.cloud.network:
    cloud: admin
    name: public
    external: true
    provider_network_type: flat
    provider_physical_network: physnet1
"""

RETURN = r"""
network:
  description: The network after the run (in check mode, as it would be; the id of a network not yet created is null).
  returned: when O(state=present)
  type: dict
  contains:
    id: {description: "Network id.", type: str}
    name: {description: "Network name.", type: str}
    project_id: {description: "Owner project.", type: str}
    external: {description: "Whether it holds floating IPs.", type: bool}
    shared: {description: "Whether every project may use it.", type: bool}
    mtu: {description: "MTU (null in check mode for a new network without O(mtu)).", type: int}
    provider_network_type: {description: "vxlan, vlan, flat or local.", type: str}
    provider_physical_network: {description: "Physical network (null for VXLAN).", type: str}
    provider_segmentation_id: {description: "VNI or VLAN id (null in check mode for a new VXLAN network).", type: int}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_network import (
    network_view,
    networking,
    project_id,
)
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import STATE_SPEC, plan, state_result, wanted
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

PROVIDER = ("provider_network_type", "provider_physical_network", "provider_segmentation_id")
ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": STATE_SPEC,
    "project": {"type": "str"},
    "external": {"type": "bool"},
    "shared": {"type": "bool"},
    "mtu": {"type": "int"},
    "provider_network_type": {"type": "str", "choices": ["vxlan", "vlan", "flat", "local"]},
    "provider_physical_network": {"type": "str"},
    "provider_segmentation_id": {"type": "int"},
}


def check_provider(current, params):
    for option in PROVIDER:
        if params[option] is not None and params[option] != current[option]:
            raise InvalidInput(option, "network %s has %s %s; provider attributes are fixed once made (delete and "
                               "recreate the network)" % (current["name"], option, current[option]))


def new_network(params, owner):
    kind = params["provider_network_type"] or "vxlan"
    return {"id": None, "name": params["name"], "project_id": owner, "external": False, "shared": False,
            "mtu": params["mtu"], "provider_network_type": kind,
            "provider_physical_network": params["provider_physical_network"],
            "provider_segmentation_id": params["provider_segmentation_id"]}


def run(module, cloud):
    params = module.params
    owner = project_id(cloud, params["project"])
    found = networking(cloud).networks.find(cloud.ctx, params["name"], owner)
    current = network_view(found) if found else None
    if params["state"] == "absent":
        change = plan(current, {}, "absent")
    else:
        if current is not None:
            check_provider(current, params)
        desired = wanted(external=params["external"], shared=params["shared"], mtu=params["mtu"])
        new = new_network(params, owner or cloud.ctx.project_id) if current is None else None
        change = plan(current, desired, "present", dict(new or {}, **desired))
    view = change.after
    if change.changed:
        authorize(cloud, change, params)
        if not module.check_mode:
            view = apply(cloud, change, params, owner)
    return state_result(module, change, "network", view)


def authorize(cloud, change, params):
    """The policy rules the change needs, checked before it (so check mode refuses what a real run would)."""
    project = (change.before or change.after)["project_id"]
    target = {"project_id": project}
    cloud.authorize("network:%s_network" % change.action, target)
    if change.action == "delete":
        return
    keys = change.keys if change.action == "update" else [k for k in ("shared", "external") if change.after[k]]
    for key in ("shared", "external"):
        if key in keys:
            cloud.authorize("network:create_%s_network" % key, target)
    if change.action == "create" and any(params[option] is not None for option in PROVIDER):
        cloud.authorize("network:create_provider_network", target)


def apply(cloud, change, params, owner):
    networks = networking(cloud).networks
    after = change.after
    if change.action == "create":
        made = networks.create(cloud.ctx, after["name"], project=owner, shared=after["shared"],
                               external=after["external"], mtu=params["mtu"],
                               network_type=params["provider_network_type"],
                               physical_network=params["provider_physical_network"],
                               segmentation_id=params["provider_segmentation_id"])
        return network_view(made)
    if change.action == "delete":
        networks.delete(cloud.ctx, change.before["id"])
        return None
    updates = dict((key, after[key]) for key in change.keys)
    return network_view(networks.update(cloud.ctx, change.before["id"], **updates))


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
