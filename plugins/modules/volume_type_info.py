#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: volume_type_info
short_description: Show Stackling volume types
description:
  - Returns the volume type O(name) (name or id), or all of them. Anyone with a role may read them.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
options:
  name:
    description:
      - Name or id of one type; without it, all.
    type: str
"""

EXAMPLES = r"""
- name: The volume types a tenant may pick
  stackling.cloud.volume_type_info:
    cloud: web-member
"""

RETURN = r"""
volume_types:
  description: The types, by name (see M(stackling.cloud.volume_type) for the fields).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import run_info_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_volumes import volume_type_view

ARGUMENT_SPEC = {
    "name": {"type": "str"},
}


def main():
    run_info_module(ARGUMENT_SPEC, "volume_types", view=volume_type_view,
                    service=lambda cloud: cloud.controller.volume_types)


if __name__ == "__main__":
    main()
