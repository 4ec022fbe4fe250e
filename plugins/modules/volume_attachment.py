#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: volume_attachment
short_description: Attach a Stackling volume to a server, or detach it
description:
  - Ensures O(volume) is attached to O(server), or is not.
  - The guest sees a new virtio disk (C(vdc) onwards), hot-plugged into the running server; the
    volume is C(in-use) until it is detached. Both must be in the same project; a volume is
    attached to one server at a time (one attached elsewhere fails, naming that server).
  - On an all-in-one the storage host is the compute host and the volume goes straight into the
    server; across hosts it is exported with tgt and the compute host's QEMU logs in to it over iSCSI.
  - Detaching waits until the guest released the disk.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  volume:
    description:
      - The volume (name or id).
    type: str
    required: true
  server:
    description:
      - The server (name or id).
    type: str
    required: true
  state:
    description:
      - V(present) attaches the volume to the server; V(absent) detaches it from the server.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Give web-1 the data volume
  stackling.cloud.volume_attachment:
    cloud: web-member
    volume: data
    server: web-1

- name: Take it away again
  stackling.cloud.volume_attachment:
    cloud: web-member
    volume: data
    server: web-1
    state: absent
"""

RETURN = r"""
attachment:
  description: The attachment after the run (null when detached; in check mode the device is null).
  returned: always
  type: dict
  contains:
    volume_id: {description: "Volume id.", type: str}
    server_id: {description: "Server id.", type: str}
    device: {description: "The guest's disk name.", type: str, sample: vdc}
volume:
  description: The volume after the run (see M(stackling.cloud.volume)).
  returned: always
  type: dict
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import Plan, state_result
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_volumes import volume_view
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

ARGUMENT_SPEC = {
    "volume": {"type": "str", "required": True},
    "server": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}


def lookup(cloud, params):
    volume = cloud.controller.volumes.find(cloud.ctx, params["volume"])
    if volume is None:
        raise InvalidInput("volume", "no volume %s in the caller's project" % params["volume"])
    server = cloud.controller.servers.find(cloud.ctx, params["server"])
    if server is None:
        raise InvalidInput("server", "no server %s in the caller's project" % params["server"])
    return volume, server


def planned(params, volume, server):
    current = next(({"volume_id": volume.id, "server_id": a.server_id, "device": a.device}
                    for a in volume.attachments), None)
    if current is not None and current["server_id"] != server.id:
        if params["state"] == "absent":
            return Plan(None, None, None)
        raise InvalidInput("volume", "volume %s is attached to server %s; detach it there first"
                           % (volume.name, current["server_id"]))
    if params["state"] == "absent":
        return Plan("detach" if current else None, current, None)
    if current is not None:
        return Plan(None, current, current)
    return Plan("attach", None, {"volume_id": volume.id, "server_id": server.id, "device": None})


def run(module, cloud):
    volume, server = lookup(cloud, module.params)
    change = planned(module.params, volume, server)
    view, shown = change.after, volume_view(volume)
    if change.changed:
        cloud.authorize("volume:%s_volume" % change.action, {"project_id": volume.project_id})
        if not module.check_mode:
            service = cloud.controller.volume_attachments
            if change.action == "attach":
                after = service.attach(cloud.ctx, volume.id, server.id)
                device = next(a.device for a in after.attachments if a.server_id == server.id)
                view = dict(change.after, device=device)
            else:
                after = service.detach(cloud.ctx, volume.id, server.id)
            shown = volume_view(after)
    return state_result(module, change, "attachment", view, volume=shown)


def main():
    run_cloud_module(cloud_module(ARGUMENT_SPEC), run)


if __name__ == "__main__":
    main()
