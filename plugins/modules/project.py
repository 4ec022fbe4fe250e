#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: project
short_description: Create, update or delete a Stackling project
description:
  - Ensures a project exists in a domain with the given description and enabled flag, or does not exist.
  - Only cloud admins and admins of the project's domain may create, change or delete projects
    (the control library's policy); anyone else gets C(403 Forbidden) naming the refused action.
  - Disabling a project revokes every token scoped to it. A project that still holds resources
    (quota usage) cannot be deleted.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name (or id) of the project; names are unique within a domain.
    type: str
    required: true
  domain:
    description:
      - Domain (name or id) of the project.
    type: str
    default: default
  description:
    description:
      - Description. Left as it is when omitted (empty for a new project).
    type: str
  enabled:
    description:
      - Whether the project is enabled. Left as it is when omitted (V(true) for a new project).
    type: bool
  state:
    description:
      - V(present) creates or updates the project; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: A project for the web team
  stackling.cloud.project:
    cloud: admin
    name: web
    description: Web front ends

- name: Disable it
  stackling.cloud.project:
    cloud: admin
    name: web
    enabled: false

- name: Delete it
  stackling.cloud.project:
    cloud: admin
    name: web
    state: absent
"""

RETURN = r"""
project:
  description: The project after the run (in check mode, as it would be; the id of a project not yet created is null).
  returned: when O(state=present)
  type: dict
  contains:
    id: {description: "Project id.", type: str, sample: 5f0c7e3bd2a94b6c8c1f1d0b7c4a9e21}
    name: {description: "Project name.", type: str, sample: web}
    domain_id: {description: "Id of its domain.", type: str, sample: default}
    description: {description: "Description.", type: str}
    enabled: {description: "Whether it is enabled.", type: bool}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import STATE_SPEC, plan, state_result, wanted
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import project_view

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "domain": {"type": "str", "default": "default"},
    "description": {"type": "str"},
    "enabled": {"type": "bool"},
    "state": STATE_SPEC,
}


def run(module, cloud):
    params = module.params
    found = cloud.identity.find_project(cloud.ctx, params["name"], params["domain"])
    current = project_view(found) if found else None
    desired = wanted(description=params["description"], enabled=params["enabled"])
    if current is None and params["state"] == "present":
        domain = cloud.resolve("domain", params["domain"], field="domain")
        cloud.authorize("identity:create_project", {"domain_id": domain["id"]})
        new = {"id": None, "name": params["name"], "domain_id": domain["id"], "description": "", "enabled": True}
        change = plan(None, desired, "present", dict(new, **desired))
    else:
        change = plan(current, desired, params["state"])
        if change.changed:
            cloud.authorize("identity:%s_project" % change.action,
                            {"project_id": current["id"], "domain_id": current["domain_id"]})
    view = change.after
    if change.changed and not module.check_mode:
        view = apply(cloud, change, params)
    return state_result(module, change, "project", view)


def apply(cloud, change, params):
    if change.action == "create":
        after = change.after
        created = cloud.identity.create_project(cloud.ctx, after["name"], domain_id=after["domain_id"],
                                                description=after["description"], enabled=after["enabled"])
        return project_view(created)
    if change.action == "update":
        updated = cloud.identity.update_project(cloud.ctx, change.before["id"], description=params["description"],
                                                enabled=params["enabled"])
        return project_view(updated)
    cloud.identity.delete_project(cloud.ctx, change.before["id"])
    return None


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
