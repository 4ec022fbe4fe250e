"""Quota administration through the policy: read limits and usage, set limits."""

from __future__ import annotations

from collections.abc import Mapping

from stackling.context import Context
from stackling.db import Database
from stackling.identity import lookup
from stackling.policy import Enforcer
from stackling.quota.engine import QuotaEngine, QuotaUsage


class QuotaService:
    def __init__(self, db: Database, enforcer: Enforcer, engine: QuotaEngine) -> None:
        self._db = db
        self._enforcer = enforcer
        self.engine = engine

    def _project_target(self, ctx: Context, action: str, project: str) -> str:
        with self._db.read() as session:
            row = lookup.project_row(session, project)
        self._enforcer.enforce(action, {"project_id": row.id, "domain_id": row.domain_id}, ctx)
        return row.id

    def get_limits(self, ctx: Context, project: str) -> dict[str, int]:
        project_id = self._project_target(ctx, "quota:get", project)
        with self._db.read() as session:
            return self.engine.limits(session, project_id)

    def get_usage(self, ctx: Context, project: str) -> dict[str, QuotaUsage]:
        project_id = self._project_target(ctx, "quota:get", project)
        with self._db.read() as session:
            return self.engine.usage(session, project_id)

    def set_limits(self, ctx: Context, project: str, limits: Mapping[str, int]) -> dict[str, int]:
        project_id = self._project_target(ctx, "quota:update", project)
        with self._db.write() as session:
            self.engine.set_limits(session, project_id, limits)
            return self.engine.limits(session, project_id)
