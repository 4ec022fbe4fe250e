#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: user_info
short_description: List the Stackling users the caller may see
description:
  - Returns one user, or every user the caller may see (a cloud admin sees all, a domain reader
    its domain's). Every user may see itself.
  - Asking for a user the caller may not see, or listing users without being a cloud admin or a
    domain reader, fails with C(403 Forbidden).
  - Passwords are never returned (only whether the user has one).
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
      - Only this user (name or id). A user that does not exist gives an empty list.
    type: str
  domain:
    description:
      - Only users of this domain (name or id).
    type: str
"""

EXAMPLES = r"""
- name: Every user of the Default domain
  stackling.cloud.user_info:
    cloud: admin
    domain: Default
  register: users
"""

RETURN = r"""
users:
  description: The users, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "User id.", type: str}
    name: {description: "User name.", type: str, sample: alice}
    domain_id: {description: "Id of the user's domain.", type: str, sample: default}
    enabled: {description: "Whether the user is enabled.", type: bool}
    has_password: {description: "Whether the user has a password.", type: bool}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import run_info_module, user_view

ARGUMENT_SPEC = {
    "name": {"type": "str"},
    "domain": {"type": "str"},
}


def main():
    run_info_module(ARGUMENT_SPEC, "users", view=user_view,
                    find=lambda cloud, params, name: cloud.identity.find_user(cloud.ctx, name, params["domain"]),
                    list_all=lambda cloud, params: cloud.identity.list_users(cloud.ctx, params["domain"]))


if __name__ == "__main__":
    main()
