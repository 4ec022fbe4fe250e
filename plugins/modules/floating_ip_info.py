#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: floating_ip_info
short_description: List the Stackling floating IPs the caller may see
description:
  - Returns the floating IPs of the caller's project (a cloud admin sees every one). Other
    projects' floating IPs do not exist for the caller.
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
  floating_ip_address:
    description:
      - Only this floating IP (address or id).
    type: str
  port:
    description:
      - Only the floating IP associated with this port (name or id).
    type: str
  network:
    description:
      - Only the floating IPs of this external network (name or id).
    type: str
"""

EXAMPLES = r"""
- name: My floating IPs
  stackling.cloud.floating_ip_info:
    cloud: web-member
  register: fips
"""

RETURN = r"""
floating_ips:
  description: The floating IPs, sorted by address.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Floating IP id.", type: str}
    floating_ip_address: {description: "The address.", type: str}
    floating_network_id: {description: "Its external network.", type: str}
    project_id: {description: "Owner project.", type: str}
    port_id: {description: "The port it points at (null: none).", type: str}
    fixed_ip_address: {description: "The port's address it points at.", type: str}
    router_id: {description: "The router doing its NAT.", type: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_network import (
    floating_ip_view, missing_network, networking)
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import run_info_module

ARGUMENT_SPEC = {"floating_ip_address": {"type": "str"}, "port": {"type": "str"}, "network": {"type": "str"}}


def main():
    run_info_module(ARGUMENT_SPEC, "floating_ips", view=floating_ip_view, empty_if=missing_network,
                    list_all=lambda cloud, params: networking(cloud).floating_ips.list(
                        cloud.ctx, port=params["port"], network=params["network"]),
                    keep=lambda params, fip: params["floating_ip_address"] in (None, fip.id, fip.floating_ip_address))


if __name__ == "__main__":
    main()
