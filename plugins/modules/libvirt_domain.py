#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: libvirt_domain
short_description: Manage one libvirt domain (virtual machine) from a desired-state spec
description:
  - Defines, starts, stops, pauses, changes and removes one libvirt domain.
  - Idempotent. The spec is written into the domain's persistent (inactive) definition, and the
    parsed, normalised result is compared with the parsed current definition, never XML text.
    Values libvirt assigns (uuid, MAC addresses and tap names you did not give, PCI addresses,
    controllers, the machine type's full name) are kept and not reported as changes.
  - Top-level options left out are not managed; a new domain gets libvirt's defaults for them.
    O(disks) and O(interfaces), when given, list all of the domain's disks and interfaces.
  - A change to a running domain updates its persistent definition and returns
    RV(restart_required=true) (also on later runs, until the domain was restarted); with
    O(restart=true) the module restarts it (graceful shutdown, then start).
    O(metadata) and O(autostart) changes never need a restart.
  - A domain this run defines is undefined again when a later step (such as starting it) fails.
version_added: 0.1.0
author: Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.libvirt
  - stackling.cloud.check_diff
options:
  name:
    description: "Name of the domain: letters, digits and C(. _ : + -) only, not starting with C(.) or C(-)."
    type: str
    required: true
  state:
    description:
      - V(present) makes sure the domain is defined and leaves it running or not as it is
        (a new domain stays shut off).
      - V(running), V(shutdown) and V(paused) make sure it is defined and in that run state.
        Shutting down asks the guest through ACPI and powers it off after O(shutdown_timeout).
      - V(rebooted) makes sure it is defined and boots it afresh. A running domain is rebooted as
        O(reboot_type) says, a paused or suspended one is woken first, a shut off or crashed one is
        started. Like C(restarted) of M(ansible.builtin.service) it always reports C(changed)
        (check mode too, where nothing is done). A reboot keeps the running definition (and
        RV(restart_required)); with O(restart=true) a pending change is applied by the restart instead.
      - V(absent) powers the domain off and undefines it; its disk files are kept.
    type: str
    choices: [present, running, shutdown, paused, rebooted, absent]
    default: present
  reboot_type:
    description:
      - How O(state=rebooted) reboots a running domain.
      - V(soft) presses the ACPI power button with libvirt's reboot (the guest shuts down and QEMU
        resets it in the same process) and resets the domain if the guest has not reset within
        O(shutdown_timeout) seconds. RV(actions) says V(reboot), or V(reboot) then V(reset).
      - V(hard) resets the domain at once, like its reset button (action V(reset)).
      - The serial console file (O(console_log)) is kept across both; the new boot is appended to it.
    type: str
    choices: [soft, hard]
    default: soft
  virt_type:
    description:
      - V(qemu) (TCG emulation) or V(kvm) (hardware acceleration).
      - A new domain without this option uses V(qemu).
    type: str
    choices: [kvm, qemu]
  vcpus:
    description: Number of virtual CPUs (a new domain gets 1).
    type: int
  memory_mb:
    description: Memory in MiB. Required to define a new domain.
    type: int
  machine:
    description:
      - Machine type such as V(pc) or V(q35). Left out, libvirt chooses.
      - An alias and the full name libvirt expands it to (V(pc-i440fx-7.2)) count as the same.
    type: str
  cpu:
    description: CPU model. Left out, libvirt's default for O(virt_type) applies.
    type: dict
    suboptions:
      mode:
        description: V(host-passthrough) and V(host-model) need O(virt_type=kvm).
        type: str
        choices: [host-passthrough, host-model, custom]
        required: true
      model:
        description: CPU model name for O(cpu.mode=custom), such as V(qemu64).
        type: str
  disks:
    description:
      - All disks of the domain, local files (O(disks[].file)) or network disks
        (O(disks[].protocol), O(disks[].host)). Sorted by target when compared.
    type: list
    elements: dict
    suboptions:
      file:
        description: Absolute path of an image file (or block device) that must exist.
        type: path
      protocol:
        description: Network disk served by QEMU's own client.
        type: str
        choices: [iscsi, nbd]
      host:
        description: Address of the iSCSI target or NBD server.
        type: str
      port:
        description: Port of the network disk (default 3260 for iSCSI, 10809 for NBD).
        type: int
      name:
        description: iSCSI C(IQN/LUN) (required for iSCSI) or NBD export name.
        type: str
      format:
        description: Image format. Give V(qcow2) for qcow2 overlays.
        type: str
        choices: [raw, qcow2]
        default: raw
      device:
        description: V(cdrom) is always read-only (use it for an ISO config drive).
        type: str
        choices: [disk, cdrom]
        default: disk
      bus:
        description: Default V(virtio) for a disk, V(sata) for a cdrom.
        type: str
        choices: [virtio, sata, scsi, ide]
      target:
        description: Guest device name such as V(vda) or V(sda); the first free one for the bus when left out.
        type: str
      readonly:
        description: Attach read-only.
        type: bool
        default: false
  interfaces:
    description: All network interfaces of the domain, in guest order. Give O(interfaces[].bridge) or O(interfaces[].network).
    type: list
    elements: dict
    suboptions:
      bridge:
        description:
          - Existing Linux bridge on the host (in libvirtd's network namespace).
          - libvirt checks it when the domain starts; a missing bridge fails naming this option.
        type: str
      network:
        description: Name of a libvirt network.
        type: str
      mac:
        description: MAC address. Left out, the one libvirt assigned (or assigns) is kept.
        type: str
      model:
        description: NIC model.
        type: str
        default: virtio
      target:
        description: Name of the host tap device (at most 15 characters). Left out, libvirt names it C(vnetN).
        type: str
  boot:
    description: Boot device order.
    type: list
    elements: str
    choices: [hd, cdrom, network, fd]
  kernel:
    description: Kernel file for direct kernel boot. V('') removes direct kernel boot.
    type: path
  initrd:
    description: Initramfs for O(kernel).
    type: path
  cmdline:
    description: Kernel command line for O(kernel), such as V(console=ttyS0).
    type: str
  console_log:
    description:
      - Absolute path of a file that receives the first serial port (the guest's C(ttyS0) console).
      - V('') removes a file-backed serial console.
    type: path
  metadata:
    description:
      - Key/value pairs kept in the domain's C(<metadata>) under the XML namespace
        C(http://stackling.dev/xmlns/domain/1.0), such as C(project_id) or C(instance_id).
      - Keys must be XML element names; values are stored as text. V({}) removes them all.
      - Other applications' metadata is left alone.
    type: dict
  autostart:
    description: Start the domain when libvirtd starts.
    type: bool
  shutdown_timeout:
    description:
      - Seconds to wait for a graceful ACPI shutdown before powering the domain off (0 powers off at once).
      - With O(state=rebooted) and O(reboot_type=soft), seconds to wait for the guest to reboot before
        resetting it (0 resets at once).
    type: int
    default: 60
  restart:
    description:
      - Restart a running or paused domain whose definition changed (or still differs from what runs),
        so the change takes effect. Otherwise the module returns RV(restart_required=true).
    type: bool
    default: false
  xml:
    description:
      - Raw domain XML, an escape hatch for what the spec options cannot express. Cannot be combined with them.
      - The domain is redefined when this text changes (its sha256 is kept in the domain's metadata).
    type: str
"""

EXAMPLES = r"""
- name: A small guest on a qcow2 overlay with a config drive, on a libvirt network
  stackling.cloud.libvirt_domain:
    name: web-1
    state: running
    memory_mb: 256
    vcpus: 1
    disks:
      - file: /var/lib/stackling/instances/web-1/disk.qcow2
        format: qcow2
      - file: /var/lib/stackling/instances/web-1/cidata.img
        readonly: true
    interfaces:
      - network: private
        target: tap-web-1
    console_log: /var/lib/stackling/instances/web-1/console.log
    metadata:
      project_id: 2f1c
      instance_id: 9d3a

- name: More memory, applied by a restart
  stackling.cloud.libvirt_domain:
    name: web-1
    memory_mb: 512
    restart: true

- name: Reboot it through ACPI (reset after two minutes if the guest ignores it)
  stackling.cloud.libvirt_domain:
    name: web-1
    state: rebooted
    shutdown_timeout: 120

- name: Remove it
  stackling.cloud.libvirt_domain:
    name: web-1
    state: absent
"""

RETURN = r"""
domain:
  description:
    - The domain after the run (predicted in check mode), from its running definition when it runs.
    - Keys as in the options, plus name, uuid, state, persistent and autostart.
  returned: success, except when O(state=absent)
  type: dict
  sample:
    name: web-1
    uuid: dc396cd6-3c18-4ed0-9f76-8cd6a98ef6a2
    state: running
    vcpus: 1
    memory_mb: 256
    interfaces: [{network: private, bridge: virbr1, mac: "52:54:00:ce:92:42", model: virtio, target: vnet0}]
    disks: [{file: /var/lib/stackling/instances/web-1/disk.qcow2, format: qcow2, target: vda, bus: virtio}]
    metadata: {project_id: 2f1c}
    autostart: false
actions:
  description: The steps taken (planned in check mode), such as define, start, shutdown, destroy, reboot, reset, undefine.
  returned: always
  type: list
  elements: str
changes:
  description: The spec keys that changed, each with its current and desired value.
  returned: always
  type: list
  elements: dict
restart_required:
  description: The domain runs with an older definition than its persistent one; restart it to apply it.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackling.cloud.plugins.module_utils._diff import build_diff, changes_list
from ansible_collections.stackling.cloud.plugins.module_utils._errors import (
    InvalidInput, StacklingError, fail_from_exception,
)
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt import (
    LIBVIRT_ARG_SPEC, connect, find_domain, require_libvirt,
)
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt_domain_plan import (
    apply_plan, plan_absent, plan_present, predicted_facts,
)
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt_domain import domain_facts
from ansible_collections.stackling.cloud.plugins.module_utils._names import validate_name

_DISK = dict(
    file=dict(type="path"), protocol=dict(type="str", choices=["iscsi", "nbd"]), host=dict(type="str"),
    port=dict(type="int"), name=dict(type="str"), format=dict(type="str", choices=["raw", "qcow2"], default="raw"),
    device=dict(type="str", choices=["disk", "cdrom"], default="disk"),
    bus=dict(type="str", choices=["virtio", "sata", "scsi", "ide"]), target=dict(type="str"),
    readonly=dict(type="bool", default=False),
)
_INTERFACE = dict(
    bridge=dict(type="str"), network=dict(type="str"), mac=dict(type="str"),
    model=dict(type="str", default="virtio"), target=dict(type="str"),
)
SPEC_OPTIONS = ("virt_type", "vcpus", "memory_mb", "machine", "cpu", "disks", "interfaces", "boot", "kernel",
                "initrd", "cmdline", "console_log", "metadata")
ARGUMENT_SPEC = dict(
    LIBVIRT_ARG_SPEC,
    name=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "running", "shutdown", "paused", "rebooted", "absent"]),
    reboot_type=dict(type="str", default="soft", choices=["soft", "hard"]),
    virt_type=dict(type="str", choices=["kvm", "qemu"]),
    vcpus=dict(type="int"),
    memory_mb=dict(type="int"),
    machine=dict(type="str"),
    cpu=dict(type="dict", options=dict(
        mode=dict(type="str", required=True, choices=["host-passthrough", "host-model", "custom"]),
        model=dict(type="str"),
    )),
    disks=dict(type="list", elements="dict", options=_DISK),
    interfaces=dict(type="list", elements="dict", options=_INTERFACE),
    boot=dict(type="list", elements="str", choices=["hd", "cdrom", "network", "fd"]),
    kernel=dict(type="path"),
    initrd=dict(type="path"),
    cmdline=dict(type="str"),
    console_log=dict(type="path"),
    metadata=dict(type="dict"),
    autostart=dict(type="bool"),
    shutdown_timeout=dict(type="int", default=60),
    restart=dict(type="bool", default=False),
    xml=dict(type="str"),
)


def result_of(module, plan, facts):
    result = dict(changed=bool(plan["actions"]), actions=plan["actions"], restart_required=plan["restart_required"],
                  changes=changes_list(plan["before"], plan["after"], plan["keys"]))
    if module._diff:
        shown = dict((key, plan["after"][key]) for key in plan["keys"])
        result["diff"] = build_diff(plan["before"], shown, plan["keys"])
    if facts is not None:
        result["domain"] = facts
    return result


def run(module, conn):
    params = module.params
    dom = find_domain(conn, params["name"])
    if params["state"] == "absent":
        plan = plan_absent(dom)
    else:
        plan = plan_present(conn, dom, params)
    if module.check_mode or not plan["actions"]:
        facts = predicted_facts(dom, plan) if params["state"] != "absent" else None
        return result_of(module, plan, facts)
    dom = apply_plan(conn, dom, plan, params)
    return result_of(module, plan, domain_facts(dom) if dom is not None else None)


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        mutually_exclusive=[("xml", option) for option in SPEC_OPTIONS],
    )
    require_libvirt(module)
    try:
        validate_name("name", module.params["name"])
        if module.params["shutdown_timeout"] < 0:
            raise InvalidInput("shutdown_timeout", "must be 0 or more seconds")
        conn = connect(module.params["uri"], events=module.params["state"] == "rebooted")
        try:
            result = run(module, conn)
        finally:
            conn.close()
    except StacklingError as exc:
        fail_from_exception(module, exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
