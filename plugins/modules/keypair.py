#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: keypair
short_description: Import, generate or delete a Stackling keypair
description:
  - Ensures an SSH keypair of the caller (a user, not a project) exists under O(name), or does not.
    Other users, even in the same project, neither see nor use it.
  - With O(public_key) or O(public_key_file) the key is imported (ed25519, ECDSA, or RSA of at
    least 2048 bits). Without either, an ed25519 keypair is generated and its private key is
    returned in RV(keypair.private_key) by that run only; it is never stored and cannot be
    fetched again. Run such a task with C(no_log=true) and write the key out at once.
  - A different key for an existing name fails naming O(public_key) unless O(force=true)
    replaces it. A re-run without a key leaves an existing keypair as it is.
  - Fingerprints are nova's, MD5 in colon form (C(ssh-keygen -l -E md5)).
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name of the keypair (letters, digits, spaces and C(@._-)); unique per user.
    type: str
    required: true
  state:
    description:
      - V(present) imports or generates the keypair; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  public_key:
    description:
      - The OpenSSH public key line (C(ssh-ed25519 AAAA... comment)).
    type: str
  public_key_file:
    description:
      - Path of a public key file on the controller (one key line).
    type: path
  force:
    description:
      - Replace an existing keypair whose key differs from the one given.
    type: bool
    default: false
  user:
    description:
      - Manage this user's keypair (name or id) instead of the caller's. Cloud admins only.
    type: str
"""

EXAMPLES = r"""
- name: Import my laptop's key
  stackling.cloud.keypair:
    cloud: web-member
    name: laptop
    public_key_file: ~/.ssh/id_ed25519.pub

- name: Generate a keypair for CI and keep the private key
  stackling.cloud.keypair:
    cloud: web-member
    name: ci
  register: ci_key
  no_log: true

- name: Save it (only the generating run returns it)
  ansible.builtin.copy:
    content: "{{ ci_key.keypair.private_key }}"
    dest: ~/.ssh/stackling-ci
    mode: "0600"
  when: ci_key.keypair.private_key is truthy
  no_log: true
"""

RETURN = r"""
keypair:
  description: The keypair after the run (in check mode, as it would be; unknown fields are null).
  returned: when O(state=present)
  type: dict
  contains:
    id: {description: "Keypair id.", type: str}
    name: {description: "Keypair name.", type: str, sample: laptop}
    user_id: {description: "Owner user id.", type: str}
    type: {description: "Always ssh.", type: str, sample: ssh}
    public_key: {description: "OpenSSH public key line.", type: str}
    fingerprint: {description: "MD5 fingerprint, colon form.", type: str, sample: "3c:1f:...:9a"}
    created_at: {description: "Creation time, ISO 8601 UTC.", type: str}
    private_key:
      description:
        - The generated private key (OpenSSH PEM), only in the run that generated it; null otherwise.
          It is not in the diff. Stackling does not keep it.
      type: str
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_images import keypair_view, read_key_file
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import STATE_SPEC, Plan, plan, state_result
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

try:
    from stackling.compute.keypairs import check_name, parse_public_key
except ImportError:  # run_cloud_module() fails first, saying the library is missing
    check_name = parse_public_key = None

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": STATE_SPEC,
    "public_key": {"type": "str", "no_log": False},
    "public_key_file": {"type": "path", "no_log": False},
    "force": {"type": "bool", "default": False},
    "user": {"type": "str"},
}


def wanted_key(params):
    """``(option, normalised key line, fingerprint)`` of the key asked for, or None."""
    if params["public_key_file"]:
        line, field = read_key_file("public_key_file", params["public_key_file"]), "public_key_file"
    elif params["public_key"]:
        line, field = params["public_key"], "public_key"
    else:
        return None
    try:
        normalised, fingerprint = parse_public_key(line)
    except ValueError as exc:
        raise InvalidInput(field, str(exc)) from None
    return field, normalised, fingerprint


def planned(cloud, params, current):
    if params["state"] == "absent":
        return plan(current, {}, "absent")
    check_name(params["name"])
    key = wanted_key(params)
    new = {"id": None, "name": params["name"], "user_id": owner_id(cloud, params, current), "type": "ssh",
           "public_key": key[1] if key else None, "fingerprint": key[2] if key else None, "created_at": None}
    if current is None:
        return Plan("create", None, new)
    if key is None or key[2] == current["fingerprint"]:
        return plan(current, {}, "present")
    if not params["force"]:
        raise InvalidInput(key[0], "keypair %s exists with fingerprint %s, the key given has %s; set force: true to "
                           "replace it" % (params["name"], current["fingerprint"], key[2]))
    return Plan("replace", current, new)


def run(module, cloud):
    params = module.params
    keypairs = cloud.controller.keypairs
    found = keypairs.find(cloud.ctx, params["name"], user=params["user"])
    current = keypair_view(found) if found else None
    change = planned(cloud, params, current)
    view, private_key = change.after, None
    if change.changed:
        user_id = owner_id(cloud, params, current)
        action = "delete" if change.action == "delete" else "create"
        cloud.authorize("keypair:%s_keypair" % action, {"user_id": user_id})
        if change.action == "replace":
            cloud.authorize("keypair:delete_keypair", {"user_id": user_id})
        if not module.check_mode:
            view, private_key = apply(cloud, params, change)
    result = state_result(module, change, "keypair", view)
    if view is not None:
        result["keypair"] = dict(view, private_key=private_key)
    return result


def owner_id(cloud, params, current):
    """The user whose keypair this is (the policy target)."""
    if current is not None:
        return current["user_id"]
    if params["user"]:
        return cloud.resolve("user", params["user"], field="user")["id"]
    return cloud.ctx.user_id


def apply(cloud, params, change):
    keypairs = cloud.controller.keypairs
    if change.action == "delete":
        keypairs.delete(cloud.ctx, params["name"], user=params["user"])
        return None, None
    made = keypairs.create(cloud.ctx, params["name"], public_key=change.after["public_key"], user=params["user"],
                           replace_existing=change.action == "replace")
    return keypair_view(made), made.private_key


def main():
    module = cloud_module(ARGUMENT_SPEC, mutually_exclusive=[["public_key", "public_key_file"]])
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
