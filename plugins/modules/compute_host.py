#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: compute_host
short_description: Register, change or remove a Stackling compute host
description:
  - Ensures a compute host is registered with the scheduler (a placement resource provider with
    its inventories, traits and aggregates, plus the compute record with enabled, hypervisor and
    architecture), or is not.
  - Options left out are left as they are on an existing host. A new host needs O(inventory).
  - Only cloud admins may manage hosts (policy C(compute:create_host), C(compute:update_host),
    C(compute:delete_host)).
  - The traits C(COMPUTE_NODE) and C(COMPUTE_STATUS_DISABLED) are managed by the library
    (registration, O(enabled)); they cannot be set in O(traits) and are not returned.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name of the host (the name its compute node reports).
    type: str
    required: true
  state:
    description:
      - V(present) registers or updates the host; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  enabled:
    description:
      - Whether the scheduler may place new servers on the host (running servers stay).
      - Left as it is when omitted (V(true) for a new host).
    type: bool
  disabled_reason:
    description:
      - Why the host is disabled; only with O(enabled=false).
    type: str
  inventory:
    description:
      - The host's resources, by resource class (V(VCPU), V(MEMORY_MB), V(DISK_GB), V(PCPU), or
        V(CUSTOM_*)); replaces every inventory of the host. A class in use cannot be removed or
        shrunk below its usage.
      - Each value is a dict with C(total) (required), C(reserved) (default 0),
        C(allocation_ratio) (default 1.0), C(min_unit) (default 1), C(max_unit) (default
        C(total)) and C(step_size) (default 1). Capacity is C((total - reserved) * allocation_ratio).
    type: dict
  traits:
    description:
      - The host's traits (standard names such as V(HW_CPU_X86_AVX2) or V(CUSTOM_*)); replaces
        the current ones.
    type: list
    elements: str
  availability_zone:
    description:
      - The zone of the host. The host joins the aggregate that defines the zone (metadata
        C(availability_zone)); when none does, an aggregate named like the zone is created.
        Aggregates of another zone are left.
      - Without it, the zone follows the host's O(aggregates) (else the configured
        C(scheduler.default_availability_zone)).
    type: str
  aggregates:
    description:
      - Host aggregates (names) the host belongs to; membership is set to exactly this list
        (plus the zone's aggregate with O(availability_zone)). The aggregates must exist
        (M(stackling.cloud.host_aggregate)).
    type: list
    elements: str
  hypervisor_type:
    description:
      - Hypervisor type, matched by the image property C(img_hv_type).
    type: str
    default: QEMU
  architecture:
    description:
      - CPU architecture, matched by the image property C(hw_architecture).
    type: str
    default: x86_64
  force:
    description:
      - With O(state=absent), remove the host even though servers hold allocations on it (the
        allocations on this host are dropped). Without it, such a host is not removed.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: A compute host in zone az1 with 4x CPU overcommit
  stackling.cloud.compute_host:
    cloud: admin
    name: cn1
    availability_zone: az1
    inventory:
      VCPU: {total: 16, allocation_ratio: 4.0}
      MEMORY_MB: {total: 65536, reserved: 2048}
      DISK_GB: {total: 1000}
    traits: [HW_CPU_X86_AVX2, CUSTOM_SSD]
    aggregates: [fast-disks]

- name: Maintenance
  stackling.cloud.compute_host:
    cloud: admin
    name: cn1
    enabled: false
    disabled_reason: replacing a disk

- name: Retire it
  stackling.cloud.compute_host:
    cloud: admin
    name: cn1
    state: absent
"""

RETURN = r"""
compute_host:
  description: The host after the run (in check mode, as it would be; the uuid of a host not yet registered is null).
  returned: when O(state=present)
  type: dict
  contains:
    name: {description: "Host name.", type: str, sample: cn1}
    uuid: {description: "Uuid of its resource provider.", type: str}
    enabled: {description: "Whether new servers may be placed there.", type: bool}
    disabled_reason: {description: "Why it is disabled (empty when enabled).", type: str}
    hypervisor_type: {description: "Hypervisor type.", type: str, sample: QEMU}
    architecture: {description: "CPU architecture.", type: str, sample: x86_64}
    availability_zone: {description: "Its zone.", type: str, sample: az1}
    aggregates: {description: "Names of its aggregates, sorted.", type: list, elements: str}
    traits: {description: "The traits set by the operator, sorted.", type: list, elements: str}
    inventory:
      description: Per resource class, C(total), C(reserved), C(allocation_ratio), C(min_unit), C(max_unit), C(step_size).
      type: dict
      sample: {VCPU: {total: 16, reserved: 0, allocation_ratio: 4.0, min_unit: 1, max_unit: 16, step_size: 1}}
"""

from ansible.module_utils.common.validation import check_type_float, check_type_int

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import STATE_SPEC, plan, state_result, wanted
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import compute_host_view, inventory_view
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": STATE_SPEC,
    "enabled": {"type": "bool"},
    "disabled_reason": {"type": "str"},
    "inventory": {"type": "dict"},
    "traits": {"type": "list", "elements": "str"},
    "availability_zone": {"type": "str"},
    "aggregates": {"type": "list", "elements": "str"},
    "hypervisor_type": {"type": "str", "default": "QEMU"},
    "architecture": {"type": "str", "default": "x86_64"},
    "force": {"type": "bool", "default": False},
}
NUMBERS = {"total": check_type_int, "reserved": check_type_int, "min_unit": check_type_int,
           "max_unit": check_type_int, "step_size": check_type_int, "allocation_ratio": check_type_float}


def inventory_numbers(inventory):
    """The inventory with its numbers as numbers (templated values arrive as strings: ``"16"``)."""
    if inventory is None:
        return None
    out = {}
    for resource_class, raw in inventory.items():
        field = "inventory.%s" % resource_class
        if not isinstance(raw, dict):
            raise InvalidInput(field, "expected a dict with total, reserved, allocation_ratio, ...")
        out[resource_class] = dict(raw)
        for key, value in raw.items():
            if value is None or key not in NUMBERS:
                continue
            try:
                out[resource_class][key] = NUMBERS[key](value)
            except TypeError as exc:
                raise InvalidInput("%s.%s" % (field, key), str(exc)) from None
    return out


def host_spec(cloud, params):
    """The library's checked spec (errors name the option) and the desired view fields."""
    if params["disabled_reason"] is not None and params["enabled"] is not False:
        raise InvalidInput("disabled_reason", "a reason is given only with enabled: false")
    spec = cloud.compute_hosts.spec(
        inventory=inventory_numbers(params["inventory"]), traits=params["traits"], aggregates=params["aggregates"],
        availability_zone=params["availability_zone"], enabled=params["enabled"],
        disabled_reason=params["disabled_reason"], hypervisor_type=params["hypervisor_type"],
        architecture=params["architecture"])
    desired = wanted(enabled=params["enabled"], availability_zone=params["availability_zone"],
                     hypervisor_type=params["hypervisor_type"], architecture=params["architecture"])
    if params["enabled"] is not None:
        desired["disabled_reason"] = params["disabled_reason"] or ""
    if spec.inventories is not None:
        desired["inventory"] = dict((rc, inventory_view(inv)) for rc, inv in spec.inventories.items())
    if spec.traits is not None:
        desired["traits"] = sorted(spec.traits)
    aggregates = cloud.compute_hosts.aggregates_for(cloud.ctx, params["name"], params["aggregates"],
                                                    params["availability_zone"])
    if aggregates is not None:
        desired["aggregates"] = list(aggregates)
    return spec, desired


def new_host(cloud, params):
    return {"name": params["name"], "uuid": None, "enabled": True, "disabled_reason": "", "aggregates": [],
            "traits": [], "inventory": {},
            "availability_zone": cloud.controller.config.scheduler.default_availability_zone}


def run(module, cloud):
    params = module.params
    found = cloud.compute_hosts.find(cloud.ctx, params["name"])
    current = compute_host_view(found) if found else None
    if params["state"] == "absent":
        change = plan(current, {}, "absent")
        if change.changed:
            cloud.authorize("compute:delete_host", {})
            if found.has_allocations and not params["force"]:
                raise InvalidInput("force", "compute host %s holds allocations of servers; it is removed only "
                                   "with force: true (which drops them)" % params["name"])
            if not module.check_mode:
                cloud.compute_hosts.delete(cloud.ctx, params["name"], force=params["force"])
        return state_result(module, change, "compute_host", None)
    spec, desired = host_spec(cloud, params)
    if current is None and params["inventory"] is None:
        raise InvalidInput("inventory", "a new compute host needs its inventory")
    change = plan(current, desired, "present", dict(new_host(cloud, params), **desired))
    view = change.after
    if change.changed:
        cloud.authorize("compute:%s_host" % change.action, {})
        if not module.check_mode:
            view = compute_host_view(cloud.compute_hosts.apply(cloud.ctx, params["name"], spec))
    return state_result(module, change, "compute_host", view)


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
