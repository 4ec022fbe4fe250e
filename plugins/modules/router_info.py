#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: router_info
short_description: List the Stackling routers the caller may see
description:
  - Returns the routers of the caller's project (a cloud admin sees every router). Other
    projects' routers do not exist for the caller.
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
      - Only this router (name or id). One that does not exist (or is not visible) gives an empty list.
    type: str
"""

EXAMPLES = r"""
- name: My routers
  stackling.cloud.router_info:
    cloud: web-member
  register: routers
"""

RETURN = r"""
routers:
  description: The routers, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Router id.", type: str}
    name: {description: "Router name.", type: str}
    project_id: {description: "Owner project.", type: str}
    external_gateway: {description: "network_id, enable_snat, port_id, external_fixed_ips; null when none.", type: dict}
    interfaces: {description: "Interfaces (subnet_id, port_id, ip_address).", type: list, elements: dict}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_network import networking, router_view
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import run_info_module

ARGUMENT_SPEC = {"name": {"type": "str"}}


def main():
    run_info_module(ARGUMENT_SPEC, "routers", view=router_view, service=lambda cloud: networking(cloud).routers)


if __name__ == "__main__":
    main()
