#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ip_address
short_description: Manage the IPv4 and IPv6 addresses of a network device
description:
  - Adds or removes IP addresses (with their prefix length) on one network device with C(ip address),
    optionally inside a network namespace.
  - An address is identified by the address and its prefix length; V(10.233.0.1/24) and V(10.233.0.1/16)
    are different addresses. Values are normalised before comparing, so V(FD00:0::1/64) matches V(fd00::1/64).
  - IPv4 addresses are added with the broadcast address derived from the prefix (C(broadcast +)) when the
    prefix is V(/30) or shorter.
  - Removing an IPv4 primary address makes the kernel drop the secondaries of the same subnet too; the module
    adds back the listed ones that disappeared that way.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.check_diff
  - stackling.cloud.netns
options:
  dev:
    description: Name of the network device. It must exist.
    type: str
    required: true
  addresses:
    description:
      - Addresses in CIDR notation, for example V(10.233.0.1/24) or V(fd00:233::1/64).
      - A prefix length is required; a bare address is refused rather than guessed as V(/32).
      - May be empty together with O(exclusive=true) to remove all addresses.
    type: list
    elements: str
    required: true
  state:
    description:
      - V(present) adds the listed addresses that are missing.
      - V(absent) removes the listed addresses that are there.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With O(state=present), also remove every address of the device that is not listed.
      - IPv6 link-local addresses (V(fe80::/10)) are never removed this way, listed or not; the kernel
        makes them and IPv6 neighbour discovery needs them. Remove one explicitly with O(state=absent).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: The gateway address of tenant network 42 in its router namespace
  stackling.cloud.ip_address:
    netns: stk-router-7
    dev: qr-42
    addresses:
      - 10.233.42.1/24
      - fd00:233:42::1/64

- name: Exactly these addresses on the DHCP port (IPv6 link-local kept)
  stackling.cloud.ip_address:
    netns: stk-dhcp-42
    dev: ns-dhcp
    addresses: [10.233.42.2/24]
    exclusive: true
"""

RETURN = r"""
addresses:
  description: All addresses of the device after the run (in check mode, as they would be).
  returned: always
  type: list
  elements: str
  sample: ["10.233.42.1/24", "fd00:233:42::1/64", "fe80::5c1e:42ff:fe00:1/64"]
added:
  description: Addresses added (or that would be added).
  returned: always
  type: list
  elements: str
  sample: ["10.233.42.1/24"]
removed:
  description: Addresses removed (or that would be removed).
  returned: always
  type: list
  elements: str
  sample: []
commands:
  description: The commands run (in check mode, the commands that would run).
  returned: always
  type: list
  elements: str
  sample: ["/usr/sbin/ip -n stk-router-7 address add 10.233.42.1/24 dev qr-42 broadcast +"]
"""

import ipaddress

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackling.cloud.plugins.module_utils._diff import change_result
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, exit_with_result
from ansible_collections.stackling.cloud.plugins.module_utils._iproute import DeviceNotFound, IpRunner, where
from ansible_collections.stackling.cloud.plugins.module_utils._netns import NETNS_ARG_SPEC, netns_option
from ansible_collections.stackling.cloud.plugins.module_utils._netvalues import parse_interface, validate_ifname

ARGUMENT_SPEC = dict(
    NETNS_ARG_SPEC,
    dev={"type": "str", "required": True},
    addresses={"type": "list", "elements": "str", "required": True},
    state={"type": "str", "choices": ["present", "absent"], "default": "present"},
    exclusive={"type": "bool", "default": False},
)
LINK_LOCAL_V6 = ipaddress.ip_network("fe80::/10")


def ordered(interfaces):
    """Sorted, de-duplicated addresses as text: IPv4 first, then by address and prefix."""
    unique = set(interfaces)
    return [str(item) for item in sorted(unique, key=lambda i: (i.version, int(i.ip), i.network.prefixlen))]


def current_addresses(runner, dev):
    try:
        records = runner.query(["address", "show", "dev", dev])
    except DeviceNotFound:
        raise InvalidInput("dev", "no network device named %r in %s" % (dev, where(runner.netns)))
    infos = records[0].get("addr_info", []) if records else []
    return set(ipaddress.ip_interface("%s/%s" % (info["local"], info["prefixlen"])) for info in infos if "local" in info)


def desired_addresses(params):
    if params["exclusive"] and params["state"] == "absent":
        raise InvalidInput("exclusive", "only applies with state: present")
    return set(parse_interface("addresses[%d]" % index, value) for index, value in enumerate(params["addresses"]))


def removable(current, desired, params):
    if params["state"] == "absent":
        return current & desired
    if not params["exclusive"]:
        return set()
    return set(item for item in current - desired if not (item.version == 6 and item.ip in LINK_LOCAL_V6))


def add_command(item, dev):
    command = ["address", "add", str(item), "dev", dev]
    if item.version == 4 and item.network.prefixlen <= 30:
        command += ["broadcast", "+"]
    return command


def apply(runner, dev, current, desired, params):
    """Remove, then add what is missing (re-reading, as removals can take secondaries along)."""
    remove = removable(current, desired, params)
    for item in ordered(remove):
        runner.change(["address", "delete", item, "dev", dev])
    remaining = current - remove
    if remove and not runner.check_mode:
        remaining = current_addresses(runner, dev)
    add = desired - remaining if params["state"] == "present" else set()
    for item in sorted(add, key=lambda i: (i.version, int(i.ip), i.network.prefixlen)):
        runner.change(add_command(item, dev))
    return add, remove, remaining | add


def run(module):
    params = module.params
    dev = validate_ifname("dev", params["dev"])
    runner = IpRunner(module, netns_option(params))
    desired = desired_addresses(params)
    current = current_addresses(runner, dev)
    add, remove, final = apply(runner, dev, current, desired, params)
    if runner.commands and not module.check_mode:
        final = current_addresses(runner, dev)
    return change_result(module, runner.commands, {"addresses": ordered(current)}, {"addresses": ordered(final)},
                         addresses=ordered(final), added=ordered(add), removed=ordered(remove))


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    exit_with_result(module, run)


if __name__ == "__main__":
    main()
