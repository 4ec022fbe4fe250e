#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: libvirt_domain_info
short_description: Facts about libvirt domains (virtual machines)
description:
  - Returns the spec (as M(stackling.cloud.libvirt_domain) takes it), uuid, run state and autostart
    flag of one domain or of all domains.
  - A running domain is described by its running definition, so the MAC addresses and tap devices
    libvirt assigned show; a stopped one by its persistent definition.
  - With O(console_output_bytes), also the end of each domain's serial console file.
version_added: 0.1.0
author: Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.libvirt
attributes:
  check_mode:
    description: Only reads; runs the same in check mode.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
options:
  name:
    description: Name of the domain. Left out, all domains are listed.
    type: str
  console_output_bytes:
    description:
      - Return RV(domains[].console_output), the last this many bytes of the domain's
        C(console_log) file. V(0) (the default) reads nothing.
    type: int
    default: 0
"""

EXAMPLES = r"""
- name: One domain
  stackling.cloud.libvirt_domain_info:
    name: web-1
  register: web

- name: Tap device of its first interface
  ansible.builtin.debug:
    msg: "{{ web.domains[0].interfaces[0].target }}"

- name: All domains
  stackling.cloud.libvirt_domain_info:
  register: all_domains

- name: The last 10 KiB of a guest's serial console
  stackling.cloud.libvirt_domain_info:
    name: web-1
    console_output_bytes: 10240
  register: web_console
"""

RETURN = r"""
domains:
  description: One entry per domain, sorted by name; empty when O(name) does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Domain name.
      type: str
    uuid:
      description: Domain uuid.
      type: str
    state:
      description: V(running), V(paused), V(shutdown), V(crashed) or V(pmsuspended).
      type: str
    persistent:
      description: Whether the domain has a persistent definition.
      type: bool
    autostart:
      description: Whether libvirtd starts it when it starts.
      type: bool
    virt_type:
      description: V(qemu) or V(kvm).
      type: str
    vcpus:
      description: Number of virtual CPUs.
      type: int
    memory_mb:
      description: Memory in MiB.
      type: int
    machine:
      description: Machine type, as libvirt expanded it.
      type: str
    cpu:
      description: CPU C(mode) and C(model).
      type: dict
    disks:
      description: Disks sorted by target, with C(file) or C(protocol)/C(host)/C(port)/C(name),
        C(format), C(device), C(bus), C(target) and C(readonly).
      type: list
      elements: dict
    interfaces:
      description: Interfaces in guest order, with C(bridge) (for a network, its bridge while running),
        C(network), C(mac), C(model) and C(target) (the tap device).
      type: list
      elements: dict
    boot:
      description: Boot device order.
      type: list
      elements: str
    kernel:
      description: Direct-boot kernel, or empty.
      type: str
    initrd:
      description: Direct-boot initramfs, or empty.
      type: str
    cmdline:
      description: Direct-boot kernel command line, or empty.
      type: str
    console_log:
      description: File receiving the serial console, or empty.
      type: str
    metadata:
      description: Stackling metadata key/value pairs.
      type: dict
    console_output:
      description:
        - The end of the C(console_log) file (at most O(console_output_bytes) bytes), as text (bytes
          that are not UTF-8 become U+FFFD); empty when the domain has no console file or it was not
          written yet.
      type: str
      returned: when O(console_output_bytes) is above 0
  sample:
    - name: web-1
      uuid: dc396cd6-3c18-4ed0-9f76-8cd6a98ef6a2
      state: running
      vcpus: 1
      memory_mb: 256
      interfaces: [{network: private, bridge: virbr1, mac: "52:54:00:ce:92:42", model: virtio, target: vnet0}]
      metadata: {project_id: 2f1c}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackling.cloud.plugins.module_utils._errors import (
    InvalidInput, StacklingError, fail_from_exception,
)
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt import (
    LIBVIRT_ARG_SPEC, call, connect, find_domain, require_libvirt,
)
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt_domain import console_tail, domain_facts

ARGUMENT_SPEC = dict(LIBVIRT_ARG_SPEC, name=dict(type="str"), console_output_bytes=dict(type="int", default=0))


def list_domains(conn, name):
    if name is not None:
        dom = find_domain(conn, name)
        return [] if dom is None else [dom]
    return call("listing domains", conn.listAllDomains, 0)


def gather(conn, name, console_bytes=0):
    """Facts of the named domain or of all; a domain that vanishes while being read is skipped."""
    facts = []
    for dom in list_domains(conn, name):
        try:
            entry = domain_facts(dom)
            if console_bytes > 0:
                entry["console_output"] = console_tail(entry["console_log"], console_bytes)
            facts.append(entry)
        except StacklingError:
            if find_domain(conn, dom.name()) is not None:
                raise
    return sorted(facts, key=lambda entry: entry["name"])


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    require_libvirt(module)
    try:
        if module.params["console_output_bytes"] < 0:
            raise InvalidInput("console_output_bytes", "must be 0 or more bytes")
        conn = connect(module.params["uri"])
        try:
            domains = gather(conn, module.params["name"], module.params["console_output_bytes"])
        finally:
            conn.close()
    except StacklingError as exc:
        fail_from_exception(module, exc)
    module.exit_json(changed=False, domains=domains)


if __name__ == "__main__":
    main()
