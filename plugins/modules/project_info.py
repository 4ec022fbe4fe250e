#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: project_info
short_description: List the Stackling projects the caller may see
description:
  - Returns one project, or every project the caller may see (a cloud admin sees all, a domain
    reader its domain's, a project reader its own project).
  - Asking for a project the caller may not see fails with C(403 Forbidden).
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
      - Only this project (name or id). A project that does not exist gives an empty list.
    type: str
  domain:
    description:
      - Only projects of this domain (name or id).
    type: str
"""

EXAMPLES = r"""
- name: The projects I may see
  stackling.cloud.project_info:
    cloud: web-member
  register: mine

- name: Their names
  ansible.builtin.debug:
    msg: "{{ mine.projects | map(attribute='name') }}"
"""

RETURN = r"""
projects:
  description: The projects, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Project id.", type: str}
    name: {description: "Project name.", type: str, sample: web}
    domain_id: {description: "Id of its domain.", type: str, sample: default}
    description: {description: "Description.", type: str}
    enabled: {description: "Whether it is enabled.", type: bool}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import project_view, run_info_module

ARGUMENT_SPEC = {
    "name": {"type": "str"},
    "domain": {"type": "str"},
}


def main():
    run_info_module(ARGUMENT_SPEC, "projects", view=project_view,
                    find=lambda cloud, params, name: cloud.identity.find_project(cloud.ctx, name, params["domain"]),
                    list_all=lambda cloud, params: cloud.identity.list_projects(cloud.ctx, params["domain"]))


if __name__ == "__main__":
    main()
