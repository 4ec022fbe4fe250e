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


def find_or_list(name, find, list_all):
    """What an ``*_info`` module returns: ``[find(name)]`` (or ``[]`` when missing) if a name is
    given, else everything ``list_all()`` returns."""
    if name is not None:
        found = find(name)
        return [found] if found is not None else []
    return list(list_all())


def inventory_view(inventory):
    """An inventory as the compute_host option reads (``max_unit`` filled in)."""
    return {"total": inventory.total, "reserved": inventory.reserved,
            "allocation_ratio": float(inventory.allocation_ratio), "min_unit": inventory.min_unit,
            "max_unit": inventory.effective_max_unit, "step_size": inventory.step_size}


def compute_host_view(host):
    return {"name": host.name, "uuid": host.uuid, "enabled": host.enabled, "disabled_reason": host.disabled_reason,
            "hypervisor_type": host.hypervisor_type, "architecture": host.architecture,
            "availability_zone": host.availability_zone, "aggregates": list(host.aggregates),
            "traits": list(host.traits),
            "inventory": dict((rc, inventory_view(inv.spec)) for rc, inv in host.inventories.items())}


def compute_host_info_view(host):
    """compute_host_view plus, per resource class, ``used`` and ``capacity`` (and the host's allocations flag)."""
    view = compute_host_view(host)
    for rc, inv in host.inventories.items():
        view["inventory"][rc].update(used=inv.used, capacity=inv.capacity)
    view["has_allocations"] = host.has_allocations
    return view


def aggregate_view(aggregate):
    return {"uuid": aggregate.uuid, "name": aggregate.name, "metadata": dict(aggregate.metadata),
            "availability_zone": aggregate.metadata.get("availability_zone"), "hosts": list(aggregate.hosts)}


def storage_backend_view(backend):
    return {"name": backend.name, "uuid": backend.uuid, "driver": backend.driver,
            "total_capacity_gb": float(backend.total_capacity_gb), "free_capacity_gb": float(backend.free_capacity_gb),
            "provisioned_capacity_gb": float(backend.provisioned_capacity_gb),
            "thin_provisioning": backend.thin_provisioning,
            "max_over_subscription_ratio": float(backend.max_over_subscription_ratio),
            "reserved_percentage": backend.reserved_percentage, "availability_zone": backend.availability_zone,
            "enabled": backend.enabled}


def server_group_view(group):
    return {"id": group.id, "name": group.name, "policy": group.policy, "project_id": group.project_id,
            "user_id": group.user_id, "members": list(group.members)}


def flavor_view(flavor):
    """A flavor; ``project_access`` holds the ids of the projects granted a private flavor."""
    return {"id": flavor.id, "name": flavor.name, "vcpus": flavor.vcpus, "ram": flavor.ram_mb,
            "disk": flavor.disk_gb, "ephemeral": flavor.ephemeral_gb, "swap": flavor.swap_mb,
            "is_public": flavor.is_public, "description": flavor.description,
            "extra_specs": dict(flavor.extra_specs),
            "project_access": sorted(flavor.projects)}


def allocation_view(allocation):
    return {"consumer_uuid": allocation.consumer_uuid, "project_id": allocation.project_id,
            "user_id": allocation.user_id, "consumer_type": allocation.consumer_type, "host": allocation.provider,
            "host_uuid": allocation.provider_uuid, "resource_class": allocation.resource_class,
            "used": allocation.used}
