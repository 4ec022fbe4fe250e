#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: role_assignment_info
short_description: List the role assignments (grants) the caller may see
description:
  - Returns the direct grants matching the filters, as the control library's policy lets the caller
    see them (a cloud admin sees all, a domain reader its domain's, a project reader its project's).
    Asking about a project or domain the caller may not see fails with C(403 Forbidden).
  - Grants held through a group are listed as the group's, not the members'; implied roles are not listed.
  - Reads only; never changes anything.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
attributes:
  check_mode:
    description: The module only reads, so check mode changes nothing either.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
options:
  role:
    description:
      - Only grants of this role (name or id).
    type: str
  user:
    description:
      - Only grants of this user (name or id).
    type: str
  user_domain:
    description:
      - Domain (name or id) of O(user), needed when its name is not unique.
    type: str
  group:
    description:
      - Only grants of this group (name or id).
    type: str
  group_domain:
    description:
      - Domain (name or id) of O(group), needed when its name is not unique.
    type: str
  project:
    description:
      - Only grants on this project (name or id).
    type: str
  project_domain:
    description:
      - Domain (name or id) of O(project), needed when its name is not unique.
    type: str
  domain:
    description:
      - Only grants on this domain (name or id).
    type: str
"""

EXAMPLES = r"""
- name: Who holds which role on the web project
  stackling.cloud.role_assignment_info:
    cloud: admin
    project: web
  register: web_grants
"""

RETURN = r"""
role_assignments:
  description: The grants, sorted by target and role name.
  returned: always
  type: list
  elements: dict
  contains:
    role_id: {description: "Role id.", type: str}
    role_name: {description: "Role name.", type: str, sample: member}
    user_id: {description: "Id of the user (null for a group grant).", type: str}
    group_id: {description: "Id of the group (null for a user grant).", type: str}
    project_id: {description: "Id of the project (null for a domain grant).", type: str}
    domain_id: {description: "Id of the domain (null for a project grant).", type: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import assignment_view, run_info_module

ARGUMENT_SPEC = {
    "role": {"type": "str"},
    "user": {"type": "str"},
    "user_domain": {"type": "str"},
    "group": {"type": "str"},
    "group_domain": {"type": "str"},
    "project": {"type": "str"},
    "project_domain": {"type": "str"},
    "domain": {"type": "str"},
}


def resolve_filters(cloud, params):
    """The filters as ids (by the library's own lookup, which the listing then checks against the policy)."""
    ids = {}
    for kind in ("user", "group", "project"):
        if params[kind] is not None:
            ids[kind] = cloud.resolve(kind, params[kind], params[kind + "_domain"], field=kind,
                                      domain_field=kind + "_domain")["id"]
    if params["domain"] is not None:
        ids["domain"] = cloud.resolve("domain", params["domain"], field="domain")["id"]
    return ids


def list_assignments(cloud, params):
    role = cloud.resolve("role", params["role"], field="role") if params["role"] is not None else None
    grants = cloud.identity.list_role_assignments(cloud.ctx, **resolve_filters(cloud, params))
    return [grant for grant in grants if role is None or grant.role_id == role["id"]]


def main():
    run_info_module(
        ARGUMENT_SPEC, "role_assignments", view=assignment_view, list_all=list_assignments,
        mutually_exclusive=[["user", "group"], ["project", "domain"]],
        required_by={"user_domain": "user", "group_domain": "group", "project_domain": "project"},
    )


if __name__ == "__main__":
    main()
