"""The administrator's and the tenant's face of placement and the scheduler, through the policy:
compute hosts, host aggregates, flavors, server groups, keypairs, allocations and usage.

Each service takes a Context first and checks the policy (``stackling/policy/default_policy.yaml``)
before anything else, like stackling.identity.service and stackling.quota.service; the engines
underneath (stackling.placement, stackling.scheduler) trust their caller.
"""

from stackling.compute.aggregates import AggregateService
from stackling.compute.flavors import FlavorService
from stackling.compute.hosts import ComputeHostService, HostSpec
from stackling.compute.keypairs import Keypair, KeypairService
from stackling.compute.server_groups import ServerGroupService
from stackling.compute.types import AllocationRecord, ComputeHost, Flavor, HostAggregate, ServerGroupRecord
from stackling.compute.usage import AllocationService

__all__ = [
    "AggregateService",
    "AllocationRecord",
    "AllocationService",
    "ComputeHost",
    "ComputeHostService",
    "Flavor",
    "FlavorService",
    "HostAggregate",
    "HostSpec",
    "Keypair",
    "KeypairService",
    "ServerGroupRecord",
    "ServerGroupService",
]
