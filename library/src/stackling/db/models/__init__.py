"""The state store's tables (SQLAlchemy 2 typed declarative models).

Changing a model means writing an Alembic revision under ``stackling/db/migrations``;
tests/library/test_db.py fails when the models and the migrations disagree.
"""

from stackling.db.models.base import Base, new_id
from stackling.db.models.identity import (
    AssignmentType,
    Domain,
    Group,
    GroupMembership,
    ImpliedRole,
    Project,
    Role,
    RoleAssignment,
    User,
)
from stackling.db.models.credentials import ApplicationCredential, ApplicationCredentialRole, RevocationEvent
from stackling.db.models.quota import QuotaLimit, QuotaUsage
from stackling.db.models.flavor import Flavor, FlavorExtraSpec, FlavorProject
from stackling.db.models.image import Image, ImageMember, ImageProperty
from stackling.db.models.keypair import Keypair
from stackling.db.models.placement import (
    Aggregate,
    AggregateMetadata,
    Allocation,
    ComputeHost,
    Consumer,
    Inventory,
    ProviderAggregate,
    ProviderTrait,
    ResourceProvider,
    ServerGroup,
    ServerGroupMember,
    StorageBackend,
)
from stackling.db.models.network import (
    AllocationPool,
    FloatingIp,
    IpAllocation,
    Network,
    Port,
    Subnet,
    SubnetDnsNameserver,
    SubnetHostRoute,
)
from stackling.db.models.router import Router, RouterInterface
from stackling.db.models.server import Server, ServerAction
from stackling.db.models.security_group import PortSecurityGroup, SecurityGroup, SecurityGroupRule
from stackling.db.models.volume import Volume, VolumeAttachment, VolumeSnapshot, VolumeType

__all__ = [
    "Aggregate",
    "AggregateMetadata",
    "Allocation",
    "AllocationPool",
    "ApplicationCredential",
    "ApplicationCredentialRole",
    "AssignmentType",
    "Base",
    "ComputeHost",
    "Consumer",
    "Domain",
    "Flavor",
    "FlavorExtraSpec",
    "FlavorProject",
    "FloatingIp",
    "Group",
    "GroupMembership",
    "Image",
    "ImageMember",
    "ImageProperty",
    "ImpliedRole",
    "Inventory",
    "IpAllocation",
    "Keypair",
    "Network",
    "Port",
    "PortSecurityGroup",
    "Project",
    "ProviderAggregate",
    "ProviderTrait",
    "QuotaLimit",
    "QuotaUsage",
    "ResourceProvider",
    "RevocationEvent",
    "Role",
    "RoleAssignment",
    "Router",
    "RouterInterface",
    "SecurityGroup",
    "SecurityGroupRule",
    "Server",
    "ServerAction",
    "ServerGroup",
    "ServerGroupMember",
    "StorageBackend",
    "Subnet",
    "SubnetDnsNameserver",
    "SubnetHostRoute",
    "User",
    "Volume",
    "VolumeAttachment",
    "VolumeSnapshot",
    "VolumeType",
    "new_id",
]
