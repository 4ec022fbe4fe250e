#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: compute_host_info
short_description: Show Stackling compute hosts with their inventories and usage
description:
  - Returns one compute host, or every compute host, with per resource class the inventory, what
    is used and the capacity, the operator's traits, aggregates, availability zone and whether
    the host is enabled.
  - Only cloud admins may read hosts (policy C(compute:get_host), C(compute:list_hosts)).
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
  name:
    description:
      - Only this host. A host that does not exist gives an empty list.
    type: str
"""

EXAMPLES = r"""
- name: Free memory per host
  stackling.cloud.compute_host_info:
    cloud: admin
  register: hosts

- name: Show it
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.inventory.MEMORY_MB.capacity - item.inventory.MEMORY_MB.used }} MiB free"
  loop: "{{ hosts.compute_hosts }}"
"""

RETURN = r"""
compute_hosts:
  description: The hosts, sorted by name (as returned by M(stackling.cloud.compute_host), plus usage).
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: "Host name.", type: str, sample: cn1}
    uuid: {description: "Uuid of its resource provider.", type: str}
    enabled: {description: "Whether new servers may be placed there.", type: bool}
    disabled_reason: {description: "Why it is disabled.", type: str}
    hypervisor_type: {description: "Hypervisor type.", type: str}
    architecture: {description: "CPU architecture.", type: str}
    availability_zone: {description: "Its zone.", type: str}
    aggregates: {description: "Names of its aggregates.", type: list, elements: str}
    traits: {description: "Traits set by the operator.", type: list, elements: str}
    has_allocations: {description: "Whether servers hold allocations on it.", type: bool}
    inventory:
      description: Per resource class C(total), C(reserved), C(allocation_ratio), C(min_unit), C(max_unit), C(step_size), C(used) and C(capacity).
      type: dict
      sample: {VCPU: {total: 16, reserved: 0, allocation_ratio: 4.0, min_unit: 1, max_unit: 16, step_size: 1, used: 6, capacity: 64}}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import compute_host_info_view, run_info_module

ARGUMENT_SPEC = {"name": {"type": "str"}}


def main():
    run_info_module(ARGUMENT_SPEC, "compute_hosts", view=compute_host_info_view,
                    service=lambda cloud: cloud.compute_hosts)


if __name__ == "__main__":
    main()
