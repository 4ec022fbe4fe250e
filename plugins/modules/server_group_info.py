#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_group_info
short_description: List the Stackling server groups the caller may see
description:
  - Returns the server groups the caller may see. A project's members and readers see the
    project's groups, a cloud admin every group.
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
      - Only this group (id, or name in the caller's project). A group that does not exist gives an empty list.
    type: str
"""

EXAMPLES = r"""
- name: My project's server groups
  stackling.cloud.server_group_info:
    cloud: web-member
  register: groups
"""

RETURN = r"""
server_groups:
  description: The groups, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Group id.", type: str}
    name: {description: "Group name.", type: str}
    policy: {description: "Its policy.", type: str, sample: anti-affinity}
    project_id: {description: "Owning project.", type: str}
    user_id: {description: "User who created it.", type: str}
    members: {description: "Uuids of the servers in it.", type: list, elements: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import run_info_module, server_group_view

ARGUMENT_SPEC = {"name": {"type": "str"}}


def main():
    run_info_module(ARGUMENT_SPEC, "server_groups", view=server_group_view, service=lambda cloud: cloud.server_groups)


if __name__ == "__main__":
    main()
