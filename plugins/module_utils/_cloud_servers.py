# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the server cloud modules share: the server's view (a plain dict). ``host`` and
``hypervisor`` are in it only for callers the library shows them to (cloud admins)."""

from __future__ import annotations

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import format_time


def server_view(server):
    view = {"id": server.id, "name": server.name, "project_id": server.project_id, "user_id": server.user_id,
            "status": server.status, "fault": server.fault or None, "flavor_id": server.flavor_id,
            "image_id": server.image_id, "key_name": server.key_name,
            "availability_zone": server.availability_zone, "server_group_id": server.server_group_id,
            "addresses": dict((network, list(ips)) for network, ips in server.addresses.items()),
            "ports": list(server.ports), "security_groups": list(server.security_groups),
            "metadata": dict(getattr(server, "metadata", None) or {}), "created_at": format_time(server.created_at),
            "updated_at": format_time(server.updated_at)}
    if server.host is not None:
        view["host"] = server.host
        view["hypervisor"] = server.hypervisor
    return view
