"""The identity service: every operation takes a Context and is checked by the policy first.

    identity = IdentityService(db, enforcer, hasher, revocations, clock)
    project = identity.create_project(ctx, "web", domain_id="default")
    identity.assign_role(ctx, "member", user="alice", project=project.id)

Methods are grouped by concern in ResourceOps (domains, projects), UserOps (users,
groups), AssignmentOps (roles, implied roles, grants) and ApplicationCredentialOps.
"""

from __future__ import annotations

from stackling.identity.app_credentials import ApplicationCredentialOps
from stackling.identity.assignments import AssignmentOps
from stackling.identity.resources import ResourceOps
from stackling.identity.users import UserOps


class IdentityService(ResourceOps, UserOps, AssignmentOps, ApplicationCredentialOps):
    """Domains, projects, users, groups, roles, grants and application credentials."""
