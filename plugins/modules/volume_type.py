#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: volume_type
short_description: Manage a Stackling volume type (which storage backends hold its volumes)
description:
  - Ensures the volume type O(name) exists with the given O(backend) and O(description), or does not.
  - Tenants pick a type when they make a volume (M(stackling.cloud.volume) O(stackling.cloud.volume#module:volume_type));
    the volume scheduler then only considers the backends whose names match the type's O(backend).
  - Only cloud admins manage types (policy C(volume:*_type)). The C(default) type always exists and
    cannot be deleted; a type used by volumes is not deleted either.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name of the type.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the type; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  backend:
    description:
      - A glob over storage backend names (C(<storage host>@<driver>)), such as C(*@lvm) or
        C(storage1@file). Empty or omitted for a new type means any backend; omitted for an
        existing type leaves it as it is.
    type: str
  description:
    description:
      - Free text shown to tenants; left as it is when omitted.
    type: str
"""

EXAMPLES = r"""
- name: Volumes of type fast go to the LVM backends
  stackling.cloud.volume_type:
    cloud: admin
    name: fast
    backend: "*@lvm"
    description: LVM on local disks
"""

RETURN = r"""
volume_type:
  description: The type after the run (in check mode, as it would be).
  returned: when O(state=present)
  type: dict
  contains:
    id: {description: "Type id (null in check mode for a new type).", type: str}
    name: {description: "Type name.", type: str}
    backend: {description: "Backend name glob, or null for any backend.", type: str}
    description: {description: "Free text.", type: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import plan, state_result, wanted
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_volumes import volume_type_view

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "backend": {"type": "str"},
    "description": {"type": "str"},
}


def run(module, cloud):
    params = module.params
    types = cloud.controller.volume_types
    found = types.find(cloud.ctx, params["name"])
    current = volume_type_view(found) if found else None
    backend = None if params["backend"] is None else (params["backend"] or None)
    desired = wanted(description=params["description"])
    if params["backend"] is not None:
        desired["backend"] = backend
    change = plan(current, desired, params["state"],
                  new={"id": None, "name": params["name"], "backend": backend,
                       "description": params["description"] or ""})
    view = change.after
    if change.changed:
        cloud.authorize("volume:%s_type" % change.action, {})
        if not module.check_mode:
            if change.action == "delete":
                types.delete(cloud.ctx, current["id"])
                view = None
            else:
                view = volume_type_view(types.apply(cloud.ctx, params["name"], backend=view["backend"],
                                                    description=view["description"]))
    return state_result(module, change, "volume_type", view)


def main():
    run_cloud_module(cloud_module(ARGUMENT_SPEC), run)


if __name__ == "__main__":
    main()
