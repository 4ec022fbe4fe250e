"""Helpers shared by the library tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from stackling.config import PasswordHashingConfig
from stackling.context import Context
from stackling.controller import Controller
from stackling.identity.auth import ScopeRequest
from stackling.identity.types import IssuedToken, Project, User

# Cheap argon2id for tests only; production uses the config defaults (t=3, 64 MiB, p=4).
FAST_HASHING = PasswordHashingConfig(time_cost=1, memory_cost=64, parallelism=1)


class FakeClock:
    """A clock the test moves; each reading also ticks one microsecond, as real time would."""

    def __init__(self, start: datetime = datetime(2030, 1, 1, tzinfo=timezone.utc)) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self._now += timedelta(microseconds=1)
            return self._now

    def advance(self, **delta: float) -> None:
        with self._lock:
            self._now += timedelta(**delta)


ADMIN_PASSWORD = "bootstrap-Secret-1"


@dataclass
class Cloud:
    """A bootstrapped cloud plus shortcuts to make tenants and log them in."""

    c: Controller
    clock: FakeClock
    admin: Context

    def project(self, name: str, domain: str = "default") -> Project:
        return self.c.identity.create_project(self.admin, name, domain_id=domain)

    def user(self, name: str, project: Project | None = None, role: str = "member", domain: str = "default") -> User:
        user = self.c.identity.create_user(self.admin, name, domain_id=domain, password=password_of(name))
        if project is not None:
            self.c.identity.assign_role(self.admin, role, user=user.id, project=project.id)
        return user

    def token(self, username: str, project: str | None = None, domain: str | None = None) -> IssuedToken:
        scope = ScopeRequest(project=project, domain=domain)
        return self.c.auth.password(username, password_of(username), scope)

    def login(self, username: str, project: str | None = None, domain: str | None = None) -> Context:
        return self.c.tokens.validate(self.token(username, project, domain).token)


def password_of(username: str) -> str:
    return "pw-%s-Secret" % username
