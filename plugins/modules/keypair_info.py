#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: keypair_info
short_description: List a user's Stackling keypairs
description:
  - Returns the caller's keypairs (public keys only), or those of O(user) for a cloud admin.
  - Keypairs belong to a user. Another user's are never shown, even in the same project.
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
      - Only this keypair. A keypair that does not exist gives an empty list.
    type: str
  user:
    description:
      - List this user's keypairs (name or id) instead of the caller's. Cloud admins only.
    type: str
"""

EXAMPLES = r"""
- name: My keypairs
  stackling.cloud.keypair_info:
    cloud: web-member
  register: keypairs

- name: Alice's keypairs (cloud admin)
  stackling.cloud.keypair_info:
    cloud: admin
    user: alice
"""

RETURN = r"""
keypairs:
  description: The keypairs, sorted by name. Never a private key.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Keypair id.", type: str}
    name: {description: "Keypair name.", type: str}
    user_id: {description: "Owner user id.", type: str}
    type: {description: "Always ssh.", type: str}
    public_key: {description: "OpenSSH public key line.", type: str}
    fingerprint: {description: "MD5 fingerprint, colon form.", type: str}
    created_at: {description: "Creation time, ISO 8601 UTC.", type: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_images import keypair_view
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import run_info_module

ARGUMENT_SPEC = {
    "name": {"type": "str"},
    "user": {"type": "str"},
}


def main():
    run_info_module(ARGUMENT_SPEC, "keypairs", view=keypair_view,
                    find=lambda cloud, params, name: cloud.controller.keypairs.find(
                        cloud.ctx, name, user=params["user"]),
                    list_all=lambda cloud, params: cloud.controller.keypairs.list(cloud.ctx, user=params["user"]))


if __name__ == "__main__":
    main()
