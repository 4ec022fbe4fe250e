#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_aggregate_info
short_description: Show Stackling host aggregates
description:
  - Returns one host aggregate, or every one, with its metadata, availability zone and hosts.
  - Only cloud admins may read aggregates (policy C(compute:get_aggregate), C(compute:list_aggregates)).
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
      - Only this aggregate (name or uuid). An aggregate that does not exist gives an empty list.
    type: str
"""

EXAMPLES = r"""
- name: The availability zones
  stackling.cloud.host_aggregate_info:
    cloud: admin
  register: aggregates
"""

RETURN = r"""
aggregates:
  description: The aggregates, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    uuid: {description: "Aggregate uuid.", type: str}
    name: {description: "Aggregate name (null for placement aggregates without one).", type: str}
    metadata: {description: "Metadata.", type: dict}
    availability_zone: {description: "The zone it defines, or null.", type: str}
    hosts: {description: "Names of its hosts.", type: list, elements: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import aggregate_view, run_info_module

ARGUMENT_SPEC = {"name": {"type": "str"}}


def main():
    run_info_module(ARGUMENT_SPEC, "aggregates", view=aggregate_view, service=lambda cloud: cloud.aggregates)


if __name__ == "__main__":
    main()
