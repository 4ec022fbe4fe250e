# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control library's records as the plain dicts the cloud modules return and compare (never secrets)."""

from __future__ import annotations

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import format_time


def project_view(project):
    return {"id": project.id, "name": project.name, "domain_id": project.domain_id,
            "description": project.description, "enabled": project.enabled}


def user_view(user):
    return {"id": user.id, "name": user.name, "domain_id": user.domain_id, "enabled": user.enabled,
            "has_password": user.has_password}


def assignment_view(assignment):
    return {"role_id": assignment.role_id, "role_name": assignment.role_name, "user_id": assignment.user_id,
            "group_id": assignment.group_id, "project_id": assignment.project_id, "domain_id": assignment.domain_id}


def credential_view(credential):
    return {"id": credential.id, "name": credential.name, "user_id": credential.user_id,
            "project_id": credential.project_id, "description": credential.description,
            "roles": sorted(credential.roles), "expires_at": format_time(credential.expires_at)}
