#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ip_route
short_description: Manage one IPv4 or IPv6 unicast route
description:
  - Ensures a route exists with the given attributes, or does not exist, with C(ip route replace) and
    C(ip route delete), optionally inside a network namespace.
  - A route is identified, as the kernel does, by its key O(dest), O(table) and O(metric) (within its
    IP family). Its attributes O(via), O(dev) and O(scope) are compared after normalisation and changed
    in place with C(ip route replace).
  - Multipath routes are not supported; an existing multipath route with the same key is replaced.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.check_diff
  - stackling.cloud.netns
options:
  dest:
    description:
      - Destination network in CIDR notation, for example V(10.233.42.0/24); host bits must be zero.
      - A bare address is a host route (V(/32) or V(/128)).
      - V(default) is V(0.0.0.0/0), or V(::/0) when O(via) is an IPv6 address; write V(::/0) for an
        IPv6 default route without a gateway.
    type: str
    required: true
  via:
    description:
      - Gateway address, of the same IP family as O(dest).
      - Left out, the route has no gateway (a direct route), and a route with a gateway is changed to one without.
    type: str
  dev:
    description:
      - Output device. It must exist.
      - Left out, the device is not compared (the kernel picks it from O(via)); give O(dev) or O(via).
    type: str
  table:
    description: Routing table, a number (1 to 4294967295) or one of V(main), V(local) or V(default).
    type: str
    default: main
  metric:
    description:
      - Route priority (lower wins). Part of the route's key.
      - Defaults to the kernel's default, V(0) for IPv4 and V(1024) for IPv6.
    type: int
  scope:
    description:
      - Scope of an IPv4 route. Defaults as C(ip route) does, V(link) without O(via) and V(global) with it.
      - IPv6 routes have no scope; only V(global) is accepted for them.
    type: str
    choices: [global, link, host]
  state:
    description: V(present) creates or changes the route; V(absent) deletes the route with this key.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Default route of a router namespace
  stackling.cloud.ip_route:
    netns: stk-router-7
    dest: default
    via: 192.0.2.1

- name: Tenant subnet reached through the router, in table 100
  stackling.cloud.ip_route:
    dest: 10.233.42.0/24
    via: 10.233.0.7
    table: "100"
    metric: 50

- name: An on-link IPv6 route
  stackling.cloud.ip_route:
    dest: fd00:233:42::/64
    dev: brq42
"""

RETURN = r"""
route:
  description: The route after the run (in check mode, as it would be); null when absent.
  returned: always
  type: dict
  sample: {dest: 10.233.42.0/24, via: 10.233.0.7, dev: eth1, table: 100, metric: 50, scope: global, family: 4}
  contains:
    dest:
      description: "Destination network in CIDR notation."
      type: str
    via:
      description: "Gateway, or null."
      type: str
    dev:
      description: "Output device (null in check mode when the kernel would choose it)."
      type: str
    table:
      description: "Table number."
      type: int
    metric:
      description: "Metric."
      type: int
    scope:
      description: "Scope."
      type: str
    family:
      description: "IP version, 4 or 6."
      type: int
changes:
  description: The attributes that differed, as C(name), C(current) and C(desired).
  returned: always
  type: list
  elements: dict
  sample: [{name: via, current: 10.233.0.6, desired: 10.233.0.7}]
commands:
  description: The commands run (in check mode, the commands that would run).
  returned: always
  type: list
  elements: str
  sample: ["/usr/sbin/ip route replace 10.233.42.0/24 table 100 metric 50 via 10.233.0.7 scope global"]
"""

import ipaddress

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackling.cloud.plugins.module_utils._diff import change_result, changes_list
from ansible_collections.stackling.cloud.plugins.module_utils._errors import CommandFailed, InvalidInput, exit_with_result
from ansible_collections.stackling.cloud.plugins.module_utils._iproute import IpRunner
from ansible_collections.stackling.cloud.plugins.module_utils._netns import NETNS_ARG_SPEC, netns_option
from ansible_collections.stackling.cloud.plugins.module_utils._netvalues import parse_ip, parse_network, validate_ifname

ARGUMENT_SPEC = dict(
    NETNS_ARG_SPEC,
    dest={"type": "str", "required": True},
    via={"type": "str"},
    dev={"type": "str"},
    table={"type": "str", "default": "main"},
    metric={"type": "int"},
    scope={"type": "str", "choices": ["global", "link", "host"]},
    state={"type": "str", "choices": ["present", "absent"], "default": "present"},
)
TABLES = {"main": 254, "local": 255, "default": 253}
DEFAULT_METRIC = {4: 0, 6: 1024}
MISSING_TABLE = "FIB table does not exist"
ATTRIBUTES = ("via", "dev", "scope")


def parse_table(value):
    text = str(value).strip()
    number = TABLES.get(text, text)
    try:
        number = int(number)
    except ValueError:
        raise InvalidInput("table", "%r is not a table number or one of main, local, default" % (value,))
    if not 1 <= number <= 4294967295:
        raise InvalidInput("table", "%r is not between 1 and 4294967295" % (value,))
    return number


def parse_dest(value, via):
    text = str(value).strip()
    if text == "default":
        text = "::/0" if via is not None and via.version == 6 else "0.0.0.0/0"
    dest = parse_network("dest", text)
    if via is not None and via.version != dest.version:
        raise InvalidInput("via", "%s is IPv%d but dest %s is IPv%d" % (via, via.version, dest, dest.version))
    return dest


def default_scope(params, family, via):
    if family == 6:
        if params["scope"] not in (None, "global"):
            raise InvalidInput("scope", "IPv6 routes have no scope; leave it out or use global")
        return "global"
    return params["scope"] or ("global" if via is not None else "link")


def desired_route(params):
    """The normalised route: key (family, table, dest, metric) plus its attributes."""
    via = parse_ip("via", params["via"]) if params["via"] is not None else None
    dest = parse_dest(params["dest"], via)
    metric = params["metric"] if params["metric"] is not None else DEFAULT_METRIC[dest.version]
    if metric < 0:
        raise InvalidInput("metric", "must not be negative, got %r" % metric)
    return {
        "family": dest.version,
        "table": parse_table(params["table"]),
        "dest": str(dest),
        "metric": metric,
        "via": str(via) if via is not None else None,
        "dev": params["dev"] and validate_ifname("dev", params["dev"]),
        "scope": default_scope(params, dest.version, via),
    }


def normalise_record(record, family, table):
    """A route from ``ip -j -d route show`` in the shape of desired_route()."""
    dst = record["dst"]
    if dst == "default":
        dst = "0.0.0.0/0" if family == 4 else "::/0"
    return {
        "family": family,
        "table": table,
        "dest": str(ipaddress.ip_network(dst, strict=False)),
        "metric": record.get("metric", 0),
        "via": str(ipaddress.ip_address(record["gateway"])) if "gateway" in record else None,
        "dev": record.get("dev"),
        "scope": record.get("scope", "global"),
    }


def find_route(runner, want):
    try:
        records = runner.query(["-%d" % want["family"], "route", "show", "table", want["table"], "exact", want["dest"]])
    except CommandFailed as exc:
        if MISSING_TABLE in (exc.details.get("stderr") or ""):
            return None  # a table with no routes yet
        raise
    for record in records:
        if record.get("type", "unicast") != "unicast":
            continue
        route = normalise_record(record, want["family"], want["table"])
        if route["dest"] == want["dest"] and route["metric"] == want["metric"]:
            return route
    return None


def differences(current, want):
    keys = [key for key in ATTRIBUTES if key != "dev" and current[key] != want[key]]
    if want["dev"] is not None and current["dev"] != want["dev"]:
        keys.append("dev")
    return keys


def route_args(want):
    args = [want["dest"], "table", want["table"], "metric", want["metric"]]
    for key in ("via", "dev"):
        if want[key] is not None:
            args += [key, want[key]]
    if want["family"] == 4:
        args += ["scope", want["scope"]]
    return args


def apply(runner, current, want, present):
    """Return the changed keys after running (or planning) the one command needed."""
    prefix = ["-%d" % want["family"], "route"]
    if not present:
        if current is None:
            return []
        runner.change(prefix + ["delete", want["dest"], "table", want["table"], "metric", want["metric"]])
        return ["dest"]
    keys = ["dest"] if current is None else differences(current, want)
    if keys:
        if want["dev"] is not None:
            runner.require_link("dev", want["dev"])
        runner.change(prefix + ["replace"] + route_args(want))
    return keys


def views(current, want, keys, present):
    """Diff views: only the changed attributes of an updated route, the whole route otherwise."""
    if not keys:
        return None, None
    if not present:
        return current, None
    if current is None:
        return None, dict((key, value) for key, value in want.items() if value is not None)
    return dict((key, current[key]) for key in keys), dict((key, want[key]) for key in keys)


def predicted(current, want, present):
    if not present:
        return None
    route = dict(want)
    if route["dev"] is None and current is not None:
        route["dev"] = current["dev"]
    return route


def run(module):
    runner = IpRunner(module, netns_option(module.params))
    want = desired_route(module.params)
    present = module.params["state"] == "present"
    current = find_route(runner, want)
    keys = apply(runner, current, want, present)
    final = current
    if keys:
        final = predicted(current, want, present) if module.check_mode else find_route(runner, want)
    before, after = views(current, want, keys, present)
    return change_result(module, runner.commands, before, after, keys if before and after else None, changed=bool(keys),
                         route=final,
                         changes=changes_list(before, after or {}, keys if before and after else sorted(after or before or {})))


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    exit_with_result(module, run)


if __name__ == "__main__":
    main()
