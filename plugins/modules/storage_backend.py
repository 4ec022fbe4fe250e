#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_backend
short_description: Register, change or remove a Stackling storage backend
description:
  - Ensures a volume backend (cinder's pool) is registered with the volume scheduler, or is not.
  - Its placement inventory follows cinder's capacity rules (C(DISK_GB) total = O(total_capacity_gb),
    reserved = O(reserved_percentage) of it, allocation ratio = O(max_over_subscription_ratio) for
    thin backends), so the volume scheduler and the claims agree.
  - Only cloud admins may manage backends (policy C(volume:*_backend)). A backend holding volumes
    (allocations) is not removed.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name of the backend (e.g. C(storage1@lvm)).
    type: str
    required: true
  state:
    description:
      - V(present) registers or updates the backend; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  driver:
    description:
      - Volume driver. Required to register a backend.
    type: str
    choices: [lvm, file]
  total_capacity_gb:
    description:
      - Size of the backend in GiB (at least 1). Required to register a backend.
    type: float
  free_capacity_gb:
    description:
      - Physically free space in GiB, as the storage node reports it. Defaults to O(total_capacity_gb)
        for a new backend; left as it is when omitted.
    type: float
  thin_provisioning:
    description:
      - Whether the backend provisions thin volumes (over-subscription by O(max_over_subscription_ratio)).
    type: bool
    default: false
  max_over_subscription_ratio:
    description:
      - How far thin volumes may over-subscribe the backend (at least 1.0).
    type: float
    default: 20.0
  reserved_percentage:
    description:
      - Percentage of the backend kept free (0 to 100).
    type: int
    default: 0
  availability_zone:
    description:
      - The zone of the backend; it joins the aggregate that defines the zone (created, named like
        the zone, when none does). Left as it is when omitted (the configured
        C(volume_scheduler.default_availability_zone) for a backend in no zone).
    type: str
  enabled:
    description:
      - Whether new volumes may be placed on the backend. Left as it is when omitted (V(true) for a new backend).
    type: bool
"""

EXAMPLES = r"""
- name: An LVM thin pool of 2 TiB
  stackling.cloud.storage_backend:
    cloud: admin
    name: storage1@lvm
    driver: lvm
    total_capacity_gb: 2048
    thin_provisioning: true
    max_over_subscription_ratio: 4.0
    reserved_percentage: 5
    availability_zone: az1
"""

RETURN = r"""
storage_backend:
  description: The backend after the run (in check mode, as it would be; the uuid of a backend not yet registered is null).
  returned: when O(state=present)
  type: dict
  contains:
    name: {description: "Backend name.", type: str}
    uuid: {description: "Uuid of its resource provider.", type: str}
    driver: {description: "Volume driver.", type: str, sample: lvm}
    total_capacity_gb: {description: "Size in GiB.", type: float}
    free_capacity_gb: {description: "Free space reported, in GiB.", type: float}
    provisioned_capacity_gb: {description: "GiB of volumes placed on it.", type: float}
    thin_provisioning: {description: "Whether it provisions thin volumes.", type: bool}
    max_over_subscription_ratio: {description: "Over-subscription ratio of thin volumes.", type: float}
    reserved_percentage: {description: "Percentage kept free.", type: int}
    availability_zone: {description: "Its zone.", type: str}
    enabled: {description: "Whether new volumes may go there.", type: bool}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import STATE_SPEC, plan, state_result, wanted
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import storage_backend_view
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": STATE_SPEC,
    "driver": {"type": "str", "choices": ["lvm", "file"]},
    "total_capacity_gb": {"type": "float"},
    "free_capacity_gb": {"type": "float"},
    "thin_provisioning": {"type": "bool", "default": False},
    "max_over_subscription_ratio": {"type": "float", "default": 20.0},
    "reserved_percentage": {"type": "int", "default": 0},
    "availability_zone": {"type": "str"},
    "enabled": {"type": "bool"},
}
SPEC_KEYS = ("driver", "total_capacity_gb", "free_capacity_gb", "thin_provisioning", "max_over_subscription_ratio",
             "reserved_percentage", "availability_zone", "enabled")


def desired_backend(params):
    for option in ("total_capacity_gb", "free_capacity_gb", "max_over_subscription_ratio"):
        if params[option] is not None:
            params[option] = float(params[option])
    return wanted(**dict((key, params[key]) for key in SPEC_KEYS))


def new_backend(cloud, params, desired):
    for option in ("driver", "total_capacity_gb"):
        if params[option] is None:
            raise InvalidInput(option, "a new storage backend needs driver and total_capacity_gb")
    new = {"name": params["name"], "uuid": None, "free_capacity_gb": params["total_capacity_gb"],
           "provisioned_capacity_gb": 0.0, "enabled": True,
           "availability_zone": cloud.controller.config.volume_scheduler.default_availability_zone}
    return dict(new, **desired)


def run(module, cloud):
    params = module.params
    found = cloud.storage_backends.find(cloud.ctx, params["name"])
    current = storage_backend_view(found) if found else None
    desired = desired_backend(params)
    spec = cloud.storage_backends.spec(**desired) if params["state"] == "present" else None
    new = new_backend(cloud, params, desired) if current is None and params["state"] == "present" else None
    change = plan(current, desired, params["state"], new)
    view = change.after
    if change.changed:
        cloud.authorize("volume:%s_backend" % change.action, {})
        if change.action == "delete" and current["provisioned_capacity_gb"]:
            raise InvalidInput("state", "storage backend %s holds volumes (%s GiB provisioned); it is not removed"
                               % (params["name"], current["provisioned_capacity_gb"]))
        if not module.check_mode:
            if change.action == "delete":
                cloud.storage_backends.delete(cloud.ctx, params["name"])
                view = None
            else:
                view = storage_backend_view(cloud.storage_backends.apply(cloud.ctx, params["name"], spec))
    return state_result(module, change, "storage_backend", view)


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
