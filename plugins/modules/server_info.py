#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_info
short_description: Show Stackling servers
description:
  - Returns the server O(name) (name or id), or all servers of the caller's project, or with
    O(all_projects=true) every server the caller may see (for cloud admins, all of them).
  - C(host) and C(hypervisor) are returned to cloud admins only.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
options:
  name:
    description:
      - Name or id of one server; without it, all.
    type: str
  all_projects:
    description:
      - List the servers of every project the caller may see, not only the caller's.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: My project's servers
  stackling.cloud.server_info:
    cloud: web-reader
  register: mine
"""

RETURN = r"""
servers:
  description: The servers found (empty when O(name) matches none), as the server module returns them.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_servers import server_view
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import run_info_module

ARGUMENT_SPEC = {
    "name": {"type": "str"},
    "all_projects": {"type": "bool", "default": False},
}


def main():
    run_info_module(ARGUMENT_SPEC, "servers", view=server_view,
                    find=lambda cloud, params, name: cloud.controller.servers.find(cloud.ctx, name),
                    list_all=lambda cloud, params: cloud.controller.servers.list(
                        cloud.ctx, all_projects=params["all_projects"]))


if __name__ == "__main__":
    main()
