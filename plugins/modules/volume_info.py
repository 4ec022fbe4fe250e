#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: volume_info
short_description: Show Stackling volumes and their attachments
description:
  - Returns the volume O(name) (name or id), or all volumes of the caller's project, or with
    O(all_projects=true) every volume the caller may see (for cloud admins, all of them).
  - Each volume lists the servers it is attached to. C(backend) and the attachments' C(host)
    are returned to cloud admins only.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
options:
  name:
    description:
      - Name or id of one volume; without it, all.
    type: str
  all_projects:
    description:
      - List the volumes of every project the caller may see, not only the caller's.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: My project's volumes
  stackling.cloud.volume_info:
    cloud: web-member
  register: mine

- name: Where is the data volume attached?
  ansible.builtin.debug:
    msg: "{{ (mine.volumes | selectattr('name', 'equalto', 'data') | first).attachments }}"
"""

RETURN = r"""
volumes:
  description: The volumes, by name (see M(stackling.cloud.volume) for the fields).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import run_info_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_volumes import volume_view

ARGUMENT_SPEC = {
    "name": {"type": "str"},
    "all_projects": {"type": "bool", "default": False},
}


def main():
    run_info_module(ARGUMENT_SPEC, "volumes", view=volume_view,
                    find=lambda cloud, params, name: cloud.controller.volumes.find(cloud.ctx, name),
                    list_all=lambda cloud, params: cloud.controller.volumes.list(
                        cloud.ctx, all_projects=params["all_projects"]))


if __name__ == "__main__":
    main()
