#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: usage_info
short_description: Show a Stackling project's resource usage from placement
description:
  - Returns what a project's servers and volumes hold, per resource class, summed over their
    placement allocations (what is really claimed on hosts and backends).
  - A project's readers see their own project (the project of the token); cloud admins may name
    any project (policy C(placement:get_usage)).
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
      - The project (name or id). Defaults to the project the caller's token is scoped to.
    type: str
"""

EXAMPLES = r"""
- name: My project's usage
  stackling.cloud.usage_info:
    cloud: web-member
  register: usage
"""

RETURN = r"""
usage:
  description: The project's usage.
  returned: always
  type: dict
  contains:
    project_id: {description: "The project.", type: str}
    consumers: {description: "How many consumers (servers, volumes) hold allocations.", type: int, sample: 3}
    resources: {description: "Resource class -> amount allocated.", type: dict, sample: {VCPU: 6, MEMORY_MB: 12288}}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
ARGUMENT_SPEC = {"project": {"type": "str"}}


def run(module, cloud):
    project_id, resources, consumers = cloud.allocations.usage(cloud.ctx, module.params["project"])
    return {"changed": False, "usage": {"project_id": project_id, "consumers": consumers, "resources": resources}}


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
