#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: security_group_rule
short_description: Add or remove one rule of a Stackling security group
description:
  - Ensures a security group has an allow rule equal to the one described, or has none (like
    M(openstack.cloud.security_group_rule)). Rules are matched by direction, ethertype, protocol,
    port range, remote prefix and remote group (not by description); the prefix is compared in
    canonical form (V(10.1.2.3/24) is V(10.1.2.0/24), V(0.0.0.0/0) is anywhere).
  - The compute hosts with ports in the group apply the change before the module returns.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  security_group:
    description: Name or id of the group (of the caller's project).
    type: str
    required: true
  state:
    description: V(present) adds the rule if the group has no equal one; V(absent) removes the equal rule.
    type: str
    choices: [present, absent]
    default: present
  direction:
    description: Traffic to the port (V(ingress)) or from it (V(egress)).
    type: str
    choices: [ingress, egress]
    default: ingress
  ethertype:
    description: IP version of the rule.
    type: str
    choices: [IPv4, IPv6]
    default: IPv4
  protocol:
    description: Protocol; V(any) for all (ICMPv6 when O(ethertype=IPv6) and V(icmp)).
    type: str
    choices: [any, tcp, udp, icmp]
    default: any
  port_range_min:
    description: First destination port (tcp, udp), or the ICMP type (icmp).
    type: int
  port_range_max:
    description: Last destination port (tcp, udp; default O(port_range_min)), or the ICMP code (icmp).
    type: int
  remote_ip_prefix:
    description: CIDR where ingress may come from or egress may go to (default anywhere).
    type: str
  remote_group:
    description: Name or id of a group of the same project whose members' addresses the rule is limited to.
    type: str
  description:
    description: Description of a new rule (not compared).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: SSH from anywhere
  stackling.cloud.security_group_rule:
    cloud: mycloud
    security_group: web
    protocol: tcp
    port_range_min: 22
    port_range_max: 22

- name: Ping
  stackling.cloud.security_group_rule:
    cloud: mycloud
    security_group: web
    protocol: icmp

- name: PostgreSQL from the web group only
  stackling.cloud.security_group_rule:
    cloud: mycloud
    security_group: db
    protocol: tcp
    port_range_min: 5432
    remote_group: web
"""

RETURN = r"""
rule:
  description: The rule (null when absent; a null id in check mode for a rule to be added).
  returned: always
  type: dict
  contains:
    id: {description: "Rule id.", type: str}
    security_group_id: {description: "Its group.", type: str}
    direction: {description: "ingress or egress.", type: str}
    ethertype: {description: "IPv4 or IPv6.", type: str}
    protocol: {description: "any, tcp, udp or icmp.", type: str}
    port_range_min: {description: "First port or ICMP type.", type: int}
    port_range_max: {description: "Last port or ICMP code.", type: int}
    remote_ip_prefix: {description: "CIDR (null: anywhere).", type: str}
    remote_group_id: {description: "Remote group id.", type: str}
    description: {description: "Description.", type: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_security_groups import rule_view, security_groups
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import STATE_SPEC, plan, state_result
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

try:
    from stackling.networking import RuleRequest
    from stackling.networking.security_groups import normalize_rule
except ImportError:  # run_cloud_module() fails first, saying the library is missing
    RuleRequest = normalize_rule = None

ARGUMENT_SPEC = {
    "security_group": {"type": "str", "required": True},
    "state": STATE_SPEC,
    "direction": {"type": "str", "choices": ["ingress", "egress"], "default": "ingress"},
    "ethertype": {"type": "str", "choices": ["IPv4", "IPv6"], "default": "IPv4"},
    "protocol": {"type": "str", "choices": ["any", "tcp", "udp", "icmp"], "default": "any"},
    "port_range_min": {"type": "int"},
    "port_range_max": {"type": "int"},
    "remote_ip_prefix": {"type": "str"},
    "remote_group": {"type": "str"},
    "description": {"type": "str", "default": ""},
}
RULE_FIELDS = ("direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix",
               "remote_group", "description")


def rule_request(params):
    return RuleRequest(**dict((key, params[key]) for key in RULE_FIELDS))


def new_view(cloud, group, request):
    """What an added rule would look like (check mode), the library's normalisation applied."""
    rule = normalize_rule(request)
    remote = None
    if rule.remote_group is not None:
        found = security_groups(cloud).find(cloud.ctx, rule.remote_group, project=group.project_id)
        remote = found.id if found else None
    return {"id": None, "security_group_id": group.id, "project_id": group.project_id, "direction": rule.direction,
            "ethertype": rule.ethertype, "protocol": rule.protocol, "port_range_min": rule.port_range_min,
            "port_range_max": rule.port_range_max, "remote_ip_prefix": rule.remote_ip_prefix,
            "remote_group_id": remote, "description": rule.description}


def run(module, cloud):
    params = module.params
    service = security_groups(cloud)
    group = service.find(cloud.ctx, params["security_group"])
    if group is None:
        raise InvalidInput("security_group", "security group %r not found (or not visible to the caller)"
                           % params["security_group"])
    request = rule_request(params)
    found = service.find_rule(cloud.ctx, group.id, request)
    current = rule_view(found) if found else None
    if params["state"] == "absent":
        change = plan(current, {}, "absent")
    else:
        change = plan(current, {}, "present", None if current else new_view(cloud, group, request))
    view = change.after
    if change.changed:
        cloud.authorize("network:%s_security_group_rule" % change.action, {"project_id": group.project_id})
        if not module.check_mode:
            if change.action == "create":
                view = rule_view(service.add_rule(cloud.ctx, group.id, request))
            else:
                service.delete_rule(cloud.ctx, change.before["id"])
    return state_result(module, change, "rule", view)


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
