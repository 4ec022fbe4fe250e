#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: group_info
short_description: List the Stackling groups the caller may see, with their members
description:
  - Returns one group, or every group the caller may see (a cloud admin sees all, a domain
    reader its domain's), each with the names of its members.
  - Asking for a group the caller may not see, or listing groups without being a cloud admin or a
    domain reader, fails with C(403 Forbidden).
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
      - Only this group (name or id). A group that does not exist gives an empty list.
    type: str
  domain:
    description:
      - Only groups of this domain (name or id).
    type: str
"""

EXAMPLES = r"""
- name: Every group of the Default domain
  stackling.cloud.group_info:
    cloud: admin
    domain: Default
  register: groups

- name: The members of web-ops
  ansible.builtin.debug:
    msg: "{{ (groups.groups | selectattr('name', 'equalto', 'web-ops') | first).members }}"
"""

RETURN = r"""
groups:
  description: The groups, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Group id.", type: str}
    name: {description: "Group name.", type: str, sample: web-ops}
    domain_id: {description: "Id of the group's domain.", type: str, sample: default}
    description: {description: "Description.", type: str}
    members: {description: "Names of the members, sorted.", type: list, elements: str, sample: [alice, bob]}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import run_info_module

ARGUMENT_SPEC = {
    "name": {"type": "str"},
    "domain": {"type": "str"},
}


def group_view(cloud, group):
    members = sorted(user.name for user in cloud.identity.list_group_users(cloud.ctx, group.id))
    return {"id": group.id, "name": group.name, "domain_id": group.domain_id, "description": group.description,
            "members": members}


def find_group(cloud, params, name):
    try:
        return cloud.identity.get_group(cloud.ctx, name, params["domain"])
    except LookupError as exc:  # the library's NotFound
        if getattr(exc, "kind", None) != "group":
            raise
        return None


def main():
    run_info_module(ARGUMENT_SPEC, "groups", cloud_view=group_view, find=find_group,
                    list_all=lambda cloud, params: cloud.identity.list_groups(cloud.ctx, params["domain"]))


if __name__ == "__main__":
    main()
