# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Paired with CLOUD_ARG_SPEC in plugins/module_utils/_cloud.py.
    DOCUMENTATION = r"""
options:
  config:
    description:
      - Path of the controller configuration file (database URL, Fernet key repository, policy
        file, password hashing cost) on the host that runs the module.
      - Defaults to the C(config) key of the O(cloud) entry, else C(/etc/stackling/controller.yaml)
        (the default of C(stackling-manage) too).
    type: path
  auth:
    description:
      - Log in with a password or an application credential. The token is scoped to
        O(auth.project) or O(auth.domain) (an application credential brings its own project).
      - Exactly one of O(auth), O(token) and O(cloud) is required.
      - What the module may then do is decided by the control library's policy, with the roles the
        user holds on that scope; a refusal fails the module with C(403 Forbidden) naming the action.
    type: dict
    suboptions:
      username:
        description:
          - Name or id of the user logging in. Required with O(auth.password) and with
            O(auth.application_credential_name).
        type: str
      password:
        description:
          - The user's password.
        type: str
      user_domain:
        description:
          - Domain (name or id) of O(auth.username).
        type: str
        default: default
        aliases: [user_domain_name, user_domain_id]
      project:
        description:
          - Project (name or id) the token is scoped to.
        type: str
        aliases: [project_name, project_id]
      project_domain:
        description:
          - Domain (name or id) of O(auth.project), needed when that project's name is not unique.
        type: str
        aliases: [project_domain_name, project_domain_id]
      domain:
        description:
          - Domain (name or id) the token is scoped to, instead of a project (domain administration).
        type: str
        aliases: [domain_name, domain_id]
      application_credential_id:
        description:
          - Id of the application credential logging in (with O(auth.application_credential_secret)).
        type: str
      application_credential_name:
        description:
          - Name of the application credential logging in, together with O(auth.username).
        type: str
      application_credential_secret:
        description:
          - The application credential's secret, instead of O(auth.password).
        type: str
  token:
    description:
      - A token to act with, as returned by M(stackling.cloud.auth). It is validated at every run
        (expiry, revocation, the user's current roles).
    type: str
  cloud:
    description:
      - Name of an entry of a C(clouds.yaml) file holding the O(auth) options and optionally
        C(config), searched in C(~/.config/stackling/clouds.yaml), then C(/etc/stackling/clouds.yaml)
        on the host that runs the module.
      - 'The file has the form C(clouds: {NAME: {config: PATH, auth: {username: ..., password: ..., project: ...}}}).
        Keep it readable by its owner only.'
    type: str
requirements:
  - The C(stackling) control library, installed on the controller host in its own venv. Run the
    module there with C(ansible_python_interpreter) set to that venv's Python.
notes:
  - Passwords, secrets and tokens given as options are never logged nor returned. Values the
    module returns on purpose (a token, a new application credential's secret) are not hidden by
    Ansible; set the task keyword C(no_log) to V(true) on such tasks.
"""
