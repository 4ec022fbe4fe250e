#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: volume
short_description: Create, extend or delete a Stackling block storage volume
description:
  - Ensures the volume O(name) of the caller's project exists with at least O(size) GiB, or does not.
  - A new volume is empty, or filled from O(image) or from O(snapshot) (on the snapshot's backend).
    The volume scheduler puts it on a storage backend of O(volume_type) with room for it; the run
    returns when the volume is C(available), or fails with the reason when it ended in C(error)
    (an error volume holds only its quota; delete it with O(state=absent)).
  - A bigger O(size) extends an existing volume (an attached one must be detached first); volumes
    never shrink, and O(volume_type), O(image) and O(snapshot) only apply when it is created.
  - A volume that is attached to a server, or has snapshots, is not deleted; the run fails saying so.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name (or id) of the volume in the caller's project.
    type: str
    required: true
  state:
    description:
      - V(present) creates or extends the volume; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  size:
    description:
      - Size in GiB. Required to create a volume; a bigger value extends an existing one.
    type: int
  volume_type:
    description:
      - Volume type (name or id) choosing the storage backends; the cloud's C(default) type when omitted.
    type: str
  image:
    description:
      - Image (name or id) written into the new volume. O(size) must hold the image's virtual size.
    type: str
  snapshot:
    description:
      - Snapshot (name or id) the new volume is copied from.
    type: str
  description:
    description:
      - Free text kept with a new volume.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: A 10 GiB data volume
  stackling.cloud.volume:
    cloud: web-member
    name: data
    size: 10

- name: Grow it to 20 GiB
  stackling.cloud.volume:
    cloud: web-member
    name: data
    size: 20

- name: A bootable copy of an image on the fast backends
  stackling.cloud.volume:
    cloud: web-member
    name: root-copy
    size: 2
    image: debian-12
    volume_type: fast

- name: Delete it
  stackling.cloud.volume:
    cloud: web-member
    name: data
    state: absent
"""

RETURN = r"""
volume:
  description: The volume after the run (in check mode, as it would be; unknown fields are null).
  returned: when O(state=present)
  type: dict
  contains:
    id: {description: "Volume id.", type: str}
    name: {description: "Volume name.", type: str}
    description: {description: "Free text.", type: str}
    size: {description: "Size in GiB.", type: int, sample: 10}
    status: {description: "creating, available, in-use, extending, error or deleting.", type: str, sample: available}
    fault: {description: "Why the volume is in error (null otherwise).", type: str}
    volume_type: {description: "Volume type name.", type: str, sample: default}
    source_image_id: {description: "Image it was made from, or null.", type: str}
    source_snapshot_id: {description: "Snapshot it was made from, or null.", type: str}
    attachments:
      description: "Servers it is attached to: server_id, device (the guest's disk, e.g. vdc), host (cloud admins only)."
      type: list
      elements: dict
    project_id: {description: "Owner project id.", type: str}
    user_id: {description: "Creating user id.", type: str}
    backend: {description: "Storage backend; cloud admins only.", type: str, returned: for cloud admins}
    created_at: {description: "Creation time, ISO 8601 UTC.", type: str}
    updated_at: {description: "Last change, ISO 8601 UTC.", type: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import Plan, plan, state_result
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_volumes import volume_view
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, StacklingError

try:
    from stackling.storage import VolumeRequest
except ImportError:  # run_cloud_module() fails first, saying the library is missing
    VolumeRequest = None

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "size": {"type": "int"},
    "volume_type": {"type": "str"},
    "image": {"type": "str"},
    "snapshot": {"type": "str"},
    "description": {"type": "str", "default": ""},
}


def planned(params, current):
    if params["state"] == "absent":
        return plan(current, {}, "absent")
    size = params["size"]
    if size is not None and size < 1:
        raise InvalidInput("size", "expected GiB >= 1, got %d" % size)
    if current is None:
        if size is None:
            raise InvalidInput("size", "required to create volume %s" % params["name"])
        return Plan("create", None, {"id": None, "name": params["name"], "description": params["description"],
                                     "size": size, "status": None, "fault": None, "attachments": [],
                                     "volume_type": params["volume_type"] or "default"})
    if size is None or size == current["size"]:
        return plan(current, {}, "present")
    if size < current["size"]:
        raise InvalidInput("size", "volume %s is %d GiB; volumes only grow (asked %d)"
                           % (current["name"], current["size"], size))
    return Plan("extend", current, dict(current, size=size), ["size"])


def run(module, cloud):
    params = module.params
    volumes = cloud.controller.volumes
    found = volumes.find(cloud.ctx, params["name"])
    current = volume_view(found) if found else None
    change = planned(params, current)
    view = change.after
    if change.changed:
        target = {"project_id": (current or {}).get("project_id") or cloud.ctx.project_id}
        cloud.authorize("volume:%s_volume" % change.action, target)
        if not module.check_mode:
            view = apply(cloud, params, change)
    result = state_result(module, change, "volume", view)
    if view is not None and view["status"] == "error" and change.action == "create":
        raise StacklingError("volume %s (%s) is in error: %s" % (view["name"], view["id"], view["fault"]),
                             volume=view, changed=True)
    return result


def apply(cloud, params, change):
    volumes = cloud.controller.volumes
    if change.action == "delete":
        volumes.delete(cloud.ctx, change.before["id"])
        return None
    if change.action == "extend":
        return volume_view(volumes.extend(cloud.ctx, change.before["id"], params["size"]))
    request = VolumeRequest(params["name"], size_gb=params["size"], volume_type=params["volume_type"],
                            image=params["image"], snapshot=params["snapshot"], description=params["description"])
    return volume_view(volumes.create(cloud.ctx, request))


def main():
    module = cloud_module(ARGUMENT_SPEC, mutually_exclusive=[["image", "snapshot"]])
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
