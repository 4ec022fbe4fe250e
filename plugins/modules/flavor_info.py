#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: flavor_info
short_description: List the Stackling flavors the caller may use
description:
  - Returns the public flavors and the private flavors granted to the caller's project (a cloud
    admin sees every flavor).
  - A private flavor of another project is not shown (as in nova, it does not exist for the caller).
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
      - Only this flavor (name or id). A flavor that does not exist (or is not visible) gives an empty list.
    type: str
"""

EXAMPLES = r"""
- name: Flavors I may boot
  stackling.cloud.flavor_info:
    cloud: web-member
  register: flavors
"""

RETURN = r"""
flavors:
  description: The flavors, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Flavor id.", type: str}
    name: {description: "Flavor name.", type: str}
    vcpus: {description: "Virtual CPUs.", type: int}
    ram: {description: "Memory in MiB.", type: int}
    disk: {description: "Root disk in GiB.", type: int}
    ephemeral: {description: "Ephemeral disk in GiB.", type: int}
    swap: {description: "Swap in MiB.", type: int}
    is_public: {description: "Whether every project may use it.", type: bool}
    description: {description: "Description.", type: str}
    extra_specs: {description: "Extra specs.", type: dict}
    project_access: {description: "Ids of the projects granted a private flavor.", type: list, elements: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import flavor_view, run_info_module

ARGUMENT_SPEC = {"name": {"type": "str"}}


def main():
    run_info_module(ARGUMENT_SPEC, "flavors", view=flavor_view, service=lambda cloud: cloud.flavors)


if __name__ == "__main__":
    main()
