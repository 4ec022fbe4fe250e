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

__all__ = [
    "ApplicationCredential",
    "ApplicationCredentialRole",
    "AssignmentType",
    "Base",
    "Domain",
    "Group",
    "GroupMembership",
    "ImpliedRole",
    "Project",
    "QuotaLimit",
    "QuotaUsage",
    "RevocationEvent",
    "Role",
    "RoleAssignment",
    "User",
    "new_id",
]
