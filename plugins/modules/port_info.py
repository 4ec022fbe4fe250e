#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: port_info
short_description: List the Stackling ports the caller may see
description:
  - Returns the ports of the caller's project (a cloud admin sees every port, the ports holding
    floating IPs and router gateways included). Other projects' ports do not exist for the caller.
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
      - Only this port (name or id). One that does not exist (or is not visible) gives an empty list.
    type: str
  network:
    description:
      - Only the ports of this network (name or id).
    type: str
  device_id:
    description:
      - Only the ports of this device (a server or router id).
    type: str
"""

EXAMPLES = r"""
- name: The ports of a router
  stackling.cloud.port_info:
    cloud: web-member
    device_id: "{{ router.router.id }}"
  register: ports
"""

RETURN = r"""
ports:
  description: The ports, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Port id.", type: str}
    name: {description: "Port name.", type: str}
    network_id: {description: "Its network.", type: str}
    project_id: {description: "Owner project.", type: str}
    mac_address: {description: "MAC address.", type: str}
    device_id: {description: "What uses it.", type: str}
    device_owner: {description: "Kind of user.", type: str}
    fixed_ips: {description: "Addresses (subnet_id, ip_address).", type: list, elements: dict}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_network import (
    missing_network, networking, port_view)
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import run_info_module

ARGUMENT_SPEC = {"name": {"type": "str"}, "network": {"type": "str"}, "device_id": {"type": "str"}}


def main():
    run_info_module(ARGUMENT_SPEC, "ports", view=port_view, empty_if=missing_network,
                    list_all=lambda cloud, params: networking(cloud).ports.list(
                        cloud.ctx, params["network"], params["device_id"]),
                    keep=lambda params, port: params["name"] in (None, port.id, port.name))


if __name__ == "__main__":
    main()
