#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: volume_snapshot_info
short_description: Show snapshots of Stackling volumes
description:
  - Returns the snapshot O(name) (name or id), or the snapshots of O(volume), or all snapshots of
    the caller's project, or with O(all_projects=true) every snapshot the caller may see.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
options:
  name:
    description:
      - Name or id of one snapshot; without it, all.
    type: str
  volume:
    description:
      - Only the snapshots of this volume (name or id); a volume the caller cannot see has none.
    type: str
  all_projects:
    description:
      - List the snapshots of every project the caller may see, not only the caller's.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: The data volume's snapshots
  stackling.cloud.volume_snapshot_info:
    cloud: web-member
    volume: data
"""

RETURN = r"""
snapshots:
  description: The snapshots, by name (see M(stackling.cloud.volume_snapshot) for the fields).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import run_info_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_volumes import snapshot_view

ARGUMENT_SPEC = {
    "name": {"type": "str"},
    "volume": {"type": "str"},
    "all_projects": {"type": "bool", "default": False},
}


def main():
    run_info_module(
        ARGUMENT_SPEC, "snapshots", view=snapshot_view,
        find=lambda cloud, params, name: cloud.controller.volume_snapshots.find(cloud.ctx, name),
        list_all=lambda cloud, params: cloud.controller.volume_snapshots.list(
            cloud.ctx, volume=params["volume"], all_projects=params["all_projects"]),
        empty_if=lambda cloud, params: params["volume"] is not None and cloud.controller.volumes.find(
            cloud.ctx, params["volume"]) is None)


if __name__ == "__main__":
    main()
