#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: flavor
short_description: Create, update or delete a Stackling flavor
description:
  - Ensures a flavor (the sizes a server is booted with) exists with the given extra specs,
    description and project access, or does not exist.
  - Flavors are immutable, as in nova (and like M(openstack.cloud.compute_flavor)). Asking for
    other O(vcpus), O(ram), O(disk), O(ephemeral), O(swap) or O(is_public) than an existing
    flavor has fails naming the option. Create a new flavor (another name) instead; servers keep
    the sizes they were booted with.
  - The description, O(extra_specs) and O(project_access) may change.
  - Only cloud admins may manage flavors; anyone with a role on a project sees the public flavors
    and the private ones granted to that project (M(stackling.cloud.flavor_info)).
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name (or id) of the flavor; names are unique.
    type: str
    required: true
  state:
    description:
      - V(present) creates the flavor or updates what may change; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  vcpus:
    description:
      - Virtual CPUs. Required to create a flavor.
    type: int
  ram:
    description:
      - Memory in MiB. Required to create a flavor.
    type: int
  disk:
    description:
      - Root disk in GiB. Required to create a flavor (V(0) means the size of the image).
    type: int
  ephemeral:
    description:
      - Ephemeral disk in GiB (V(0) for a new flavor when omitted).
    type: int
  swap:
    description:
      - Swap in MiB (V(0) for a new flavor when omitted).
    type: int
  is_public:
    description:
      - Whether every project may use the flavor. A private flavor is used by the projects in
        O(project_access) only.
    type: bool
    default: true
  description:
    description:
      - Description. Left as it is when omitted (empty for a new flavor).
    type: str
  extra_specs:
    description:
      - Extra specs (scheduler hints such as C(aggregate_instance_extra_specs:disk), C(trait:NAME)
        or C(resources:CLASS)), merged into the current ones; a key whose value is V(null) is
        removed. Values are strings (numbers are turned into strings). Keys not named stay.
    type: dict
  project_access:
    description:
      - Projects (names or ids) that may use a private flavor; set to exactly this list.
        Only with O(is_public=false). Left as it is when omitted.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: A flavor for hosts with SSDs
  stackling.cloud.flavor:
    cloud: admin
    name: m1.ssd
    vcpus: 2
    ram: 4096
    disk: 40
    extra_specs:
      aggregate_instance_extra_specs:disk: ssd

- name: A private flavor for one project
  stackling.cloud.flavor:
    cloud: admin
    name: web.large
    vcpus: 8
    ram: 32768
    disk: 100
    is_public: false
    project_access: [web]

- name: Drop an extra spec
  stackling.cloud.flavor:
    cloud: admin
    name: m1.ssd
    extra_specs:
      aggregate_instance_extra_specs:disk: null
"""

RETURN = r"""
flavor:
  description: The flavor after the run (in check mode, as it would be; the id of a flavor not yet created is null).
  returned: when O(state=present)
  type: dict
  contains:
    id: {description: "Flavor id.", type: str}
    name: {description: "Flavor name.", type: str, sample: m1.ssd}
    vcpus: {description: "Virtual CPUs.", type: int, sample: 2}
    ram: {description: "Memory in MiB.", type: int, sample: 4096}
    disk: {description: "Root disk in GiB.", type: int, sample: 40}
    ephemeral: {description: "Ephemeral disk in GiB.", type: int, sample: 0}
    swap: {description: "Swap in MiB.", type: int, sample: 0}
    is_public: {description: "Whether every project may use it.", type: bool}
    description: {description: "Description.", type: str}
    extra_specs: {description: "Extra specs.", type: dict, sample: {"aggregate_instance_extra_specs:disk": ssd}}
    project_access: {description: "Ids of the projects granted a private flavor, sorted.", type: list, elements: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import (
    STATE_SPEC,
    plan,
    state_result,
    string_values,
    wanted,
)
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import flavor_view
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

SIZES = ("vcpus", "ram", "disk", "ephemeral", "swap")
IMMUTABLE = SIZES + ("is_public",)
LIBRARY_SIZES = {"vcpus": "vcpus", "ram": "ram_mb", "disk": "disk_gb", "ephemeral": "ephemeral_gb", "swap": "swap_mb"}
ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": STATE_SPEC,
    "vcpus": {"type": "int"},
    "ram": {"type": "int"},
    "disk": {"type": "int"},
    "ephemeral": {"type": "int"},
    "swap": {"type": "int"},
    "is_public": {"type": "bool", "default": True},
    "description": {"type": "str"},
    "extra_specs": {"type": "dict"},
    "project_access": {"type": "list", "elements": "str"},
}


def check_immutable(current, params):
    for option in IMMUTABLE:
        if params[option] is not None and params[option] != current[option]:
            raise InvalidInput(option, "flavors are immutable (as in nova): %s of flavor %s is %s, not %s; create a "
                               "new flavor instead" % (option, current["name"], current[option], params[option]))


def desired_fields(cloud, params, current):
    specs = string_values("extra_specs", params["extra_specs"], allow_null=True)
    merged = dict((current or {}).get("extra_specs") or {})
    merged.update(specs)
    desired = wanted(description=params["description"])
    if params["extra_specs"] is not None:
        desired["extra_specs"] = dict((key, value) for key, value in merged.items() if value is not None)
    if params["project_access"] is not None:
        if params["is_public"]:
            raise InvalidInput("project_access", "only a private flavor (is_public: false) has project access")
        desired["project_access"] = sorted(
            cloud.resolve("project", ref, field="project_access")["id"] for ref in params["project_access"])
    return desired


def new_flavor(params):
    for option in ("vcpus", "ram", "disk"):
        if params[option] is None:
            raise InvalidInput(option, "a new flavor needs vcpus, ram and disk")
    new = dict((option, params[option] or 0) for option in SIZES)
    new.update(id=None, name=params["name"], is_public=params["is_public"], description="", extra_specs={},
               project_access=[])
    return new


def run(module, cloud):
    params = module.params
    found = cloud.flavors.find(cloud.ctx, params["name"])
    current = flavor_view(found) if found else None
    if params["state"] == "absent":
        change = plan(current, {}, "absent")
    else:
        if current is not None:
            check_immutable(current, params)
        desired = desired_fields(cloud, params, current)
        new = new_flavor(params) if current is None else None
        change = plan(current, desired, "present", dict(new or {}, **desired))
    view = change.after
    if change.changed:
        cloud.authorize("compute:%s_flavor" % change.action, {})
        if not module.check_mode:
            view = apply(cloud, change)
    return state_result(module, change, "flavor", view)


def apply(cloud, change):
    after, before = change.after, change.before
    if change.action == "create":
        sizes = dict((LIBRARY_SIZES[option], after[option]) for option in SIZES)
        made = cloud.flavors.create(cloud.ctx, after["name"], is_public=after["is_public"],
                                    description=after["description"], extra_specs=after["extra_specs"],
                                    projects=after["project_access"], **sizes)
        return flavor_view(made)
    if change.action == "delete":
        cloud.flavors.delete(cloud.ctx, before["id"])
        return None
    specs = dict((key, None) for key in before["extra_specs"] if key not in after["extra_specs"])
    specs.update((key, value) for key, value in after["extra_specs"].items() if before["extra_specs"].get(key) != value)
    updated = cloud.flavors.update(
        cloud.ctx, before["id"], description=after["description"] if "description" in change.keys else None,
        extra_specs=specs, add_projects=sorted(set(after["project_access"]) - set(before["project_access"])),
        remove_projects=sorted(set(before["project_access"]) - set(after["project_access"])))
    return flavor_view(updated)


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
