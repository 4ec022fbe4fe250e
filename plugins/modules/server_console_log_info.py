#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_console_log_info
short_description: Show what a Stackling server printed on its serial console
description:
  - Returns the console output of the server O(name), like C(openstack console log show [--lines N]),
    that is the end of its serial console (at most the last 100 KiB), or its last O(lines) lines.
  - The text is read on the server's compute host, as the guest wrote it (C(\r\n) line ends and
    terminal escape sequences included; bytes that are not UTF-8 become U+FFFD). It is empty before
    the guest printed anything. A reboot keeps what the earlier boot printed; starting a
    C(SHUTOFF) server starts a new console.
  - Policy C(compute:get_console_output), by default the members of the server's project and cloud
    admins (not readers, since a guest may print secrets). A server of another project is not found.
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
      - Name or id of the server.
    type: str
    required: true
  lines:
    description:
      - Return only the last this many lines (V(0) returns nothing). Left out, all of it.
    type: int
"""

EXAMPLES = r"""
- name: The last lines the guest printed
  stackling.cloud.server_console_log_info:
    cloud: web-member
    name: web-1
    lines: 20
  register: console

- name: Show them
  ansible.builtin.debug:
    msg: "{{ console.console_log.splitlines() }}"
"""

RETURN = r"""
console_log:
  description: The console output, as text.
  returned: always
  type: str
  sample: "STACKLING-GUEST-READY hostname=web-1 ip=10.0.0.3/24\r\n"
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "lines": {"type": "int"},
}


def run(module, cloud):
    # the library checks lines (a ValidationError naming it)
    text = cloud.controller.servers.console_log(cloud.ctx, module.params["name"], lines=module.params["lines"])
    return {"changed": False, "console_log": text}


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
