# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the volume cloud modules share: the views of volumes and snapshots (plain dicts). A
volume's ``backend`` and its attachments' ``host`` are there only for callers the library shows
them to (cloud admins)."""

from __future__ import annotations

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import format_time


def attachment_view(attachment):
    view = {"server_id": attachment.server_id, "device": attachment.device}
    if attachment.host is not None:
        view["host"] = attachment.host
    return view


def volume_view(volume):
    view = {"id": volume.id, "name": volume.name, "description": volume.description,
            "project_id": volume.project_id, "user_id": volume.user_id, "size": volume.size_gb,
            "status": volume.status, "fault": volume.fault or None, "volume_type": volume.volume_type,
            "source_image_id": volume.source_image_id, "source_snapshot_id": volume.source_snapshot_id,
            "attachments": [attachment_view(a) for a in volume.attachments],
            "created_at": format_time(volume.created_at), "updated_at": format_time(volume.updated_at)}
    if volume.backend is not None:
        view["backend"] = volume.backend
    return view


def snapshot_view(snapshot):
    return {"id": snapshot.id, "name": snapshot.name, "description": snapshot.description,
            "project_id": snapshot.project_id, "volume_id": snapshot.volume_id, "size": snapshot.size_gb,
            "status": snapshot.status, "fault": snapshot.fault or None,
            "created_at": format_time(snapshot.created_at), "updated_at": format_time(snapshot.updated_at)}


def volume_type_view(volume_type):
    return {"id": volume_type.id, "name": volume_type.name, "backend": volume_type.backend,
            "description": volume_type.description}
