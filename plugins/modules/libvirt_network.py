#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: libvirt_network
short_description: Manage one libvirt virtual network
description:
  - Defines, starts, stops, changes and removes one libvirt network (a bridge with optional NAT
    or routing, an IPv4 subnet, and dnsmasq DHCP with a range and static hosts).
  - Idempotent. The wanted settings are compared with the network's parsed, normalised definition
    (static hosts in any order; the uuid and the bridge MAC libvirt assigned are ignored), never
    with XML text.
  - Top-level options left out are not managed; a network created without them gets libvirt's
    defaults. The O(ipv4) and O(bridge) options, when given, describe their part in full.
  - On a running network, a change of the static DHCP hosts alone is applied live, without a
    restart. Any other change updates the persistent definition only and returns
    RV(restart_required=true); the running network picks it up when it is restarted, which the
    module does only when O(restart=true).
version_added: 0.1.0
author: Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.libvirt
  - stackling.cloud.check_diff
options:
  name:
    description: "Name of the network: letters, digits and C(. _ : + -) only."
    type: str
    required: true
  state:
    description:
      - V(present) makes sure the network is defined and leaves it running or stopped as it is
        (a new network is defined, not started).
      - V(active) makes sure it is defined and running; V(inactive) defined and stopped.
      - V(absent) stops and undefines it.
    type: str
    choices: [present, active, inactive, absent]
    default: present
  forward:
    description:
      - How traffic leaves the network. V(nat) masquerades, V(route) routes without NAT,
        V(none) is an isolated network.
      - V(bridge) attaches guests to an existing host bridge named by O(bridge.name), which must
        exist where libvirtd runs; O(ipv4), O(domain), O(mtu), O(bridge.stp) and O(bridge.delay)
        cannot be used with it.
      - A new network without this option is isolated.
    type: str
    choices: [nat, route, bridge, none]
  bridge:
    description: The network's Linux bridge.
    type: dict
    suboptions:
      name:
        description:
          - Bridge device name (at most 15 characters). Left out, libvirt picks one (C(virbrN)).
          - With O(forward=bridge), the existing host bridge to use.
        type: str
      stp:
        description: Spanning tree protocol on the bridge; V(true) when left out but O(bridge) or O(forward) given.
        type: bool
      delay:
        description: Bridge forwarding delay in seconds; V(0) when left out but O(bridge) or O(forward) given.
        type: int
  mtu:
    description: MTU of the bridge, also announced to DHCP clients.
    type: int
  domain:
    description: DNS domain that dnsmasq serves for the network's hosts.
    type: str
  ipv4:
    description:
      - The network's IPv4 subnet and its DHCP service. Given, it replaces the network's IPv4
        settings as a whole (a left-out O(ipv4.dhcp_range) or O(ipv4.hosts) means none).
    type: dict
    suboptions:
      address:
        description: The host's address on the network with its prefix, such as C(10.0.0.1/24).
        type: str
        required: true
      dhcp_range:
        description:
          - Addresses dnsmasq hands out; both ends inside the subnet, O(ipv4.dhcp_range.start)
            not after O(ipv4.dhcp_range.end), not including O(ipv4.address).
        type: dict
        suboptions:
          start:
            description: First address of the range.
            type: str
            required: true
          end:
            description: Last address of the range.
            type: str
            required: true
      hosts:
        description:
          - Static DHCP hosts, in any order. Each needs O(ipv4.hosts[].ip) and a
            O(ipv4.hosts[].mac), a O(ipv4.hosts[].name) or both.
        type: list
        elements: dict
        suboptions:
          mac:
            description: MAC address of the guest interface.
            type: str
          ip:
            description: Address the host gets; inside the subnet.
            type: str
            required: true
          name:
            description: Host name (one DNS label).
            type: str
  autostart:
    description: Whether libvirtd starts the network when it starts. Left out, it is not changed.
    type: bool
  restart:
    description:
      - Restart a running network whose running configuration differs from its definition, so
        that changes other than static hosts take effect. Guests on it lose connectivity briefly.
      - Without it such a network is left running as it is and RV(restart_required) is V(true).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: A NAT network with DHCP and two static hosts, running and started at boot
  stackling.cloud.libvirt_network:
    name: private
    state: active
    autostart: true
    forward: nat
    bridge: {name: stk-private}
    domain: private.cloud
    ipv4:
      address: 10.20.0.1/24
      dhcp_range: {start: 10.20.0.100, end: 10.20.0.200}
      hosts:
        - {mac: "52:54:00:00:00:11", ip: 10.20.0.11, name: web1}
        - {mac: "52:54:00:00:00:12", ip: 10.20.0.12, name: db1}

- name: Change the MTU and restart the running network to apply it
  stackling.cloud.libvirt_network:
    name: private
    mtu: 1450
    restart: true

- name: Guests on an existing host bridge
  stackling.cloud.libvirt_network:
    name: provider
    state: active
    forward: bridge
    bridge: {name: br0}

- name: Remove a network
  stackling.cloud.libvirt_network:
    name: private
    state: absent
"""

RETURN = r"""
network:
  description: The network after the run (predicted in check mode), from its definition.
  returned: always
  type: dict
  contains:
    name: {description: Network name., type: str, returned: always, sample: private}
    uuid: {description: "libvirt uuid; null when absent or not yet created.", type: str, returned: always}
    state: {description: "V(active), V(inactive) or V(absent).", type: str, returned: always, sample: active}
    active: {description: Whether the network is running., type: bool, returned: always}
    autostart: {description: Whether libvirtd starts it at boot., type: bool, returned: always}
    persistent: {description: Whether it has a persistent definition., type: bool, returned: always}
    forward: {description: "Forward mode: V(nat), V(route), V(bridge) or V(none).", type: str, returned: always}
    bridge: {description: Bridge device name., type: str, returned: always, sample: virbr1}
    stp: {description: Spanning tree on the bridge., type: bool, returned: always}
    delay: {description: Bridge forwarding delay in seconds., type: int, returned: always}
    mtu: {description: "MTU; null for libvirt's default.", type: int, returned: always}
    domain: {description: DNS domain., type: str, returned: always}
    ipv4: {description: Address/prefix of the host on the network., type: str, returned: always, sample: 10.20.0.1/24}
    dhcp_range:
      description: The DHCP range as C({start, end}), or null.
      type: dict
      returned: always
      sample: {start: 10.20.0.100, end: 10.20.0.200}
    hosts:
      description: Static DHCP hosts, sorted by address; each has C(ip) and C(mac) and/or C(name).
      type: list
      elements: dict
      returned: always
      sample: [{ip: 10.20.0.11, mac: "52:54:00:00:00:11", name: web1}]
restart_required:
  description: The running network differs from its definition and was not restarted (see O(restart)).
  returned: always
  type: bool
changes:
  description: The changed settings as C({name, current, desired}).
  returned: always
  type: list
  elements: dict
  sample: [{name: mtu, current: null, desired: 1450}]
actions:
  description: The libvirt operations run (planned, in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["define", "start", "autostart on"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackling.cloud.plugins.module_utils._diff import build_diff, changes_list
from ansible_collections.stackling.cloud.plugins.module_utils._errors import StacklingError, exit_with_result
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt import (
    LIBVIRT_ARG_SPEC, call, connect, find_network, require_libvirt,
)
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt_network import (
    SPEC_KEYS, apply_spec, complete_spec, current_facts, desired_spec, facts, host_changes, parse_spec,
    read_network, require_feasible, update_hosts_live,
)
from ansible_collections.stackling.cloud.plugins.module_utils._names import validate_name

_HOST = dict(mac=dict(type="str"), ip=dict(type="str", required=True), name=dict(type="str"))
_RANGE = dict(start=dict(type="str", required=True), end=dict(type="str", required=True))
ARGUMENT_SPEC = dict(
    LIBVIRT_ARG_SPEC,
    name=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "active", "inactive", "absent"]),
    forward=dict(type="str", choices=["nat", "route", "bridge", "none"]),
    bridge=dict(type="dict", options=dict(name=dict(type="str"), stp=dict(type="bool"), delay=dict(type="int"))),
    mtu=dict(type="int"),
    domain=dict(type="str"),
    ipv4=dict(type="dict", options=dict(
        address=dict(type="str", required=True),
        dhcp_range=dict(type="dict", options=_RANGE),
        hosts=dict(type="list", elements="dict", options=_HOST),
    )),
    autostart=dict(type="bool"),
    restart=dict(type="bool", default=False),
)
VIEW_KEYS = ("state", "autostart") + SPEC_KEYS


def live_hosts_possible(current, before, after):
    """Static hosts change live when the running network already serves DHCP on the same subnet."""
    live = current["live"]
    return (live is not None and live["ipv4"] is not None and bool(live["dhcp_range"] or live["hosts"])
            and live["ipv4"] == before["ipv4"] == after["ipv4"] and before["dhcp_range"] == after["dhcp_range"]
            and live["hosts"] == before["hosts"])


def plan_changes(name, current, spec, params):
    """The new definition, its spec, the changed keys and whether static hosts change live."""
    was_active = bool(current and current["active"])
    want_active = {"active": True, "inactive": False}.get(params["state"], was_active)
    before = parse_spec(current["xml"]) if current else None
    xml = apply_spec(current and current["xml"], name, spec)
    after = parse_spec(xml)
    keys = [key for key in SPEC_KEYS if before is None or before[key] != after[key]]
    live = was_active and want_active and "hosts" in keys and live_hosts_possible(current, before, after)
    return dict(xml=xml, after=after, create=current is None, was_active=was_active, want_active=want_active,
                live_hosts=host_changes(before["hosts"], after["hosts"]) if live else None,
                define=current is None or not current["persistent"] or bool(set(keys) - ({"hosts"} if live else set())))


def plan_restart(plan, current, restart):
    """Restart when the running network would still differ from its definition and O(restart) allows."""
    live = (current or {}).get("live")
    if plan["live_hosts"]:
        live = dict(live, hosts=plan["after"]["hosts"])
    pending = plan["was_active"] and plan["want_active"] and any(live[key] != plan["after"][key] for key in SPEC_KEYS)
    plan["restart"] = bool(pending and restart)
    plan["restart_required"] = bool(pending and not restart)


def plan_present(name, current, spec, params):
    """Everything the run would do to reach ``spec``; check mode and the real run both use it."""
    plan = plan_changes(name, current, spec, params)
    plan_restart(plan, current, params["restart"])
    autostart = bool(current and current["autostart"])
    plan["autostart"] = autostart if params["autostart"] is None else params["autostart"]
    steps = (
        ("update hosts live", bool(plan["live_hosts"])),
        ("define", plan["define"]),
        ("start", plan["want_active"] and not plan["was_active"]),
        ("destroy", plan["was_active"] and not plan["want_active"]),
        ("restart", plan["restart"]),
        ("autostart %s" % ("on" if plan["autostart"] else "off"), plan["autostart"] != autostart),
    )
    plan["actions"] = [step for step, wanted in steps if wanted]
    plan["facts"] = facts(name, plan["after"], current and current["uuid"], plan["want_active"], plan["autostart"])
    return plan


def run_actions(conn, net, plan):
    """Carry out a plan's actions in order; returns the (possibly new) network object."""
    for action in plan["actions"]:
        if action == "update hosts live":
            update_hosts_live(net, *plan["live_hosts"])
        elif action == "define":
            net = call("defining the network", conn.networkDefineXML, plan["xml"])
        elif action == "start":
            call("starting the network", net.create)
        elif action == "destroy":
            call("stopping the network", net.destroy)
        elif action == "restart":
            call("stopping the network for a restart", net.destroy)
            call("starting the network again", net.create)
        else:
            call("setting autostart", net.setAutostart, int(plan["autostart"]))
    return net


def undefine_created(conn, name):
    """Remove what this run defined, so a failed create leaves no half-made network."""
    created = find_network(conn, name)
    if created is not None:
        if call("checking the new network", created.isActive):
            call("stopping the new network", created.destroy)
        call("undefining the new network", created.undefine)


def apply_present(conn, net, plan):
    """run_actions, undefining a network this run created if a later step fails."""
    try:
        return run_actions(conn, net, plan)
    except StacklingError as exc:
        if plan["create"]:
            try:
                undefine_created(conn, plan["facts"]["name"])
            except StacklingError as cleanup:
                exc.details["cleanup_error"] = cleanup.msg
        raise


def ensure_present(module, conn, net, current):
    params = module.params
    spec = desired_spec(params)
    current_forward = parse_spec(current["xml"])["forward"] if current else None
    spec = complete_spec(spec, params, current_forward)
    plan = plan_present(params["name"], current, spec, params)
    require_feasible(conn, plan["after"])
    if plan["actions"] and not module.check_mode:
        net = apply_present(conn, net, plan)
        plan["facts"] = current_facts(params["name"], read_network(net))
    return plan


def ensure_absent(module, net, current):
    actions = []
    if current is not None:
        actions = (["destroy"] if current["active"] else []) + (["undefine"] if current["persistent"] else [])
    for action in [] if module.check_mode else actions:
        call("%s of the network" % action, getattr(net, action))  # net.destroy, net.undefine
    return dict(actions=actions, facts=facts(module.params["name"], None), restart_required=False)


def report(name, current, plan, diff_mode):
    """The module result: facts, actions, the changed settings and (in diff mode) the diff."""
    before = current_facts(name, current)
    after = plan["facts"] if plan["facts"]["state"] != "absent" else None
    before_view = dict((key, before[key]) for key in VIEW_KEYS) if before else None
    after_view = dict((key, after[key]) for key in VIEW_KEYS) if after else None
    keys = [key for key in VIEW_KEYS if (before_view or {}).get(key) != (after_view or {}).get(key)]
    result = dict(changed=bool(plan["actions"]), network=plan["facts"], actions=plan["actions"],
                  restart_required=plan["restart_required"], changes=changes_list(before_view, after_view or {}, keys))
    if diff_mode:
        result["diff"] = build_diff(before_view, after_view)
    return result


def run(module):
    params = module.params
    validate_name("name", params["name"])
    if params["state"] != "absent":
        desired_spec(params)  # refuse bad input before touching libvirt
    conn = connect(params["uri"])
    try:
        net = find_network(conn, params["name"])
        current = read_network(net)
        if params["state"] == "absent":
            plan = ensure_absent(module, net, current)
        else:
            plan = ensure_present(module, conn, net, current)
    finally:
        conn.close()
    return report(params["name"], current, plan, module._diff)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    require_libvirt(module)
    exit_with_result(module, run)


if __name__ == "__main__":
    main()
