#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: role_assignment
short_description: Grant or revoke a role of a user or group on a project or domain
description:
  - Ensures a user or a group holds a role on a project or on a domain (a grant), or does not.
  - Roles imply others (C(admin) implies C(member), which implies C(reader)); a grant gives the
    implied roles too. A domain grant does not reach the domain's projects.
  - Revoking a grant revokes the tokens the users concerned hold on that project or domain.
  - Only cloud admins and admins of the target's domain may grant or revoke roles.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  role:
    description:
      - Role (name or id), such as V(admin), V(member) or V(reader).
    type: str
    required: true
  user:
    description:
      - User (name or id) receiving the role. Exactly one of O(user) and O(group) is required.
    type: str
  user_domain:
    description:
      - Domain (name or id) of O(user), needed when its name is not unique.
    type: str
  group:
    description:
      - Group (name or id) receiving the role; its members hold it.
    type: str
  group_domain:
    description:
      - Domain (name or id) of O(group), needed when its name is not unique.
    type: str
  project:
    description:
      - Project (name or id) the role is held on. Exactly one of O(project) and O(domain) is required.
    type: str
  project_domain:
    description:
      - Domain (name or id) of O(project), needed when its name is not unique.
    type: str
  domain:
    description:
      - Domain (name or id) the role is held on (domain administration, domain-scoped tokens).
    type: str
  state:
    description:
      - V(present) grants the role; V(absent) revokes it.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Alice is a member of the web project
  stackling.cloud.role_assignment:
    cloud: admin
    role: member
    user: alice
    project: web

- name: The auditors group reads the Default domain
  stackling.cloud.role_assignment:
    cloud: admin
    role: reader
    group: auditors
    domain: Default

- name: Bob no longer administers the web project
  stackling.cloud.role_assignment:
    cloud: admin
    role: admin
    user: bob
    project: web
    state: absent
"""

RETURN = r"""
role_assignment:
  description: The grant (also when it is revoked, as it was).
  returned: always
  type: dict
  contains:
    role_id: {description: "Role id.", type: str}
    role_name: {description: "Role name.", type: str, sample: member}
    user_id: {description: "Id of the user (null for a group grant).", type: str}
    group_id: {description: "Id of the group (null for a user grant).", type: str}
    project_id: {description: "Id of the project (null for a domain grant).", type: str}
    domain_id: {description: "Id of the domain (null for a project grant).", type: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import STATE_SPEC, plan, plan_diff

ARGUMENT_SPEC = {
    "role": {"type": "str", "required": True},
    "user": {"type": "str"},
    "user_domain": {"type": "str"},
    "group": {"type": "str"},
    "group_domain": {"type": "str"},
    "project": {"type": "str"},
    "project_domain": {"type": "str"},
    "domain": {"type": "str"},
    "state": STATE_SPEC,
}


def resolve_grant(cloud, params):
    """The grant's view (ids) and the policy target the library checks for it."""
    role = cloud.resolve("role", params["role"], field="role")
    view = {"role_id": role["id"], "role_name": role["name"], "user_id": None, "group_id": None,
            "project_id": None, "domain_id": None}
    kind = "user" if params["user"] else "group"
    actor = cloud.resolve(kind, params[kind], params[kind + "_domain"], field=kind, domain_field=kind + "_domain")
    view[kind + "_id"] = actor["id"]
    target = {"role": role["name"], kind + "_id": actor["id"]}
    if params["project"]:
        project = cloud.resolve("project", params["project"], params["project_domain"], field="project",
                                domain_field="project_domain")
        view["project_id"] = project["id"]
        target.update(project_id=project["id"], domain_id=project["domain_id"])
    else:
        view["domain_id"] = cloud.resolve("domain", params["domain"], field="domain")["id"]
        target["domain_id"] = view["domain_id"]
    return view, target


def grant_exists(cloud, view):
    """Whether the grant exists (listing the grants is itself subject to the policy)."""
    grants = cloud.identity.list_role_assignments(
        cloud.ctx, user=view["user_id"], group=view["group_id"], project=view["project_id"], domain=view["domain_id"])
    return any(grant.role_id == view["role_id"] and grant.user_id == view["user_id"]
               and grant.group_id == view["group_id"] for grant in grants)


def run(module, cloud):
    params = module.params
    view, target = resolve_grant(cloud, params)
    current = view if grant_exists(cloud, view) else None
    change = plan(current, {}, params["state"], new=view)
    if change.changed:
        cloud.authorize("identity:%s_grant" % ("create" if change.action == "create" else "revoke"), target)
        if not module.check_mode:
            method = cloud.identity.assign_role if change.action == "create" else cloud.identity.unassign_role
            done = method(cloud.ctx, view["role_id"], user=view["user_id"], group=view["group_id"],
                          project=view["project_id"], domain=view["domain_id"])
            if not done:  # the library says nothing changed: a concurrent run did it first
                change.action = None
    result = {"changed": change.changed, "role_assignment": view}
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = plan_diff(change)
    return result


def main():
    module = cloud_module(
        ARGUMENT_SPEC,
        mutually_exclusive=[["user", "group"], ["project", "domain"]],
        required_one_of=[["user", "group"], ["project", "domain"]],
        required_by={"user_domain": "user", "group_domain": "group", "project_domain": "project"},
    )
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
