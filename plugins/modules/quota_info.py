#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: quota_info
short_description: Read the quota limits and usage of a Stackling project
description:
  - Returns every quota limit of a project and how much of each resource the project uses.
  - Cloud admins and readers (and so members and admins) of the project may read them.
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
  project:
    description:
      - Project (name or id).
    type: str
    required: true
  domain:
    description:
      - Domain (name or id) of O(project), needed when its name is not unique.
    type: str
"""

EXAMPLES = r"""
- name: How many servers may web still start?
  stackling.cloud.quota_info:
    cloud: web-member
    project: web
  register: web_quota

- name: Show it
  ansible.builtin.debug:
    msg: "{{ web_quota.usage.instances.limit - web_quota.usage.instances.in_use }}"
  when: web_quota.usage.instances.limit != -1
"""

RETURN = r"""
quotas:
  description: Every limit of the project; -1 is unlimited.
  returned: always
  type: dict
  sample: {instances: 4, cores: 8, ram_mb: 8192, volumes: 10, gigabytes: 1000, snapshots: 10, networks: 100,
           subnets: 100, ports: 500, routers: 10, floating_ips: 2, security_groups: 10, security_group_rules: 100,
           keypairs: 100}
usage:
  description: For every resource, its limit and how much is in use.
  returned: always
  type: dict
  sample: {instances: {limit: 4, in_use: 1}, cores: {limit: 8, in_use: 2}}
project_id:
  description: Id of the project.
  returned: always
  type: str
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module

ARGUMENT_SPEC = {
    "project": {"type": "str", "required": True},
    "domain": {"type": "str"},
}


def run(module, cloud):
    params = module.params
    project = cloud.resolve("project", params["project"], params["domain"], field="project", domain_field="domain")
    usage = cloud.quotas.get_usage(cloud.ctx, project["id"])
    return {
        "changed": False,
        "project_id": project["id"],
        "quotas": dict((resource, entry.limit) for resource, entry in usage.items()),
        "usage": dict((resource, {"limit": entry.limit, "in_use": entry.in_use}) for resource, entry in usage.items()),
    }


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
