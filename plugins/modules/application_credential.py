#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: application_credential
short_description: Create or delete an application credential of the logged-in user
description:
  - Ensures the logged-in user has an application credential of that name on the project the
    login is scoped to, with the given roles, description and expiry, or has none.
  - An application credential logs a program in to that one project with a subset of the user's
    roles (checked again at every use), without the user's password
    (O(auth.application_credential_id) or O(auth.application_credential_name) with
    O(auth.application_credential_secret)).
  - Its secret is returned once, by the run that creates it (RV(secret)), and cannot be read again.
    Set the task keyword C(no_log) to V(true) and store the secret at once; Ansible does not hide
    values a module returns.
  - Application credentials cannot be changed. A credential whose project, roles, description or
    expiry differ from the options is an error unless O(renew=true), which replaces it (new id, new secret).
  - Only the user may create one, and not while logged in with an application credential.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name of the credential, unique among the user's credentials.
    type: str
    required: true
  description:
    description:
      - Description. Not compared when omitted (empty for a new credential).
    type: str
  roles:
    description:
      - Names of the roles the credential carries, a subset of those the user holds on the project.
      - Not compared when omitted; a new credential then carries all the user's current roles there.
    type: list
    elements: str
  expires_at:
    description:
      - When the credential stops working, as an ISO 8601 time (V(2030-01-31T12:00:00Z); without a
        zone, UTC). Tokens it issues never outlive it. Not compared when omitted (a new credential never expires).
    type: str
  renew:
    description:
      - Replace an existing credential whose project, roles, description or expiry differ from the
        options. The old secret stops working at once.
    type: bool
    default: false
  state:
    description:
      - V(present) creates the credential; V(absent) deletes it and revokes the tokens it issued.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: A credential for the web project's deploy job
  stackling.cloud.application_credential:
    auth:
      username: alice
      password: "{{ vault_alice_password }}"
      project: web
    name: deploy
    roles: [member]
    expires_at: "2030-12-31T00:00:00Z"
  register: deploy_credential
  no_log: true      # the result holds the secret

- name: Keep the secret (it is returned only once)
  ansible.builtin.copy:
    content: "{{ deploy_credential.secret }}"
    dest: /etc/deploy/stackling-secret
    mode: "0600"
  when: deploy_credential.secret is not none
  no_log: true

- name: Log in with it later
  stackling.cloud.project_info:
    auth:
      username: alice
      application_credential_name: deploy
      application_credential_secret: "{{ lookup('ansible.builtin.file', '/etc/deploy/stackling-secret') }}"
"""

RETURN = r"""
application_credential:
  description:
    - The credential after the run (in check mode, as it would be; the id of a credential not yet
      created is null).
  returned: when O(state=present)
  type: dict
  contains:
    id: {description: "Credential id (use it with O(auth.application_credential_id)).", type: str}
    name: {description: "Credential name.", type: str, sample: deploy}
    user_id: {description: "Id of the owner.", type: str}
    project_id: {description: "Id of the project it logs in to.", type: str}
    description: {description: "Description.", type: str}
    roles: {description: "Names of the roles it carries, sorted.", type: list, elements: str, sample: [member]}
    expires_at: {description: "Expiry (ISO 8601, UTC), or null.", type: str, sample: "2030-12-31T00:00:00Z"}
secret:
  description:
    - SENSITIVE. The credential's secret, only from the run that created (or renewed) it; null otherwise
      and in check mode. Set C(no_log) on the task.
  returned: always
  type: str
"""

from datetime import datetime, timezone

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import (
    STATE_SPEC,
    format_time,
    parse_time,
    plan,
    plan_diff,
    wanted,
)
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import credential_view
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "description": {"type": "str"},
    "roles": {"type": "list", "elements": "str"},
    "expires_at": {"type": "str"},
    "renew": {"type": "bool", "default": False},
    "state": STATE_SPEC,
}


def desired_fields(module, cloud):
    params = module.params
    roles = sorted(set(params["roles"])) if params["roles"] is not None else None
    missing = sorted(set(roles or ()) - set(cloud.ctx.roles))
    if missing:
        raise InvalidInput("roles", "%s not held by the logged-in user on this project (held: %s)"
                           % (", ".join(missing), ", ".join(sorted(cloud.ctx.roles))))
    expires_at = parse_time("expires_at", params["expires_at"])
    if expires_at is not None and expires_at <= datetime.now(timezone.utc):
        raise InvalidInput("expires_at", "%s lies in the past" % params["expires_at"])
    return wanted(project_id=cloud.ctx.project_id, description=params["description"], roles=roles,
                  expires_at=format_time(expires_at))


def plan_credential(module, cloud, current):
    params = module.params
    desired = desired_fields(module, cloud) if params["state"] == "present" else {}
    new = {"id": None, "name": params["name"], "user_id": cloud.ctx.user_id, "description": "",
           "roles": sorted(cloud.ctx.roles), "expires_at": None}
    change = plan(current, desired, params["state"], dict(new, **desired))
    if change.action == "update":
        if not params["renew"]:
            raise InvalidInput("renew", "application credential %s exists with other %s; credentials cannot be "
                               "changed: set renew: true to replace it (new id and secret)"
                               % (params["name"], ", ".join(change.keys)))
        change.after = dict(change.after, id=None)
    if change.changed:
        owner = {"user_id": cloud.ctx.user_id, "project_id": cloud.ctx.project_id}
        if current is not None:
            cloud.authorize("identity:delete_application_credential",
                            {"user_id": current["user_id"], "project_id": current["project_id"]})
        if change.action != "delete":
            cloud.authorize("identity:create_application_credential", owner)
    return change


def run(module, cloud):
    params = module.params
    found = [credential for credential in cloud.identity.list_application_credentials(cloud.ctx)
             if credential.name == params["name"]]
    change = plan_credential(module, cloud, credential_view(found[0]) if found else None)
    view, secret = change.after, None
    if change.changed and not module.check_mode:
        if change.before is not None:
            cloud.identity.delete_application_credential(cloud.ctx, change.before["id"])
        if change.action != "delete":
            after = change.after
            created = cloud.identity.create_application_credential(
                cloud.ctx, after["name"], roles=after["roles"], description=after["description"],
                expires_at=parse_time("expires_at", after["expires_at"]))
            view, secret = credential_view(created.credential), created.secret
    result = {"changed": change.changed, "application_credential": view, "secret": secret}
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = plan_diff(change)
    return result


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
