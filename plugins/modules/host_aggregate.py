#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_aggregate
short_description: Create, update or delete a Stackling host aggregate
description:
  - Ensures a host aggregate exists with the given metadata and hosts, or does not exist.
  - The metadata key C(availability_zone) makes the aggregate an availability zone (a host may be
    in one zone only). Other keys are matched by flavor extra specs
    (C(aggregate_instance_extra_specs:KEY)) through the scheduler's C(AggregateInstanceExtraSpecsFilter).
  - Only cloud admins may manage aggregates (policy C(compute:*_aggregate)).
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name of the aggregate.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the aggregate; V(absent) deletes it (its hosts stay).
    type: str
    choices: [present, absent]
    default: present
  metadata:
    description:
      - Metadata keys and values (strings; numbers are turned into strings). Merged into the
        current metadata unless O(purge_metadata=true).
    type: dict
  purge_metadata:
    description:
      - Whether metadata keys not in O(metadata) (nor O(availability_zone)) are removed.
    type: bool
    default: false
  availability_zone:
    description:
      - Shortcut for the metadata key C(availability_zone).
    type: str
  hosts:
    description:
      - Names of the hosts (compute hosts or storage backends) in the aggregate.
      - With O(purge_hosts=true) membership is set to exactly this list; otherwise these hosts are
        added and the others stay. Left as it is when omitted.
    type: list
    elements: str
  purge_hosts:
    description:
      - Whether hosts not in O(hosts) are removed from the aggregate (only when O(hosts) is given).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Zone az1
  stackling.cloud.host_aggregate:
    cloud: admin
    name: rack-a
    availability_zone: az1
    hosts: [cn1, cn2]

- name: Hosts with SSDs, for flavors with aggregate_instance_extra_specs:disk=ssd
  stackling.cloud.host_aggregate:
    cloud: admin
    name: fast-disks
    metadata:
      disk: ssd
    hosts: [cn2]
"""

RETURN = r"""
aggregate:
  description: The aggregate after the run (in check mode, as it would be; the uuid of an aggregate not yet created is null).
  returned: when O(state=present)
  type: dict
  contains:
    uuid: {description: "Aggregate uuid.", type: str}
    name: {description: "Aggregate name.", type: str, sample: rack-a}
    metadata: {description: "Metadata.", type: dict, sample: {availability_zone: az1}}
    availability_zone: {description: "The zone it defines, or null.", type: str, sample: az1}
    hosts: {description: "Names of its hosts, sorted.", type: list, elements: str, sample: [cn1, cn2]}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import (
    STATE_SPEC,
    plan,
    state_result,
    string_values,
)
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import aggregate_view
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

ZONE = "availability_zone"
ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": STATE_SPEC,
    "metadata": {"type": "dict"},
    "purge_metadata": {"type": "bool", "default": False},
    "availability_zone": {"type": "str"},
    "hosts": {"type": "list", "elements": "str"},
    "purge_hosts": {"type": "bool", "default": True},
}


def desired_metadata(params, current):
    given = string_values("metadata", params["metadata"])
    if params["availability_zone"] is not None:
        if given.get(ZONE, params["availability_zone"]) != params["availability_zone"]:
            raise InvalidInput("availability_zone", "differs from metadata.availability_zone")
        given[ZONE] = params["availability_zone"]
    if params["metadata"] is None and params["availability_zone"] is None and not params["purge_metadata"]:
        return None
    base = {} if params["purge_metadata"] else dict(current or {})
    base.update(given)
    return base


def desired_hosts(params, current):
    if params["hosts"] is None:
        return None
    hosts = set(params["hosts"])
    if not params["purge_hosts"]:
        hosts |= set(current or ())
    return sorted(hosts)


def run(module, cloud):
    params = module.params
    found = cloud.aggregates.find(cloud.ctx, params["name"])
    current = aggregate_view(found) if found else None
    desired = {}
    metadata = desired_metadata(params, current and current["metadata"])
    if metadata is not None:
        desired.update(metadata=metadata, availability_zone=metadata.get(ZONE))
    hosts = desired_hosts(params, current and current["hosts"])
    if hosts is not None:
        unknown = cloud.aggregates.unknown_hosts(cloud.ctx, hosts)
        if unknown:
            raise InvalidInput("hosts", "no compute host or storage backend named %s" % ", ".join(unknown))
        desired["hosts"] = hosts
    new = {"uuid": None, "name": params["name"], "metadata": {}, "availability_zone": None, "hosts": []}
    change = plan(current, desired, params["state"], dict(new, **desired))
    view = change.after
    if change.changed:
        cloud.authorize("compute:%s_aggregate" % change.action, {})
        if not module.check_mode:
            view = apply(cloud, change, params["name"], metadata, hosts)
    return state_result(module, change, "aggregate", view)


def apply(cloud, change, name, metadata, hosts):
    if change.action == "delete":
        cloud.aggregates.delete(cloud.ctx, change.before["uuid"])
        return None
    before = (change.before or {}).get("metadata") or {}
    delta = None
    if metadata is not None:
        delta = dict((key, None) for key in before if key not in metadata)
        delta.update((key, value) for key, value in metadata.items() if before.get(key) != value)
    return aggregate_view(cloud.aggregates.apply(cloud.ctx, name, metadata=delta, hosts=hosts))


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
