#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ip_link
short_description: Manage a network link (bridge, veth, vxlan, vlan, tap, dummy)
description:
  - Creates, changes or deletes one network device with iproute2, optionally inside a network namespace.
  - Attributes the kernel can change on a live link (O(mtu), O(address), O(master), O(admin_state),
    O(alias), O(vxlan.local), O(vxlan.remote), O(vxlan.learning)) are changed in place.
  - Any other difference (O(kind), O(veth.peer), O(veth.peer_netns), O(vxlan.id), O(vxlan.dstport),
    O(vxlan.dev), O(vlan.id), O(vlan.parent)) needs the link to be deleted and created again. The module
    then fails naming the field, unless O(recreate=true).
  - Options left out are not managed, with one exception; the sub-options of O(veth), O(vxlan) and
    O(vlan) describe the whole kind-specific configuration, so an omitted O(vxlan.remote) means no remote.
  - If a step after creating a new link fails, the link is deleted again, so nothing half-made is left.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.check_diff
  - stackling.cloud.netns
options:
  name:
    description: Interface name, at most 15 characters, without C(/), C(:) or whitespace.
    type: str
    required: true
  state:
    description: V(present) creates or updates the link; V(absent) deletes it (a veth with its peer).
    type: str
    choices: [present, absent]
    default: present
  kind:
    description:
      - Type of the link. Required to create one.
      - Leave it out to manage attributes of an existing link of any kind, for example to bring C(lo) up.
      - With O(state=absent), a link of another kind is not deleted and the module fails.
      - V(vlan) needs the kernel's 8021q support; V(dummy) needs the dummy driver.
    type: str
    choices: [bridge, veth, vxlan, vlan, tap, dummy]
  mtu:
    description: MTU in bytes.
    type: int
  address:
    description: MAC address, for example C(02:00:0a:e9:00:01).
    type: str
  master:
    description:
      - Name of the bridge (or other master device) this link is a port of.
      - The empty string detaches the link from its master.
    type: str
  admin_state:
    description:
      - Administrative state, the C(UP) flag set by C(ip link set up|down).
      - This is not the operational state (carrier), which the module returns as RV(link.operstate).
      - Left out, a new link stays down.
    type: str
    choices: [up, down]
  alias:
    description: Free-text alias of the link (C(ifalias)); the empty string removes it.
    type: str
  veth:
    description: Configuration of a V(veth) pair; required with O(kind=veth).
    type: dict
    suboptions:
      peer:
        description: Interface name of the other end.
        type: str
        required: true
      peer_netns:
        description:
          - Named network namespace of the other end. Defaults to the namespace of the link (O(netns)).
          - When the peer's namespace has no name, the peer cannot be identified and is not compared.
        type: str
  vxlan:
    description: Configuration of a V(vxlan) link; required with O(kind=vxlan).
    type: dict
    suboptions:
      id:
        description: VXLAN network identifier (VNI), 1 to 16777215.
        type: int
        required: true
      local:
        description: Source IP address of the tunnel (this host's VTEP address). Left out, none.
        type: str
      remote:
        description:
          - Unicast IP address of the default remote VTEP. Left out, none.
          - To reach several VTEPs without multicast, leave it out and add all-zeros FDB entries
            with M(stackling.cloud.bridge_fdb).
        type: str
      dstport:
        description: UDP destination port.
        type: int
        default: 4789
      dev:
        description: Underlay device the tunnel's packets leave through.
        type: str
      learning:
        description: Whether the device learns remote MAC addresses from received packets.
        type: bool
        default: true
  vlan:
    description: Configuration of a V(vlan) link; required with O(kind=vlan).
    type: dict
    suboptions:
      id:
        description: VLAN id, 1 to 4094.
        type: int
        required: true
      parent:
        description: The device carrying the tagged frames.
        type: str
        required: true
  recreate:
    description:
      - Delete and re-create the link when a field that cannot change in place differs.
      - Re-creating drops the link's addresses, routes and FDB entries, and deletes a veth's peer.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: A bridge for tenant network 42, up
  stackling.cloud.ip_link:
    name: brq42
    kind: bridge
    mtu: 1450
    admin_state: up

- name: The VXLAN endpoint of network 42, enslaved to the bridge, flooding through static FDB entries
  stackling.cloud.ip_link:
    name: vxlan-42
    kind: vxlan
    vxlan:
      id: 42
      local: 192.0.2.10
      dev: eth1
      learning: false
    master: brq42
    admin_state: up

- name: A veth pair from the host into the DHCP namespace of network 42
  stackling.cloud.ip_link:
    name: tap42-dhcp
    kind: veth
    veth:
      peer: ns-dhcp
      peer_netns: stk-dhcp-42
    master: brq42
    admin_state: up

- name: Loopback up inside a router namespace
  stackling.cloud.ip_link:
    name: lo
    netns: stk-router-7
    admin_state: up
"""

RETURN = r"""
link:
  description: Facts of the link after the run (in check mode, as they would be); null when absent.
  returned: always
  type: dict
  sample:
    name: vxlan-42
    ifindex: 7
    kind: vxlan
    mtu: 1450
    address: "5a:1c:3e:00:42:01"
    master: brq42
    admin_state: up
    operstate: unknown
    alias: ""
    netns: null
    vxlan: {id: 42, local: 192.0.2.10, remote: null, dstport: 4789, dev: eth1, learning: false}
  contains:
    name:
      description: "Interface name."
      type: str
    ifindex:
      description: "Interface index, null in check mode for a new link."
      type: int
    kind:
      description: "Link kind; null for physical or loopback devices, C(tun) for a tun device."
      type: str
    mtu:
      description: "MTU in bytes."
      type: int
    address:
      description: "MAC address."
      type: str
    master:
      description: "The master device, or the empty string."
      type: str
    admin_state:
      description: "C(up) or C(down)."
      type: str
    operstate:
      description: "Operational state reported by the kernel (C(up), C(down), C(unknown), ...)."
      type: str
    alias:
      description: "The alias, or the empty string."
      type: str
    netns:
      description: "The namespace the link is in (the O(netns) option)."
      type: str
    veth:
      description: "For a veth: C(peer) and C(peer_netns), when the peer could be identified."
      type: dict
      returned: kind is veth
    vxlan:
      description: "For a vxlan: C(id), C(local), C(remote), C(dstport), C(dev), C(learning)."
      type: dict
      returned: kind is vxlan
    vlan:
      description: "For a vlan: C(id) and C(parent)."
      type: dict
      returned: kind is vlan
changes:
  description: The fields that differed, as C(name), C(current) and C(desired).
  returned: always
  type: list
  elements: dict
  sample: [{name: mtu, current: 1500, desired: 1450}]
commands:
  description: The commands run (in check mode, the commands that would run).
  returned: always
  type: list
  elements: str
  sample: ["/usr/sbin/ip link set dev brq42 mtu 1450"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackling.cloud.plugins.module_utils._diff import change_result, changes_list
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, StacklingError, exit_with_result
from ansible_collections.stackling.cloud.plugins.module_utils import _iplink
from ansible_collections.stackling.cloud.plugins.module_utils._iproute import IpRunner, UnsupportedKind, where
from ansible_collections.stackling.cloud.plugins.module_utils._netns import NETNS_ARG_SPEC, netns_option
from ansible_collections.stackling.cloud.plugins.module_utils._netvalues import validate_ifname

ARGUMENT_SPEC = dict(
    NETNS_ARG_SPEC,
    name={"type": "str", "required": True},
    state={"type": "str", "choices": ["present", "absent"], "default": "present"},
    kind={"type": "str", "choices": list(_iplink.KINDS)},
    mtu={"type": "int"},
    address={"type": "str"},
    master={"type": "str"},
    admin_state={"type": "str", "choices": ["up", "down"]},
    alias={"type": "str"},
    veth={"type": "dict", "options": {"peer": {"type": "str", "required": True}, "peer_netns": {"type": "str"}}},
    vxlan={"type": "dict", "options": {
        "id": {"type": "int", "required": True},
        "local": {"type": "str"},
        "remote": {"type": "str"},
        "dstport": {"type": "int", "default": _iplink.VXLAN_DEFAULT_PORT},
        "dev": {"type": "str"},
        "learning": {"type": "bool", "default": True},
    }},
    vlan={"type": "dict", "options": {"id": {"type": "int", "required": True}, "parent": {"type": "str", "required": True}}},
    recreate={"type": "bool", "default": False},
)
REQUIRED_IF = [("kind", "veth", ["veth"]), ("kind", "vxlan", ["vxlan"]), ("kind", "vlan", ["vlan"])]


def create(runner, name, desired, current=None):
    """Add the link and set its attributes; delete it again if a later step fails."""
    if desired["kind"] == "veth":
        _iplink.check_peer(runner, desired, current)
    commands = _iplink.create_commands(name, desired, runner.netns)
    try:
        runner.change(commands[0])
    except UnsupportedKind as exc:
        raise StacklingError("kind: the kernel cannot create links of kind %r here (%s)%s" % (
            desired["kind"], exc.details["stderr"].strip(), " - is the 8021q module loaded?" if desired["kind"] == "vlan" else ""),
            **exc.details)
    try:
        for command in commands[1:]:
            runner.change(command)
    except StacklingError:
        runner.change(["link", "delete", "dev", name])
        raise


def refuse_rebuild(name, current, desired, keys):
    details = ", ".join("%s (%r -> %r)" % (key, current.get(key), desired[key]) for key in keys)
    raise InvalidInput(
        keys[0],
        "cannot be changed on the existing link %r: %s need re-creation; set recreate: true to delete "
        "and re-create it (its addresses, routes and FDB entries are lost)" % (name, details),
        fields=keys,
    )


def present(module, runner, name, current, desired):
    if current is None:
        if "kind" not in desired:
            raise InvalidInput("kind", "is required to create %r, which does not exist in %s" % (name, where(runner.netns)))
        _iplink.check_references(runner, desired)
        create(runner, name, desired)
        return sorted(key for key in desired if desired[key] is not None)
    keys = _iplink.differences(current, desired)
    rebuild = [key for key in keys if key not in _iplink.IN_PLACE]
    if rebuild and not module.params["recreate"]:
        refuse_rebuild(name, current, desired, rebuild)
    if keys:
        _iplink.check_references(runner, desired)
    if rebuild:
        runner.change(["link", "delete", "dev", name])
        create(runner, name, desired, current)
    else:
        for command in _iplink.update_commands(name, current, desired, keys):
            runner.change(command)
    return keys


def absent(module, runner, name, current):
    if current is None:
        return []
    kind = module.params["kind"]
    if kind and current["kind"] != kind:
        raise InvalidInput("kind", "%r is a %s link, not %s; not deleting it" % (name, current["kind"], kind))
    runner.change(["link", "delete", "dev", name])
    return ["name"]


def outcome(module, runner, name, current):
    """Apply the state; return (changed keys, diff before, diff after, desired or None)."""
    if module.params["state"] == "absent":
        keys = absent(module, runner, name, current)
        return keys, current and {"name": name, "kind": current["kind"]}, None, None
    desired = _iplink.desired_link(module.params)
    keys = present(module, runner, name, current, desired)
    desired = dict(desired, name=name)
    if current is None:
        return keys, None, dict(((key, desired[key]) for key in keys), name=name), desired
    return keys, dict((key, current[key]) for key in keys), dict((key, desired[key]) for key in keys), desired


def run(module):
    name = validate_ifname("name", module.params["name"])
    netns = netns_option(module.params)
    runner = IpRunner(module, netns)
    current = _iplink.read_link(runner, name)
    keys, before, after, desired = outcome(module, runner, name, current)
    final = current
    if desired is None:
        final = None
    elif keys:
        final = _iplink.predicted(current, desired, name) if module.check_mode else _iplink.read_link(runner, name)
    return change_result(module, runner.commands, before, after, keys if before and after else None, changed=bool(keys),
                         link=final and dict(_iplink.nest(final), netns=netns),
                         changes=changes_list(before, after or {}, keys) if keys else [])


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF, supports_check_mode=True)
    exit_with_result(module, run)


if __name__ == "__main__":
    main()
