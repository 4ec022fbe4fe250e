#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: security_group
short_description: Create, update or delete a Stackling security group
description:
  - Ensures a security group exists with the given description, or does not exist (like
    M(openstack.cloud.security_group)).
  - A new group allows all egress and no ingress. Add rules with M(stackling.cloud.security_group_rule);
    this module has no inline rule list (as openstack.cloud's before 2.0), so rules are managed one
    by one and idempotently there.
  - Every project has a V(default) group, made on first need; it allows all egress, and ingress from the members
    of the same group. Servers booted without O(stackling.cloud.server#module:security_groups) are in it.
  - Compute hosts enforce the rules on each server port with nftables (stateful; ingress not allowed
    is dropped; a port may only send from its own MAC and addresses).
  - A group that a port uses is not deleted; the error names the ports.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description: Name (or id) of the group; names are unique in a project.
    type: str
    required: true
  state:
    description: V(present) creates the group or updates its description; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Description of the group (left as it is when not given).
    type: str
  project:
    description: Project (name or id) of the group; default the caller's. Another project is for cloud admins.
    type: str
"""

EXAMPLES = r"""
- name: A group for web servers
  stackling.cloud.security_group:
    cloud: mycloud
    name: web
    description: web servers

- name: Remove it
  stackling.cloud.security_group:
    cloud: mycloud
    name: web
    state: absent
"""

RETURN = r"""
security_group:
  description: The group (null when absent). In check mode, a group to be made has a null id and the rules it would get.
  returned: always
  type: dict
  contains:
    id: {description: "Group id.", type: str}
    name: {description: "Group name.", type: str}
    project_id: {description: "Owner project.", type: str}
    description: {description: "Description.", type: str}
    security_group_rules: {description: "Its rules (see M(stackling.cloud.security_group_rule)).", type: list, elements: dict}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_network import project_id
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_security_groups import (
    security_group_view,
    security_groups,
)
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import STATE_SPEC, plan, state_result, wanted

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": STATE_SPEC,
    "description": {"type": "str"},
    "project": {"type": "str"},
}
NEW_RULES = [{"id": None, "direction": "egress", "ethertype": ethertype, "protocol": "any", "port_range_min": None,
              "port_range_max": None, "remote_ip_prefix": None, "remote_group_id": None, "description": ""}
             for ethertype in ("IPv4", "IPv6")]


def run(module, cloud):
    params = module.params
    owner = project_id(cloud, params["project"])
    found = security_groups(cloud).find(cloud.ctx, params["name"], project=owner)
    current = security_group_view(found) if found else None
    if params["state"] == "absent":
        change = plan(current, {}, "absent")
    else:
        desired = wanted(description=params["description"])
        new = {"id": None, "name": params["name"], "project_id": owner or cloud.ctx.project_id,
               "description": params["description"] or "", "security_group_rules": NEW_RULES}
        change = plan(current, desired, "present", new)
    view = change.after
    if change.changed:
        target = {"project_id": (change.before or change.after)["project_id"]}
        cloud.authorize("network:%s_security_group" % change.action, target)
        if not module.check_mode:
            view = apply(cloud, change, owner)
    return state_result(module, change, "security_group", view)


def apply(cloud, change, owner):
    service = security_groups(cloud)
    if change.action == "create":
        return security_group_view(service.create(cloud.ctx, change.after["name"], project=owner,
                                                  description=change.after["description"]))
    if change.action == "delete":
        service.delete(cloud.ctx, change.before["id"])
        return None
    return security_group_view(service.update(cloud.ctx, change.before["id"], description=change.after["description"]))


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
