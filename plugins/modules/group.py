#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: group
short_description: Create or delete a Stackling group and set its members
description:
  - Ensures a group exists in a domain with exactly the listed members, or does not exist.
  - Roles granted to a group (M(stackling.cloud.role_assignment)) are held by all its members.
  - Removing a member, or deleting the group, revokes the tokens of the users concerned.
  - Only cloud admins and admins of the group's domain may manage groups.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name (or id) of the group; names are unique within a domain.
    type: str
    required: true
  domain:
    description:
      - Domain (name or id) of the group.
    type: str
    default: default
  description:
    description:
      - Description, set when the group is created.
      - The control library cannot change the description of an existing group, so a different
        description of an existing group is an error (delete and re-create the group to change it).
    type: str
  members:
    description:
      - The complete list of members, users of the group's domain (names or ids).
      - Users missing from the group are added, members not listed are removed.
        V([]) removes every member. When omitted, the members are left as they are.
    type: list
    elements: str
  state:
    description:
      - V(present) creates the group and sets its members; V(absent) deletes it with its role assignments.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: The web operators
  stackling.cloud.group:
    cloud: admin
    name: web-ops
    description: Operators of the web project
    members: [alice, bob]

- name: Give the group the member role on the web project
  stackling.cloud.role_assignment:
    cloud: admin
    role: member
    group: web-ops
    project: web
"""

RETURN = r"""
group:
  description: The group after the run (in check mode, as it would be; the id of a group not yet created is null).
  returned: when O(state=present)
  type: dict
  contains:
    id: {description: "Group id.", type: str}
    name: {description: "Group name.", type: str, sample: web-ops}
    domain_id: {description: "Id of its domain.", type: str, sample: default}
    description: {description: "Description.", type: str}
    members: {description: "Names of its members, sorted.", type: list, elements: str, sample: [alice, bob]}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import STATE_SPEC, plan, state_result, wanted
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "domain": {"type": "str", "default": "default"},
    "description": {"type": "str"},
    "members": {"type": "list", "elements": "str"},
    "state": STATE_SPEC,
}


def current_group(cloud, name, domain):
    """(view, {member name: id}) of the group, or (None, {}) when it does not exist."""
    try:
        group = cloud.identity.get_group(cloud.ctx, name, domain)
    except LookupError as exc:  # the library's NotFound
        if getattr(exc, "kind", None) != "group":
            raise
        return None, {}
    members = dict((user.name, user.id) for user in cloud.identity.list_group_users(cloud.ctx, group.id))
    view = {"id": group.id, "name": group.name, "domain_id": group.domain_id, "description": group.description,
            "members": sorted(members)}
    return view, members


def desired_members(cloud, refs, domain_id):
    """{name: id} of the listed users of the group's domain (each found by name or id)."""
    if refs is None:
        return None
    users = [cloud.resolve("user", ref, domain_id, field="members") for ref in refs]
    return dict((user["name"], user["id"]) for user in users)


def plan_group(module, cloud, current, domain_id, members):
    params = module.params
    desired = wanted(description=params["description"], members=sorted(members) if members is not None else None)
    if current is None and params["state"] == "present":
        cloud.authorize("identity:create_group", {"domain_id": domain_id})
        new = {"id": None, "name": params["name"], "domain_id": domain_id, "description": "", "members": []}
        change = plan(None, desired, "present", dict(new, **desired))
    else:
        change = plan(current, desired, params["state"])
    if "description" in change.keys:
        raise InvalidInput("description", "group %s exists with the description %r; the control library cannot "
                           "change it: delete and re-create the group" % (current["name"], current["description"]))
    if change.changed and current is not None:
        action = "delete" if change.action == "delete" else "update"
        cloud.authorize("identity:%s_group" % action, {"group_id": current["id"], "domain_id": current["domain_id"]})
    return change


def run(module, cloud):
    params = module.params
    current, current_members = current_group(cloud, params["name"], params["domain"])
    if current is not None:
        domain_id = current["domain_id"]
    elif params["state"] == "present":
        domain_id = cloud.resolve("domain", params["domain"], field="domain")["id"]
    else:
        domain_id = None
    members = desired_members(cloud, params["members"], domain_id) if params["state"] == "present" else None
    change = plan_group(module, cloud, current, domain_id, members)
    view = change.after
    if change.changed and not module.check_mode:
        view = apply(cloud, change, current_members, members)
    return state_result(module, change, "group", view)


def apply(cloud, change, current_members, members):
    identity, ctx = cloud.identity, cloud.ctx
    if change.action == "delete":
        identity.delete_group(ctx, change.before["id"])
        return None
    group_id = change.before["id"] if change.before else None
    if change.action == "create":
        after = change.after
        group_id = identity.create_group(ctx, after["name"], domain_id=after["domain_id"],
                                         description=after["description"]).id
    for name in sorted(set(members or {}) - set(current_members)):
        identity.add_user_to_group(ctx, members[name], group_id)
    if members is not None:
        for name in sorted(set(current_members) - set(members)):
            identity.remove_user_from_group(ctx, current_members[name], group_id)
    return current_group(cloud, group_id, None)[0]


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
