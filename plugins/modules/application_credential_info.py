#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: application_credential_info
short_description: List the Stackling application credentials of a user
description:
  - Returns the application credentials of the logged-in user (or, for a cloud admin, of another user).
  - Listing the credentials of another user without being a cloud admin fails with C(403 Forbidden).
  - Secrets are never returned; a credential's secret is only shown once, by
    M(stackling.cloud.application_credential) when it creates the credential.
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
      - Only the credential of this name (or id). A credential that does not exist gives an empty list.
    type: str
  user:
    description:
      - Owner (name or id) of the credentials; default the logged-in user.
    type: str
  user_domain:
    description:
      - Domain (name or id) of O(user), when it is given by name.
    type: str
"""

EXAMPLES = r"""
- name: My application credentials
  stackling.cloud.application_credential_info:
    cloud: web-member
  register: mine

- name: Their names
  ansible.builtin.debug:
    msg: "{{ mine.application_credentials | map(attribute='name') }}"
"""

RETURN = r"""
application_credentials:
  description: The credentials, sorted by name (never their secrets).
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Credential id.", type: str}
    name: {description: "Credential name.", type: str, sample: deploy}
    user_id: {description: "Id of the owner.", type: str}
    project_id: {description: "Id of the project it logs in to.", type: str}
    description: {description: "Description.", type: str}
    roles: {description: "Names of the roles it carries, sorted.", type: list, elements: str, sample: [member]}
    expires_at: {description: "Expiry (ISO 8601, UTC), or null.", type: str, sample: "2030-12-31T00:00:00Z"}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import credential_view, run_info_module

ARGUMENT_SPEC = {
    "name": {"type": "str"},
    "user": {"type": "str"},
    "user_domain": {"type": "str"},
}


def list_credentials(cloud, params):
    owner = None
    if params["user"] is not None:
        owner = cloud.resolve("user", params["user"], params["user_domain"], field="user",
                              domain_field="user_domain")["id"]
    return cloud.identity.list_application_credentials(cloud.ctx, owner)


def main():
    run_info_module(ARGUMENT_SPEC, "application_credentials", view=credential_view, list_all=list_credentials,
                    keep=lambda params, credential: params["name"] in (None, credential.name, credential.id))


if __name__ == "__main__":
    main()
