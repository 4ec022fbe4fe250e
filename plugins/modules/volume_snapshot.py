#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: volume_snapshot
short_description: Take or delete a snapshot of a Stackling volume
description:
  - Ensures the snapshot O(name) of O(volume) exists, or does not.
  - A snapshot is a point-in-time copy on the volume's storage backend. It counts against the
    C(snapshots) and C(gigabytes) quotas. New volumes can be made from it (M(stackling.cloud.volume)
    O(stackling.cloud.volume#module:snapshot)); its volume cannot be deleted while it exists.
  - An attached volume may be written to while it is copied, so it is snapshotted only with O(force=true).
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name (or id) of the snapshot in the caller's project.
    type: str
    required: true
  volume:
    description:
      - The volume (name or id) to snapshot. Required to take a snapshot.
    type: str
  state:
    description:
      - V(present) takes the snapshot; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  description:
    description:
      - Free text kept with a new snapshot.
    type: str
    default: ""
  force:
    description:
      - Snapshot a volume that is attached to a server (in-use).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Snapshot the data volume before an upgrade
  stackling.cloud.volume_snapshot:
    cloud: web-member
    name: data-before-upgrade
    volume: data

- name: Delete the snapshot
  stackling.cloud.volume_snapshot:
    cloud: web-member
    name: data-before-upgrade
    state: absent
"""

RETURN = r"""
snapshot:
  description: The snapshot after the run (in check mode, as it would be; unknown fields are null).
  returned: when O(state=present)
  type: dict
  contains:
    id: {description: "Snapshot id.", type: str}
    name: {description: "Snapshot name.", type: str}
    description: {description: "Free text.", type: str}
    volume_id: {description: "The volume it is a copy of.", type: str}
    size: {description: "Size in GiB (the volume's).", type: int}
    status: {description: "creating, available, error or deleting.", type: str, sample: available}
    fault: {description: "Why it is in error (null otherwise).", type: str}
    project_id: {description: "Owner project id.", type: str}
    created_at: {description: "Creation time, ISO 8601 UTC.", type: str}
    updated_at: {description: "Last change, ISO 8601 UTC.", type: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import Plan, plan, state_result
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_volumes import snapshot_view
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, StacklingError

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "volume": {"type": "str"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "description": {"type": "str", "default": ""},
    "force": {"type": "bool", "default": False},
}


def planned(cloud, params, current):
    if params["state"] == "absent":
        return plan(current, {}, "absent"), None
    if not params["volume"]:
        if current is None:
            raise InvalidInput("volume", "required to take snapshot %s" % params["name"])
        return plan(current, {}, "present"), None
    volume = cloud.controller.volumes.find(cloud.ctx, params["volume"])
    if volume is None:
        raise InvalidInput("volume", "no volume %s in the caller's project" % params["volume"])
    if current is not None:
        if current["volume_id"] != volume.id:
            raise InvalidInput("volume", "snapshot %s is of volume %s, not %s"
                               % (current["name"], current["volume_id"], params["volume"]))
        return plan(current, {}, "present"), volume
    return Plan("create", None, {"id": None, "name": params["name"], "description": params["description"],
                                 "volume_id": volume.id, "size": volume.size_gb, "status": None,
                                 "fault": None}), volume


def run(module, cloud):
    params = module.params
    snapshots = cloud.controller.volume_snapshots
    found = snapshots.find(cloud.ctx, params["name"])
    current = snapshot_view(found) if found else None
    change, volume = planned(cloud, params, current)
    view = change.after
    if change.changed:
        owner = current["project_id"] if current else volume.project_id
        cloud.authorize("volume:%s_snapshot" % change.action, {"project_id": owner})
        if not module.check_mode:
            if change.action == "delete":
                snapshots.delete(cloud.ctx, current["id"])
                view = None
            else:
                view = snapshot_view(snapshots.create(cloud.ctx, volume.id, params["name"],
                                                      description=params["description"], force=params["force"]))
    result = state_result(module, change, "snapshot", view)
    if view is not None and view["status"] == "error" and change.action == "create":
        raise StacklingError("snapshot %s (%s) is in error: %s" % (view["name"], view["id"], view["fault"]),
                             snapshot=view, changed=True)
    return result


def main():
    run_cloud_module(cloud_module(ARGUMENT_SPEC), run)


if __name__ == "__main__":
    main()
