#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_group
short_description: Create or delete a Stackling server group
description:
  - Ensures a server group exists in the caller's project (the project the token is scoped to)
    with the given policy, or does not exist.
  - Members of a project create, see and delete their project's groups only; cloud admins any
    (policy C(compute:create_server_group), C(compute:delete_server_group)).
  - The policy of a group is fixed when it is created, as in nova; asking for another policy for
    an existing group fails naming O(policy). Delete the group and create it again instead.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name (or id) of the group in the caller's project.
    type: str
    required: true
  state:
    description:
      - V(present) creates the group; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  policy:
    description:
      - V(affinity) (all members on one host), V(anti-affinity) (each on its own host) or their
        best-effort V(soft-) forms. Required to create a group.
    type: str
    choices: [affinity, anti-affinity, soft-affinity, soft-anti-affinity]
"""

EXAMPLES = r"""
- name: Web servers on different hosts
  stackling.cloud.server_group:
    cloud: web-member
    name: web
    policy: anti-affinity
"""

RETURN = r"""
server_group:
  description: The group after the run (in check mode, as it would be; the id of a group not yet created is null).
  returned: when O(state=present)
  type: dict
  contains:
    id: {description: "Group id.", type: str}
    name: {description: "Group name.", type: str, sample: web}
    policy: {description: "Its policy.", type: str, sample: anti-affinity}
    project_id: {description: "Owning project.", type: str}
    user_id: {description: "User who created it.", type: str}
    members: {description: "Uuids of the servers in it.", type: list, elements: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import STATE_SPEC, plan, state_result
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import server_group_view
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

POLICIES = ["affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"]
ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": STATE_SPEC,
    "policy": {"type": "str", "choices": POLICIES},
}


def run(module, cloud):
    params = module.params
    found = cloud.server_groups.find(cloud.ctx, params["name"])
    current = server_group_view(found) if found else None
    if params["state"] == "present":
        if current is None and params["policy"] is None:
            raise InvalidInput("policy", "a new server group needs its policy")
        if current is not None and params["policy"] not in (None, current["policy"]):
            raise InvalidInput("policy", "server group %s has policy %s; a policy is fixed at creation (delete the "
                               "group and create it again)" % (params["name"], current["policy"]))
    new = {"id": None, "name": params["name"], "policy": params["policy"], "project_id": cloud.ctx.project_id,
           "user_id": cloud.ctx.user_id, "members": []}
    change = plan(current, {}, params["state"], new)
    view = change.after
    if change.changed:
        target = {"project_id": (current or new)["project_id"], "user_id": (current or new)["user_id"]}
        cloud.authorize("compute:%s_server_group" % change.action, target)
        if not module.check_mode:
            view = apply(cloud, change)
    return state_result(module, change, "server_group", view)


def apply(cloud, change):
    if change.action == "create":
        return server_group_view(cloud.server_groups.create(cloud.ctx, change.after["name"], change.after["policy"]))
    cloud.server_groups.delete(cloud.ctx, change.before["id"])
    return None


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
