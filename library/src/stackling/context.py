"""Who is calling: the request context every service method takes, built from a validated token."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Context:
    """The caller. ``roles`` are effective role names (implied roles and group grants included).

    Exactly one of ``project_id`` (project scope) and ``domain_id`` (domain scope) is set.
    """

    user_id: str
    user_domain_id: str
    roles: frozenset[str]
    project_id: str | None = None
    project_domain_id: str | None = None
    domain_id: str | None = None
    is_admin_project: bool = False
    application_credential_id: str | None = None
    audit_id: str | None = None
    expires_at: datetime | None = None
    methods: tuple[str, ...] = field(default=())

    @classmethod
    def local_operator(cls, admin_project_id: str | None = None) -> Context:
        """The operator at the controller (``stackling-manage``): acts as the cloud admin.

        Whoever can read the controller configuration (and so the database URL) owns the
        cloud anyway; this context makes that explicit and still goes through the policy.
        """
        return cls(
            user_id="stackling-manage",
            user_domain_id="default",
            roles=frozenset({"admin", "member", "reader"}),
            project_id=admin_project_id,
            is_admin_project=True,
            methods=("local",),
        )

    def policy_credentials(self) -> dict[str, Any]:
        """The attributes policy rules may test (``role:``, ``project_id:``, ``is_admin_project:``, ...)."""
        return {
            "user_id": self.user_id,
            "user_domain_id": self.user_domain_id,
            "roles": sorted(self.roles),
            "project_id": self.project_id,
            "project_domain_id": self.project_domain_id,
            "domain_id": self.domain_id,
            "is_admin_project": self.is_admin_project,
            "application_credential_id": self.application_credential_id,
            "is_application_credential": self.application_credential_id is not None,
        }
