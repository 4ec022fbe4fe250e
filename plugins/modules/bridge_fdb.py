#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: bridge_fdb
short_description: Manage static forwarding entries of a VXLAN device
description:
  - Adds or removes static FDB entries (MAC address to remote VTEP) on one VXLAN device with
    C(bridge fdb), optionally inside a network namespace, so a controller can program tenant networks
    without multicast.
  - The all-zeros MAC V(00:00:00:00:00:00) is the default destination for broadcast, unknown-unicast and
    multicast traffic. It, like any group MAC, may have several destinations, one entry each, added with
    C(bridge fdb append) (head-end replication to every listed VTEP).
  - A unicast MAC has one destination; listing it replaces its previous destination (C(bridge fdb replace)),
    as when an instance moves to another host. Listing one unicast MAC twice is an error.
  - Managed entries are the static ones on the device itself, C(self) entries in state C(permanent) or
    C(static) that have a destination. Entries the device learned, entries of the bridge the device is a
    port of, and the entry made by the device's own C(remote) (see M(stackling.cloud.ip_link)) are
    never touched.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.check_diff
  - stackling.cloud.netns
options:
  dev:
    description: Name of the VXLAN device. It must exist and be of kind vxlan.
    type: str
    required: true
  entries:
    description:
      - The FDB entries, each a MAC address and a remote VTEP address.
      - May be empty together with O(exclusive=true) to remove all managed entries.
    type: list
    elements: dict
    required: true
    suboptions:
      mac:
        description: MAC address; V(00:00:00:00:00:00) for the flooding entries.
        type: str
        required: true
      dst:
        description: IP address of the remote VTEP.
        type: str
        required: true
  state:
    description:
      - V(present) adds the listed entries that are missing.
      - V(absent) removes the listed entries that are there.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description: With O(state=present), also remove every managed entry of the device that is not listed.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Flood network 42 to the two other compute hosts, and pin one instance's MAC
  stackling.cloud.bridge_fdb:
    dev: vxlan-42
    entries:
      - {mac: "00:00:00:00:00:00", dst: 192.0.2.11}
      - {mac: "00:00:00:00:00:00", dst: 192.0.2.12}
      - {mac: "fa:16:3e:00:42:07", dst: 192.0.2.12}
    exclusive: true
"""

RETURN = r"""
entries:
  description: The managed entries of the device after the run (in check mode, as they would be).
  returned: always
  type: list
  elements: dict
  sample: [{mac: "00:00:00:00:00:00", dst: 192.0.2.11}, {mac: "00:00:00:00:00:00", dst: 192.0.2.12}]
added:
  description: Entries added (or that would be added).
  returned: always
  type: list
  elements: dict
  sample: [{mac: "fa:16:3e:00:42:07", dst: 192.0.2.12}]
removed:
  description: Entries removed (or that would be removed), including a unicast MAC's replaced destination.
  returned: always
  type: list
  elements: dict
  sample: []
commands:
  description: The commands run (in check mode, the commands that would run).
  returned: always
  type: list
  elements: str
  sample: ["/usr/sbin/bridge fdb append 00:00:00:00:00:00 dev vxlan-42 dst 192.0.2.11 self permanent"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackling.cloud.plugins.module_utils._diff import change_result
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, exit_with_result
from ansible_collections.stackling.cloud.plugins.module_utils._iplink import link_facts
from ansible_collections.stackling.cloud.plugins.module_utils._iproute import IpRunner, where
from ansible_collections.stackling.cloud.plugins.module_utils._netns import NETNS_ARG_SPEC, netns_option
from ansible_collections.stackling.cloud.plugins.module_utils._netvalues import is_group_mac, normalise_mac, parse_ip, validate_ifname

ARGUMENT_SPEC = dict(
    NETNS_ARG_SPEC,
    dev={"type": "str", "required": True},
    entries={"type": "list", "elements": "dict", "required": True, "options": {
        "mac": {"type": "str", "required": True},
        "dst": {"type": "str", "required": True},
    }},
    state={"type": "str", "choices": ["present", "absent"], "default": "present"},
    exclusive={"type": "bool", "default": False},
)
MANAGED_STATES = ("permanent", "static")


def as_dicts(pairs):
    return [{"mac": mac, "dst": dst} for mac, dst in sorted(pairs)]


def desired_entries(params):
    """The listed entries as a set of (mac, dst); a unicast MAC may appear only once."""
    if params["exclusive"] and params["state"] == "absent":
        raise InvalidInput("exclusive", "only applies with state: present")
    pairs, unicast = set(), {}
    for index, entry in enumerate(params["entries"]):
        mac = normalise_mac("entries[%d].mac" % index, entry["mac"])
        dst = str(parse_ip("entries[%d].dst" % index, entry["dst"]))
        if not is_group_mac(mac) and unicast.setdefault(mac, dst) != dst:
            raise InvalidInput("entries[%d].mac" % index, "unicast MAC %s is listed with two destinations, %s and %s"
                               % (mac, unicast[mac], dst))
        pairs.add((mac, dst))
    return pairs


def vxlan_remote(runner, dev):
    """The device's own default remote (from ip_link), which is not ours to manage."""
    facts = link_facts(runner.require_link("dev", dev))
    if facts["kind"] != "vxlan":
        raise InvalidInput("dev", "%r in %s is a %s device, not vxlan" % (dev, where(runner.netns), facts["kind"] or "physical"))
    return facts["vxlan.remote"]


def managed_entries(runner, dev, remote):
    pairs = set()
    for record in runner.query(["fdb", "show", "dev", dev], binary="bridge"):
        if "self" not in record.get("flags", []) or "master" in record or "dst" not in record:
            continue
        if record.get("state") not in MANAGED_STATES:
            continue
        pair = (record["mac"].lower(), str(parse_ip("dst", record["dst"])))
        if pair != ("00:00:00:00:00:00", remote):
            pairs.add(pair)
    return pairs


def plan(current, desired, params):
    """(entries to add, entries to remove) for the requested state."""
    if params["state"] == "absent":
        return set(), current & desired
    add = desired - current
    replaced_macs = set(mac for mac, _dst in add if not is_group_mac(mac))
    remove = set(pair for pair in current - desired if params["exclusive"] or pair[0] in replaced_macs)
    return add, remove


def apply(runner, dev, add, remove):
    added_unicast = set(mac for mac, _dst in add if not is_group_mac(mac))
    for mac, dst in sorted(remove):
        if mac not in added_unicast:  # replace below overwrites a unicast MAC's old destination
            runner.change(["fdb", "delete", mac, "dev", dev, "dst", dst, "self"], binary="bridge")
    for mac, dst in sorted(add):
        verb = "append" if is_group_mac(mac) else "replace"
        runner.change(["fdb", verb, mac, "dev", dev, "dst", dst, "self", "permanent"], binary="bridge")


def run(module):
    params = module.params
    dev = validate_ifname("dev", params["dev"])
    runner = IpRunner(module, netns_option(params))
    desired = desired_entries(params)
    remote = vxlan_remote(runner, dev)
    current = managed_entries(runner, dev, remote)
    add, remove = plan(current, desired, params)
    apply(runner, dev, add, remove)
    final = (current - remove) | add
    if runner.commands and not module.check_mode:
        final = managed_entries(runner, dev, remote)
    return change_result(module, runner.commands, {"entries": as_dicts(current)}, {"entries": as_dicts(final)},
                         entries=as_dicts(final), added=as_dicts(add), removed=as_dicts(remove))


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    exit_with_result(module, run)


if __name__ == "__main__":
    main()
