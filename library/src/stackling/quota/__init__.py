"""Quotas: per-project limits with configured defaults, usage counted in the creating transaction."""

from stackling.quota.engine import QuotaEngine, QuotaUsage
from stackling.quota.resources import BUILTIN_DEFAULTS, RESOURCES, UNLIMITED
from stackling.quota.service import QuotaService

__all__ = ["BUILTIN_DEFAULTS", "RESOURCES", "UNLIMITED", "QuotaEngine", "QuotaService", "QuotaUsage"]
