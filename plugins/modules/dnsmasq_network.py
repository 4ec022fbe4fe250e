#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dnsmasq_network
short_description: The dnsmasq DHCP and DNS server of one tenant network, inside a network namespace
description:
  - Runs one dnsmasq for one network, inside the network namespace O(netns) and bound to O(interface),
    and keeps it configured. The module starts the process itself (no init system is needed) and finds it
    again through its pid file.
  - A change of the range, gateway, DNS servers, domain or interface rewrites the config and restarts
    dnsmasq (new pid). A change of the reservations only rewrites the hosts file and sends SIGHUP (same pid).
  - A marker file C(hosts.unloaded) in O(state_dir) lives from writing a new hosts file until dnsmasq has
    read it, so a run interrupted between the two still reloads dnsmasq on the next run.
  - Before signalling a pid from the pid file the module checks that C(/proc/<pid>/cmdline) is dnsmasq with
    this network's config file, so a stale pid file never gets another process killed.
version_added: 0.1.0
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.check_diff
  - stackling.cloud.netns
options:
  name:
    description: Network id; names the state directory.
    type: str
    required: true
  state:
    description: C(present) runs dnsmasq as described; C(absent) stops it and removes its files.
    type: str
    choices: [present, absent]
    default: present
  netns:
    description:
      - Network namespace dnsmasq runs in, as listed by C(ip netns list). Required when O(state=present).
      - The namespace must exist; create it with M(stackling.cloud.ip_netns).
  interface:
    description: Interface in O(netns) that dnsmasq serves. Required when O(state=present).
    type: str
  dhcp_range:
    description:
      - The dynamic address range. Required when O(state=present).
      - The subnet is O(dhcp_range.start) with O(dhcp_range.prefix) or O(dhcp_range.netmask); the range, the
        gateway and the reserved addresses must lie in it, and it must be a subnet of O(interface) when
        the interface has IPv4 addresses.
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
      prefix:
        description: Prefix length of the subnet, for example V(24). Mutually exclusive with O(dhcp_range.netmask).
        type: int
      netmask:
        description: Netmask of the subnet, for example V(255.255.255.0).
        type: str
      lease_time:
        description: Lease time as dnsmasq reads it (V(3600), V(45m), V(12h), V(7d), V(infinite)).
        type: str
        default: 12h
  gateway:
    description: Default router announced to clients (DHCP option 3). Omitted, dnsmasq announces its own address.
    type: str
  dns_servers:
    description: DNS servers announced to clients (DHCP option 6). Empty, dnsmasq announces itself when O(dns=true).
    type: list
    elements: str
    default: []
  domain:
    description: DNS domain of the network, announced to clients (DHCP option 15).
    type: str
  dns:
    description: Whether dnsmasq also answers DNS on O(interface) (names of reservations and leases).
    type: bool
    default: true
  reservations:
    description: Static addresses. Order does not matter.
    type: list
    elements: dict
    default: []
    suboptions:
      mac:
        description: MAC address of the client.
        type: str
        required: true
      ip:
        description: Address the client gets; it must lie in the subnet.
        type: str
        required: true
      hostname:
        description: Host name given to the client (one DNS label).
        type: str
  state_dir:
    description:
      - Directory of the config file, the hosts file (dhcp-hostsfile), the lease file, the pid file and the log.
      - Defaults to C(/var/lib/stackling/dnsmasq/<name>).
      - With O(state=absent) only the files the module creates are removed, and the directory if then empty.
    type: path
notes:
  - Only IPv4 DHCP is supported.
  - dnsmasq runs with C(--except-interface=lo --bind-interfaces), so several networks can share a namespace.
  - dnsmasq logs to C(dnsmasq.log) in O(state_dir); after a SIGHUP the module waits (up to 5 s) until
    dnsmasq logs that it re-read the hosts file, so a client asking right after the task gets its
    reservation. The log is not rotated by the module.
requirements:
  - dnsmasq (Debian package dnsmasq-base) on the managed host
"""

EXAMPLES = r"""
- name: DHCP for the private network of a tenant
  stackling.cloud.dnsmasq_network:
    name: net-1
    netns: qdhcp-net-1
    interface: tap-net-1
    dhcp_range: {start: 10.0.0.10, end: 10.0.0.200, prefix: 24, lease_time: 1h}
    gateway: 10.0.0.1
    dns_servers: [10.0.0.2]
    domain: tenant1.example.org
    reservations:
      - {mac: "52:54:00:12:34:56", ip: 10.0.0.5, hostname: web1}

- name: Stop it and remove its files
  stackling.cloud.dnsmasq_network:
    name: net-1
    state: absent
"""

RETURN = r"""
pid:
  description: Pid of the running dnsmasq (null when none runs).
  returned: always
  type: int
  sample: 4242
running:
  description: Whether dnsmasq runs for this network after the module ran.
  returned: always
  type: bool
config_path:
  description: Path of the config file.
  returned: always
  type: str
  sample: /var/lib/stackling/dnsmasq/net-1/dnsmasq.conf
hosts_path:
  description: Path of the hosts file (dhcp-hostsfile) holding the reservations.
  returned: always
  type: str
lease_path:
  description: Path of the lease file.
  returned: always
  type: str
pid_file:
  description: Path of the pid file.
  returned: always
  type: str
log_path:
  description: Path of dnsmasq's log file (start-up, reloads and DHCP transactions).
  returned: always
  type: str
hosts:
  description: The reservations in force, sorted by MAC.
  returned: when O(state=present)
  type: list
  elements: dict
  sample: [{"mac": "52:54:00:12:34:56", "ip": "10.0.0.5", "hostname": "web1"}]
actions:
  description: What the module did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["write hosts", "reload"]
changes:
  description: The changed settings as C({name, current, desired}).
  returned: when O(state=present)
  type: list
  elements: dict
"""

import json
import os
import signal
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.stackling.cloud.plugins.module_utils import _dnsmasq, _process
from ansible_collections.stackling.cloud.plugins.module_utils._diff import build_diff, changed_keys, changes_list
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, StacklingError, exit_with_result
from ansible_collections.stackling.cloud.plugins.module_utils._netns import NETNS_ARG_SPEC, require_netns
from ansible_collections.stackling.cloud.plugins.module_utils._names import validate_name

RANGE_SPEC = dict(
    start=dict(type="str", required=True),
    end=dict(type="str", required=True),
    prefix=dict(type="int"),
    netmask=dict(type="str"),
    lease_time=dict(type="str", default="12h"),
)
RESERVATION_SPEC = dict(mac=dict(type="str", required=True), ip=dict(type="str", required=True),
                        hostname=dict(type="str"))
ARGUMENT_SPEC = dict(
    NETNS_ARG_SPEC,
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    interface=dict(type="str"),
    dhcp_range=dict(type="dict", options=RANGE_SPEC, mutually_exclusive=[["prefix", "netmask"]],
                    required_one_of=[["prefix", "netmask"]]),
    gateway=dict(type="str"),
    dns_servers=dict(type="list", elements="str", default=[]),
    domain=dict(type="str"),
    dns=dict(type="bool", default=True),
    reservations=dict(type="list", elements="dict", options=RESERVATION_SPEC, default=[]),
    state_dir=dict(type="path"),
)
FILE_KEYS = ("config", "hosts")


def read_current(paths):
    """The running pid and its argv, the files on disk, and the settings they describe (None: nothing)."""
    pid = _process.find_daemon(paths["pid_file"], "dnsmasq", "--conf-file=" + paths["config"])
    argv = _process.cmdline(pid) if pid else None
    current = dict(pid=pid, argv=argv, config=_dnsmasq.read_file(paths["config"]),
                   hosts=_dnsmasq.read_file(paths["hosts"]), state=None,
                   reload_pending=os.path.lexists(paths["reload_pending"]))
    if pid or current["config"] is not None or current["hosts"] is not None:
        state = _dnsmasq.parse_config(current["config"])
        state.update(interface=_dnsmasq.interface_of(argv), reservations=_dnsmasq.parse_hosts(current["hosts"]),
                     running=pid is not None)
        current["state"] = state
    return current


def check_interface(module, netns, interface, dhcp_range):
    """The interface must exist in the namespace, and carry the range's subnet if it has addresses."""
    require_netns("netns", netns)
    ip = _process.Runner(module, "ip", netns)
    rc, out, err = ip.run(["-j", "addr", "show", "dev", interface], expect_rc=(0, 1))
    if rc != 0:
        raise InvalidInput("interface", "%s does not exist in network namespace %s (%s)" % (interface, netns, err.strip()))
    networks = _dnsmasq.interface_networks(json.loads(out or "[]"))
    _dnsmasq.check_range_served(dhcp_range, networks, interface)
    if not networks:
        module.warn("interface %s in %s has no IPv4 address yet: dnsmasq answers once it has one in %s"
                    % (interface, netns, dhcp_range["start"]))


def plan_present(current, files, args):
    """The actions turning ``current`` into the desired files and a dnsmasq running with ``args``."""
    restart = current["pid"] is None or current["config"] != files["config"] or current["argv"][1:] != args
    actions = ["stop"] if restart and current["pid"] else []
    actions.extend("write " + key for key in FILE_KEYS if current[key] != files[key])
    if restart:
        actions.append("start")
    elif current["hosts"] != files["hosts"] or current["reload_pending"]:
        actions.append("reload")
    return actions


def start(module, netns, args, paths):
    """Start dnsmasq (it daemonises) and return its pid once the pid file names it."""
    _process.Runner(module, "dnsmasq", netns).run(args)
    deadline = time.time() + 10
    while time.time() < deadline:
        pid = _process.find_daemon(paths["pid_file"], "dnsmasq", args[0])
        if pid:
            return pid
        time.sleep(0.05)
    raise StacklingError("dnsmasq started but %s names no running dnsmasq" % paths["pid_file"], args=args)


def reload(module, pid, paths):
    """SIGHUP, then wait until dnsmasq logs that it re-read the hosts file, so the next client sees it."""
    offset = len(_dnsmasq.read_file(paths["log"]) or "")
    _process.send_signal(pid, signal.SIGHUP)
    deadline = time.time() + 5
    while time.time() < deadline:
        logged = (_dnsmasq.read_file(paths["log"]) or "")[offset:]
        if "read %s\n" % paths["hosts"] in logged:
            return
        if "cannot read %s" % paths["hosts"] in logged:
            raise StacklingError("dnsmasq (pid %d) could not re-read %s: %s" % (pid, paths["hosts"], logged.strip()))
        time.sleep(0.05)
    module.warn("dnsmasq (pid %d) did not log re-reading %s within 5 s of SIGHUP" % (pid, paths["hosts"]))


def execute(module, actions, current, files, args, paths):
    pid = current["pid"]
    for action in actions:
        if action == "stop":
            _process.stop(pid)
        elif action.startswith("write "):
            key = action.split()[1]
            if key == "hosts":
                _dnsmasq.mark_reload_pending(paths["state_dir"], paths["reload_pending"], True)
            _dnsmasq.write_file(paths["state_dir"], paths[key], files[key])
        elif action == "start":
            pid = start(module, module.params["netns"], args, paths)
        elif action == "reload":
            reload(module, pid, paths)
    # A fresh start or a reload has read the hosts file.
    _dnsmasq.mark_reload_pending(paths["state_dir"], paths["reload_pending"], False)
    return pid


def run_present(module, paths, current):
    params = module.params
    settings, reservations = _dnsmasq.normalize_network(params)
    check_interface(module, params["netns"], settings["interface"], settings["dhcp_range"])
    _dnsmasq.check_searchable(paths["state_dir"])
    files = dict(config=_dnsmasq.render_config(params["name"], settings), hosts=_dnsmasq.render_hosts(reservations))
    args = _dnsmasq.command_line(paths, settings["interface"])
    actions = plan_present(current, files, args)
    pid = current["pid"]
    if actions and not module.check_mode:
        pid = execute(module, actions, current, files, args, paths)
    after = dict(settings, reservations=reservations, running=True)
    before = current["state"]
    result = dict(actions=actions, pid=pid, running=pid is not None, hosts=reservations,
                  changes=changes_list(before, after, changed_keys(before or {}, after)))
    return result, before, after


def run_absent(module, paths, current):
    actions = ["stop"] if current["pid"] else []
    if os.path.isdir(paths["state_dir"]):
        actions.append("remove files")
    if actions and not module.check_mode:
        if current["pid"]:
            _process.stop(current["pid"])
        if not _dnsmasq.remove_state(paths):
            module.warn("kept %s: it holds files this module did not create" % paths["state_dir"])
    pid = current["pid"] if module.check_mode else None
    return dict(actions=actions, pid=pid, running=pid is not None), current["state"], None


def run(module):
    params = module.params
    validate_name("name", params["name"])
    state_dir = params["state_dir"] or os.path.join(_dnsmasq.DEFAULT_STATE_ROOT, params["name"])
    if not os.path.isabs(state_dir):
        raise InvalidInput("state_dir", "%r is not an absolute path" % state_dir)
    paths = _dnsmasq.state_paths(state_dir)
    current = read_current(paths)
    handler = run_present if params["state"] == "present" else run_absent
    result, before, after = handler(module, paths, current)
    result.update(changed=bool(result["actions"]), config_path=paths["config"], hosts_path=paths["hosts"],
                  lease_path=paths["leases"], pid_file=paths["pid_file"], log_path=paths["log"])
    if module._diff:
        result["diff"] = build_diff(before, after)
    return result


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        required_if=[("state", "present", ("netns", "interface", "dhcp_range"))],
        supports_check_mode=True,
    )
    exit_with_result(module, run)


if __name__ == "__main__":
    main()
