#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: user
short_description: Create, update or delete a Stackling user
description:
  - Ensures a local user exists in a domain, enabled or disabled, with a password, or does not exist.
  - Passwords are stored by the control library as argon2id hashes only, so the module cannot tell
    whether a given password is the current one; see O(update_password).
  - Disabling a user, deleting it or changing its password revokes all of its tokens.
  - Only cloud admins and admins of the user's domain may create, change or delete users.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name (or id) of the user; names are unique within a domain.
    type: str
    required: true
  domain:
    description:
      - Domain (name or id) of the user.
    type: str
    default: default
  password:
    description:
      - The user's password. Never logged nor returned.
      - Without it a new user cannot log in with a password.
    type: str
  update_password:
    description:
      - V(on_create) sets O(password) only when the user is created; an existing user keeps its password.
      - V(always) sets O(password) at every run, which always reports a change (and revokes the
        user's tokens), because the stored hash cannot be compared with it.
    type: str
    choices: [on_create, always]
    default: on_create
  enabled:
    description:
      - Whether the user is enabled. Left as it is when omitted (V(true) for a new user).
    type: bool
  state:
    description:
      - V(present) creates or updates the user; V(absent) deletes it with its role assignments.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Alice, with a password from the vault
  stackling.cloud.user:
    cloud: admin
    name: alice
    password: "{{ vault_alice_password }}"

- name: Reset her password
  stackling.cloud.user:
    cloud: admin
    name: alice
    password: "{{ vault_alice_new_password }}"
    update_password: always

- name: Lock her out (her tokens stop working at once)
  stackling.cloud.user:
    cloud: admin
    name: alice
    enabled: false
"""

RETURN = r"""
user:
  description: The user after the run (in check mode, as it would be; the id of a user not yet created is null).
  returned: when O(state=present)
  type: dict
  contains:
    id: {description: "User id.", type: str, sample: 0d5b8c4e6f7a4b1c9e2d3f4a5b6c7d8e}
    name: {description: "User name.", type: str, sample: alice}
    domain_id: {description: "Id of the user's domain.", type: str, sample: default}
    enabled: {description: "Whether the user is enabled.", type: bool}
    has_password: {description: "Whether the user has a password (never the password itself).", type: bool}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import STATE_SPEC, plan, state_result, wanted
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import user_view

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "domain": {"type": "str", "default": "default"},
    "password": {"type": "str", "no_log": True},
    "update_password": {"type": "str", "choices": ["on_create", "always"], "default": "on_create", "no_log": False},
    "enabled": {"type": "bool"},
    "state": STATE_SPEC,
}
# Stands for the password in a diff: the password itself is never shown.
HIDDEN = "(hidden)"
NEW_PASSWORD = "(hidden, replaced)"


def plan_user(module, cloud, current):
    params = module.params
    desired = wanted(enabled=params["enabled"])
    if current is None and params["state"] == "present":
        domain = cloud.resolve("domain", params["domain"], field="domain")
        cloud.authorize("identity:create_user", {"domain_id": domain["id"]})
        new = {"id": None, "name": params["name"], "domain_id": domain["id"], "enabled": True,
               "has_password": params["password"] is not None}
        return plan(None, desired, "present", dict(new, **desired))
    if current is not None and params["state"] == "present" and params["update_password"] == "always" \
            and params["password"] is not None:
        current = dict(current, password=HIDDEN)
        desired["password"] = NEW_PASSWORD
    change = plan(current, desired, params["state"])
    if change.changed:
        action = "delete" if change.action == "delete" else "update"
        cloud.authorize("identity:%s_user" % action, {"user_id": current["id"], "domain_id": current["domain_id"]})
    return change


def run(module, cloud):
    params = module.params
    found = cloud.identity.find_user(cloud.ctx, params["name"], params["domain"])
    change = plan_user(module, cloud, user_view(found) if found else None)
    view = change.after
    if change.changed and not module.check_mode:
        view = apply(cloud, change, params)
    if view is not None:
        view = dict((key, value) for key, value in view.items() if key != "password")
    return state_result(module, change, "user", view)


def apply(cloud, change, params):
    identity, ctx = cloud.identity, cloud.ctx
    if change.action == "create":
        after = change.after
        return user_view(identity.create_user(ctx, after["name"], domain_id=after["domain_id"],
                                              password=params["password"], enabled=after["enabled"]))
    user_id = change.before["id"]
    if change.action == "delete":
        identity.delete_user(ctx, user_id)
        return None
    if "password" in change.keys:
        identity.set_password(ctx, user_id, params["password"])
    return user_view(identity.update_user(ctx, user_id, enabled=params["enabled"]))


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
