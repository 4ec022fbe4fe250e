#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: subnet_info
short_description: List the Stackling subnets the caller may see
description:
  - Returns the subnets of the caller's project and those of shared and external networks (a
    cloud admin sees every subnet). Other projects' subnets do not exist for the caller.
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
      - Only this subnet (name or id). One that does not exist (or is not visible) gives an empty list.
    type: str
  network:
    description:
      - Only the subnets of this network (name or id).
    type: str
"""

EXAMPLES = r"""
- name: The subnets of my network
  stackling.cloud.subnet_info:
    cloud: web-member
    network: private
  register: subnets
"""

RETURN = r"""
subnets:
  description: The subnets, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Subnet id.", type: str}
    name: {description: "Subnet name.", type: str}
    network_id: {description: "Its network.", type: str}
    project_id: {description: "Owner project.", type: str}
    ip_version: {description: "4 or 6.", type: int}
    cidr: {description: "Network address.", type: str}
    gateway_ip: {description: "Gateway (null: none).", type: str}
    allocation_pools: {description: "Pools (start, end).", type: list, elements: dict}
    dns_nameservers: {description: "DNS servers, in order.", type: list, elements: str}
    host_routes: {description: "Host routes (destination, nexthop).", type: list, elements: dict}
    enable_dhcp: {description: "Whether DHCP serves it.", type: bool}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_network import (
    missing_network, networking, subnet_view)
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import run_info_module

ARGUMENT_SPEC = {"name": {"type": "str"}, "network": {"type": "str"}}


def main():
    run_info_module(ARGUMENT_SPEC, "subnets", view=subnet_view, empty_if=missing_network,
                    find=lambda cloud, params, name: networking(cloud).subnets.find(
                        cloud.ctx, name, params["network"]),
                    list_all=lambda cloud, params: networking(cloud).subnets.list(cloud.ctx, params["network"]))


if __name__ == "__main__":
    main()
