#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: allocation_info
short_description: Show Stackling placement allocations of a consumer or on a host
description:
  - Returns the allocations (resource class and amount per host) of one consumer (a server or a
    volume), or every allocation on one host (compute host or storage backend), or both filters.
  - Only cloud admins may read allocations (policy C(placement:list_allocations)).
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
  consumer:
    description:
      - Uuid of the consumer (a server or volume id).
    type: str
  host:
    description:
      - Name (or uuid) of the host.
    type: str
"""

EXAMPLES = r"""
- name: What runs on cn1
  stackling.cloud.allocation_info:
    cloud: admin
    host: cn1
  register: on_cn1
"""

RETURN = r"""
allocations:
  description: One entry per consumer, host and resource class, sorted by consumer, host and class.
  returned: always
  type: list
  elements: dict
  contains:
    consumer_uuid: {description: "The consumer.", type: str}
    project_id: {description: "Its project.", type: str}
    user_id: {description: "Its user.", type: str}
    consumer_type: {description: "INSTANCE, VOLUME or MIGRATION.", type: str}
    host: {description: "Name of the host.", type: str, sample: cn1}
    host_uuid: {description: "Uuid of the host's resource provider.", type: str}
    resource_class: {description: "Resource class.", type: str, sample: VCPU}
    used: {description: "Amount allocated.", type: int, sample: 2}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import allocation_view, run_info_module

ARGUMENT_SPEC = {"consumer": {"type": "str"}, "host": {"type": "str"}}


def main():
    run_info_module(ARGUMENT_SPEC, "allocations", view=allocation_view, required_one_of=[["consumer", "host"]],
                    list_all=lambda cloud, params: cloud.allocations.allocations(
                        cloud.ctx, consumer=params["consumer"], host=params["host"]))


if __name__ == "__main__":
    main()
