#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: auth
short_description: Log in to Stackling and return a token
description:
  - Logs in with O(auth) or O(cloud) and returns the token with what it stands for (user, scope,
    current roles, expiry), so later tasks can pass O(token) instead of a password.
  - With O(token), validates that token (expiry, revocation, the user's current roles) and returns
    the same information about it (but not the token again).
  - The token is a bearer credential. Ansible does not hide values a module returns, so set the
    task keyword C(no_log) to V(true), as in the examples.
  - Never reports a change; runs the same in check mode.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
attributes:
  check_mode:
    description: Logging in changes nothing, so check mode logs in too (later tasks may need the token).
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
options: {}
"""

EXAMPLES = r"""
- name: Log in once
  stackling.cloud.auth:
    auth:
      username: alice
      password: "{{ vault_alice_password }}"
      project: web
  register: alice_login
  no_log: true      # the result holds the token

- name: Then use the token
  stackling.cloud.project_info:
    token: "{{ alice_login.token }}"
"""

RETURN = r"""
token:
  description:
    - SENSITIVE. The token; anyone holding it acts as the user until it expires or is revoked.
      Set C(no_log) on the task.
    - Null when the module was given O(token).
  returned: always
  type: str
expires_at:
  description: When the token expires (ISO 8601, UTC).
  returned: always
  type: str
  sample: "2030-01-01T13:00:00Z"
user_id:
  description: Id of the user the token stands for.
  returned: always
  type: str
project_id:
  description: Id of the project the token is scoped to (null for a domain-scoped token).
  returned: always
  type: str
domain_id:
  description: Id of the domain the token is scoped to (null for a project-scoped token).
  returned: always
  type: str
roles:
  description: The roles the user holds on that scope now, implied roles included, sorted.
  returned: always
  type: list
  elements: str
  sample: [member, reader]
is_admin_project:
  description: Whether the token is scoped to the cloud admin's project.
  returned: always
  type: bool
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import format_time


def run(module, cloud):
    ctx = cloud.ctx
    return {
        "changed": False,
        "token": cloud.token if module.params["token"] is None else None,
        "expires_at": format_time(ctx.expires_at),
        "user_id": ctx.user_id,
        "project_id": ctx.project_id,
        "domain_id": ctx.domain_id,
        "roles": sorted(ctx.roles),
        "is_admin_project": ctx.is_admin_project,
    }


def main():
    module = cloud_module({})
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
