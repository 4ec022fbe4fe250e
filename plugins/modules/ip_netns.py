#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ip_netns
short_description: Create or delete a named network namespace
description:
  - Ensures a named Linux network namespace (a bind mount under C(/run/netns)) exists or not,
    with C(ip netns add) and C(ip netns delete).
  - Other Stackling network modules act inside it through their C(netns) option.
  - Deleting a namespace removes its name; the kernel frees the namespace and its devices once no
    process runs in it any more.
  - This module has no C(netns) option of its own, named namespaces are global to the host.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name of the namespace, as shown by C(ip netns list).
      - "Letters, digits and C(. _ : + -), not starting with C(.) or C(-), at most 64 characters."
    type: str
    required: true
  state:
    description:
      - V(present) creates the namespace when it is missing; V(absent) deletes it when it exists.
    type: str
    choices: [present, absent]
    default: present
requirements:
  - iproute2 (the C(ip) command)
"""

EXAMPLES = r"""
- name: A namespace for the DHCP server of network private
  stackling.cloud.ip_netns:
    name: stk-dhcp-private

- name: Remove it
  stackling.cloud.ip_netns:
    name: stk-dhcp-private
    state: absent
"""

RETURN = r"""
netns:
  description: The namespace after the run (in check mode, as it would be).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the namespace.
      type: str
      sample: stk-dhcp-private
    exists:
      description: Whether the namespace exists.
      type: bool
      sample: true
commands:
  description: The commands run (in check mode, the commands that would run).
  returned: always
  type: list
  elements: str
  sample: ["/usr/sbin/ip netns add stk-dhcp-private"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackling.cloud.plugins.module_utils._diff import change_result
from ansible_collections.stackling.cloud.plugins.module_utils._errors import exit_with_result
from ansible_collections.stackling.cloud.plugins.module_utils._iproute import IpRunner
from ansible_collections.stackling.cloud.plugins.module_utils._netns import validate_netns

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}


def run(module):
    name = validate_netns("name", module.params["name"])
    want = module.params["state"] == "present"
    runner = IpRunner(module, None, netns_field="name")
    exists = name in runner.netns_names()
    if exists != want:
        runner.change(["netns", "add" if want else "delete", name])
    before = {"name": name} if exists else None
    after = {"name": name} if want else None
    return change_result(module, runner.commands, before, after, netns={"name": name, "exists": want})


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    exit_with_result(module, run)


if __name__ == "__main__":
    main()
