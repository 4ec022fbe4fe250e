#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: security_group_info
short_description: List Stackling security groups and their rules
description:
  - Returns the security groups of the caller's project (its V(default) group is made on first need),
    or the one named O(name). Another project's groups do not exist for the caller.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
options:
  name:
    description: Name or id of one group; without it, every group of the caller's project.
    type: str
"""

EXAMPLES = r"""
- name: The project's groups
  stackling.cloud.security_group_info:
    cloud: mycloud
  register: groups
"""

RETURN = r"""
security_groups:
  description: The groups, by name.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Group id.", type: str}
    name: {description: "Group name.", type: str}
    project_id: {description: "Owner project.", type: str}
    description: {description: "Description.", type: str}
    security_group_rules:
      description: Its rules.
      type: list
      elements: dict
      contains:
        id: {description: "Rule id.", type: str}
        direction: {description: "ingress or egress.", type: str}
        ethertype: {description: "IPv4 or IPv6.", type: str}
        protocol: {description: "any, tcp, udp or icmp.", type: str}
        port_range_min: {description: "First port (tcp/udp) or ICMP type.", type: int}
        port_range_max: {description: "Last port (tcp/udp) or ICMP code.", type: int}
        remote_ip_prefix: {description: "CIDR the rule is limited to (null: anywhere).", type: str}
        remote_group_id: {description: "Group whose members the rule is limited to.", type: str}
        description: {description: "Description.", type: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_security_groups import (
    security_group_view,
    security_groups,
)
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import run_info_module

ARGUMENT_SPEC = {"name": {"type": "str"}}


def main():
    run_info_module(ARGUMENT_SPEC, "security_groups", view=security_group_view, service=security_groups)


if __name__ == "__main__":
    main()
