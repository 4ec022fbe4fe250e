#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: libvirt_disk
short_description: Hot-plug one disk into a libvirt domain, or unplug it
description:
  - Ensures the virtio disk O(target) of domain O(domain) is attached (to the running domain and
    to its persistent definition) with the given source, or is not attached.
  - The source is a local file or block device (O(path)) or an iSCSI LUN that QEMU's own iSCSI
    client opens (O(protocol=iscsi), O(host), O(name)); no kernel initiator is involved.
  - A target holding another source fails (unplug it first with O(state=absent)); disks are
    never swapped silently.
  - Unplugging from a running domain waits until the guest released the device (PCI hot-unplug);
    after O(detach_timeout) seconds the module fails, the definition no longer holding the disk.
version_added: 0.1.0
author: Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.libvirt
  - stackling.cloud.check_diff
options:
  domain:
    description: Name of the domain.
    type: str
    required: true
  target:
    description: Guest disk name on the virtio bus, such as V(vdc).
    type: str
    required: true
  state:
    description: V(present) attaches the disk, V(absent) detaches it.
    type: str
    choices: [present, absent]
    default: present
  path:
    description: A regular file or block device on this host (for O(state=present) without O(protocol)).
    type: path
  protocol:
    description: V(iscsi) attaches a LUN through QEMU's iSCSI client.
    type: str
    choices: [iscsi]
  host:
    description: Address of the iSCSI portal.
    type: str
  port:
    description: Port of the iSCSI portal.
    type: int
    default: 3260
  name:
    description: The LUN as C(IQN/LUN), such as C(iqn.2024-01.org.stackling:volume-1/1).
    type: str
  initiator:
    description: Initiator name QEMU logs in with (so a name-based ACL on the target admits it).
    type: str
  format:
    description: Image format of the source.
    type: str
    choices: [raw, qcow2]
    default: raw
  serial:
    description: Serial the guest sees (cut to 20 characters), e.g. the volume id.
    type: str
  readonly:
    description: Attach read-only.
    type: bool
    default: false
  detach_timeout:
    description: Seconds to wait for the guest to release the disk when it is detached.
    type: int
    default: 60
"""

EXAMPLES = r"""
- name: Volume 1 as vdc, on an all-in-one
  stackling.cloud.libvirt_disk:
    domain: instance-0f6c
    target: vdc
    path: /dev/stackling-volumes/volume-1
    serial: volume-1

- name: Volume 1 as vdc, over iSCSI from the storage host
  stackling.cloud.libvirt_disk:
    domain: instance-0f6c
    target: vdc
    protocol: iscsi
    host: 192.0.2.10
    name: iqn.2024-01.org.stackling:volume-1/1
    initiator: iqn.2024-01.org.stackling:compute-compute1

- name: Unplug it
  stackling.cloud.libvirt_disk:
    domain: instance-0f6c
    target: vdc
    state: absent
"""

RETURN = r"""
disk:
  description: The disk's source where it is attached now (null where it is not).
  returned: always
  type: dict
  contains:
    live:
      description: Source in the running domain (null when the domain is not running).
      type: dict
    config:
      description: Source in the persistent definition.
      type: dict
  sample: {"live": {"file": "/var/lib/stackling/volumes/volume-1.img"}, "config": {"file": "/var/lib/stackling/volumes/volume-1.img"}}
actions:
  description: What was done (or would be, in check mode), e.g. V(attach live), V(detach config).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackling.cloud.plugins.module_utils._diff import build_diff
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, exit_with_result
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt import (
    LIBVIRT_ARG_SPEC, call, connect, find_domain, require_libvirt,
)
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt_disk import (
    AFFECT_CONFIG, AFFECT_LIVE, attach, build_disk, detach, disk_source, locations,
)

ARGUMENT_SPEC = dict(
    LIBVIRT_ARG_SPEC,
    domain=dict(type="str", required=True),
    target=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    path=dict(type="path"),
    protocol=dict(type="str", choices=["iscsi"]),
    host=dict(type="str"),
    port=dict(type="int", default=3260),
    name=dict(type="str"),
    initiator=dict(type="str"),
    format=dict(type="str", default="raw", choices=["raw", "qcow2"]),
    serial=dict(type="str"),
    readonly=dict(type="bool", default=False),
    detach_timeout=dict(type="int", default=60),
)


def plan(dom, params, where):
    """The actions (``attach live``, ``attach config``, ``detach ...``) and the wanted source."""
    running = bool(call("reading the state of domain %s" % params["domain"], dom.isActive))
    places = ["live", "config"] if running else ["config"]
    if params["state"] == "absent":
        return ["detach %s" % p for p in places if where[p] is not None], None
    wanted = disk_source(params)
    for place in places:
        if where[place] is not None and where[place] != wanted:
            raise InvalidInput("target", "%s of domain %s holds %s (%s), not the source asked for: detach it "
                                         "first (state=absent)" % (params["target"], params["domain"],
                                                                   where[place], place))
    return ["attach %s" % p for p in places if where[p] is None], wanted


def run(module):
    params = module.params
    if not params["target"].startswith("vd") or not params["target"][2:].isalpha():
        raise InvalidInput("target", "%r is not a virtio disk name such as vdc" % params["target"])
    conn = connect(params["uri"])
    try:
        dom = find_domain(conn, params["domain"])
        if dom is None:
            if params["state"] == "absent":
                return dict(changed=False, actions=[], disk={"live": None, "config": None})
            raise InvalidInput("domain", "no domain named %s" % params["domain"])
        before = locations(dom, params["target"])
        actions, wanted = plan(dom, params, before)
        after = dict(before)
        for action in actions:  # what check mode reports
            verb, place = action.split()
            after[place] = wanted if verb == "attach" else None
        if actions and not module.check_mode:
            carry_out(dom, params, actions, wanted)
            after = locations(dom, params["target"])
        result = dict(changed=bool(actions), actions=actions, disk=after)
        if module._diff:
            result["diff"] = build_diff(before, after)
        return result
    finally:
        conn.close()


def carry_out(dom, params, actions, wanted):
    flags = (AFFECT_LIVE if any(a.endswith("live") for a in actions) else 0) | \
        (AFFECT_CONFIG if any(a.endswith("config") for a in actions) else 0)
    if params["state"] == "present":
        attach(dom, build_disk(params, wanted), flags)
    else:
        detach(dom, params["target"], flags, params["detach_timeout"])


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           required_if=[("protocol", "iscsi", ("host", "name"))],
                           mutually_exclusive=[("path", "protocol")])
    require_libvirt(module)
    exit_with_result(module, run)


if __name__ == "__main__":
    main()
