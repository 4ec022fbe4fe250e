#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: quota
short_description: Set the quota limits of a Stackling project
description:
  - Sets the limits of the resources named in the options for one project; the others keep their
    current limit (the configured default, C(quota.defaults), unless set before).
  - C(-1) means unlimited. A limit may be set below the current usage; nothing is deleted, new
    resources are refused until usage drops.
  - Only cloud admins may set limits; readers of the project may read them and the usage with
    M(stackling.cloud.quota_info).
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  project:
    description:
      - Project (name or id).
    type: str
    required: true
  domain:
    description:
      - Domain (name or id) of O(project), needed when its name is not unique.
    type: str
  instances:
    description: Servers.
    type: int
  cores:
    description: Virtual CPUs of all servers.
    type: int
  ram_mb:
    description: Memory of all servers, in MiB.
    type: int
  volumes:
    description: Volumes.
    type: int
  gigabytes:
    description: Size of all volumes and snapshots, in GiB.
    type: int
  snapshots:
    description: Volume snapshots.
    type: int
  networks:
    description: Networks.
    type: int
  subnets:
    description: Subnets.
    type: int
  ports:
    description: Ports.
    type: int
  routers:
    description: Routers.
    type: int
  floating_ips:
    description: Floating IP addresses.
    type: int
  security_groups:
    description: Security groups.
    type: int
  security_group_rules:
    description: Security group rules.
    type: int
  keypairs:
    description: SSH key pairs.
    type: int
"""

EXAMPLES = r"""
- name: A small project
  stackling.cloud.quota:
    cloud: admin
    project: web
    instances: 4
    cores: 8
    ram_mb: 8192
    floating_ips: 2

- name: No limit on ports
  stackling.cloud.quota:
    cloud: admin
    project: web
    ports: -1
"""

RETURN = r"""
quotas:
  description: Every limit of the project after the run (in check mode, as it would be); -1 is unlimited.
  returned: always
  type: dict
  sample: {instances: 4, cores: 8, ram_mb: 8192, volumes: 10, gigabytes: 1000, snapshots: 10, networks: 100,
           subnets: 100, ports: 500, routers: 10, floating_ips: 2, security_groups: 10, security_group_rules: 100,
           keypairs: 100}
project_id:
  description: Id of the project.
  returned: always
  type: str
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import plan, state_result, wanted
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

# The library's quota resources (stackling.quota.resources.RESOURCES; a unit test keeps them equal).
RESOURCES = ("instances", "cores", "ram_mb", "volumes", "gigabytes", "snapshots", "networks", "subnets", "ports",
             "routers", "floating_ips", "security_groups", "security_group_rules", "keypairs")

ARGUMENT_SPEC = dict(
    dict((resource, {"type": "int"}) for resource in RESOURCES),
    project={"type": "str", "required": True},
    domain={"type": "str"},
    keypairs={"type": "int", "no_log": False},
)


def desired_limits(params):
    for resource in RESOURCES:
        if params[resource] is not None and params[resource] < -1:
            raise InvalidInput(resource, "a limit is -1 (unlimited) or a number >= 0, got %d" % params[resource])
    return wanted(**dict((resource, params[resource]) for resource in RESOURCES))


def run(module, cloud):
    params = module.params
    project = cloud.resolve("project", params["project"], params["domain"], field="project", domain_field="domain")
    current = cloud.quotas.get_limits(cloud.ctx, project["id"])
    change = plan(current, desired_limits(params), "present")
    view = change.after
    if change.changed:
        cloud.authorize("quota:update", {"project_id": project["id"], "domain_id": project["domain_id"]})
        if not module.check_mode:
            view = cloud.quotas.set_limits(cloud.ctx, project["id"], dict((key, view[key]) for key in change.keys))
    return state_result(module, change, "quotas", view, project_id=project["id"])


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
