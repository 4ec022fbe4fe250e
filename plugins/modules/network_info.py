#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: network_info
short_description: List the Stackling networks the caller may see
description:
  - Returns the networks of the caller's project and the shared and external networks (a cloud
    admin sees every network). Other projects' networks do not exist for the caller.
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
      - Only this network (name or id). One that does not exist (or is not visible) gives an empty list.
    type: str
  external:
    description:
      - Only external networks (V(true)) or only the others (V(false)).
    type: bool
"""

EXAMPLES = r"""
- name: Where floating IPs come from
  stackling.cloud.network_info:
    cloud: web-member
    external: true
  register: external
"""

RETURN = r"""
networks:
  description: The networks, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Network id.", type: str}
    name: {description: "Network name.", type: str}
    project_id: {description: "Owner project.", type: str}
    external: {description: "Whether it holds floating IPs.", type: bool}
    shared: {description: "Whether every project may use it.", type: bool}
    mtu: {description: "MTU.", type: int}
    provider_network_type: {description: "vxlan, vlan, flat or local.", type: str}
    provider_physical_network: {description: "Physical network (null for VXLAN).", type: str}
    provider_segmentation_id: {description: "VNI or VLAN id.", type: int}
    subnets: {description: "Ids of its subnets the caller may see.", type: list, elements: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_network import network_view, networking
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import run_info_module

ARGUMENT_SPEC = {"name": {"type": "str"}, "external": {"type": "bool"}}


def network_info_view(cloud, network):
    """network_view plus the ids of the network's subnets the caller sees."""
    view = network_view(network)
    view["subnets"] = [subnet.id for subnet in networking(cloud).subnets.list(cloud.ctx, network.id)]
    return view


def main():
    run_info_module(ARGUMENT_SPEC, "networks", cloud_view=network_info_view,
                    service=lambda cloud: networking(cloud).networks,
                    keep=lambda params, network: params["external"] in (None, network.external))


if __name__ == "__main__":
    main()
