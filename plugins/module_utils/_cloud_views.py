# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control library's records as the plain dicts the cloud modules return and compare (never secrets)."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
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


def run_info_module(
    argument_spec: dict,
    result_key: str,
    list_all: Optional[Callable[[Any, dict], Iterable[Any]]] = None,
    view: Optional[Callable[[Any], dict]] = None,
    find: Optional[Callable[[Any, dict, str], Any]] = None,
    keep: Optional[Callable[[dict, Any], bool]] = None,
    empty_if: Optional[Callable[[Any, dict], bool]] = None,
    cloud_view: Optional[Callable[[Any, Any], dict]] = None,
    service: Optional[Callable[[Any], Any]] = None,
    **module_kwargs: Any
) -> None:
    """Run a cloud ``*_info`` module: it exits with ``{"changed": False, result_key: [view, ...]}``.

    The hooks get the logged-in ``cloud`` and the module's ``params``:

    - ``list_all(cloud, params)``: the records the caller may see, narrowed by the module's filters;
    - ``find(cloud, params, name)``: the record named ``name`` (or with that id) or None; used instead of
      ``list_all`` when the ``name`` option is set (a module without ``find`` matches ``name`` in ``keep``);
    - ``keep(params, record)``: the filters the library does not apply itself (``external``, ``visibility``);
    - ``empty_if(cloud, params)``: True when a filter names something the caller cannot see (a missing
      ``network``): the answer is then an empty list, not an error;
    - ``view(record)``, or ``cloud_view(cloud, record)`` for a view that looks more up (exactly one of them);
    - ``service(cloud)``: instead of ``find`` and ``list_all``, a library service whose ``find(ctx, name)``
      and ``list(ctx)`` take no filter (``cloud.flavors``).

    ``module_kwargs`` go to AnsibleModule (``mutually_exclusive``, ``required_by``, ...).
    """
    if (view is None) == (cloud_view is None):
        raise TypeError("run_info_module wants exactly one of view and cloud_view")
    if service is not None:
        find, list_all = _service_lookups(service)
    if list_all is None:
        raise TypeError("run_info_module wants list_all or service")

    def run(module, cloud):
        params = module.params
        if empty_if is not None and empty_if(cloud, params):
            records = []
        elif find is not None:
            records = find_or_list(params.get("name"), lambda name: find(cloud, params, name),
                                   lambda: list_all(cloud, params))
        else:
            records = list(list_all(cloud, params))
        if keep is not None:
            records = [record for record in records if keep(params, record)]
        if cloud_view is not None:
            views = [cloud_view(cloud, record) for record in records]
        else:
            views = [view(record) for record in records]
        return {"changed": False, result_key: views}

    run_cloud_module(cloud_module(argument_spec, **module_kwargs), run)


def _service_lookups(service):
    """``find`` and ``list_all`` hooks over a library service's unfiltered ``find(ctx, name)`` and ``list(ctx)``."""
    def find(cloud, params, name):
        return service(cloud).find(cloud.ctx, name)

    def list_all(cloud, params):
        return service(cloud).list(cloud.ctx)

    return find, list_all


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
