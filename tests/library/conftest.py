"""Fixtures of the control library's tests: both database backends, a controllable clock, a cloud.

``db_url`` is parametrised over ``sqlite`` (a real file in tmp_path) and ``postgresql``
(a real server: the URL in $STACKLING_TEST_PG_URL, e.g. from `tools/postgres start`;
without it those cases are skipped, saying so).
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from stackling.config import ControllerConfig, DatabaseConfig, FernetTokensConfig, PasswordHashingConfig
from stackling.context import Context
from stackling.controller import Controller
from stackling.db import Database, upgrade
from stackling.db.models import Base
from stackling.identity.auth import ScopeRequest
from stackling.identity.types import IssuedToken, Project, User

PG_ENV = "STACKLING_TEST_PG_URL"
PG_SKIP = "%s is not set: PostgreSQL cases need a server (export %s=\"$(tools/postgres start)\")" % (PG_ENV, PG_ENV)
# Cheap argon2id for tests only; production uses the config defaults (t=3, 64 MiB, p=4).
FAST_HASHING = PasswordHashingConfig(time_cost=1, memory_cost=64, parallelism=1)
BACKENDS = ["sqlite", "postgresql"]


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


# --- PostgreSQL: one schema per test session ---------------------------------------------------------
def _pg_schema_url(base: str, schema: str) -> str:
    url = make_url(base).update_query_dict({"options": "-csearch_path=%s" % schema})
    return url.render_as_string(hide_password=False)


def _pg_new_schema(base: str) -> tuple[str, str]:
    schema = "stktest_%s" % secrets.token_hex(4)
    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text("CREATE SCHEMA %s" % schema))
    engine.dispose()
    return schema, _pg_schema_url(base, schema)


def _pg_drop_schema(base: str, schema: str) -> None:
    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS %s CASCADE" % schema))
    engine.dispose()


@pytest.fixture(scope="session")
def pg_base_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(PG_SKIP)
    return url


@pytest.fixture(scope="session")
def pg_database(pg_base_url: str) -> Iterator[Database]:
    schema, url = _pg_new_schema(pg_base_url)
    upgrade(url)
    db = Database(url)
    yield db
    db.dispose()
    _pg_drop_schema(pg_base_url, schema)


# --- SQLite: one file per test session ------------------------------------------------------------------
@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    url = "sqlite:///%s" % (tmp_path_factory.mktemp("sqlite") / "stackling.db")
    upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


def _wipe(db: Database) -> None:
    """Empty every table (the schema stays): cheaper than a new database, and keeps the
    engine's compiled-statement cache warm across tests."""
    existing = set(inspect(db.engine).get_table_names())
    with db.write() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name in existing:
                session.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def database(backend: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    """The migrated store of ``backend``, empty at the start of the test."""
    db: Database = request.getfixturevalue("%s_database" % ("sqlite" if backend == "sqlite" else "pg"))
    _wipe(db)
    yield db
    _wipe(db)


@pytest.fixture()
def db_url(database: Database) -> str:
    return database.url


@pytest.fixture()
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of the ``backend`` with no schema at all."""
    if backend == "sqlite":
        yield "sqlite:///%s" % (tmp_path / "empty.db")
        return
    base: str = request.getfixturevalue("pg_base_url")
    schema, url = _pg_new_schema(base)
    yield url
    _pg_drop_schema(base, schema)


# --- the cloud ---------------------------------------------------------------------------------------
@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture()
def config(db_url: str, tmp_path: Path) -> ControllerConfig:
    return ControllerConfig(
        database=DatabaseConfig(url=db_url),
        fernet_tokens=FernetTokensConfig(key_repository=tmp_path / "fernet-keys", max_active_keys=3),
        password_hashing=FAST_HASHING,
    )


@pytest.fixture()
def controller(config: ControllerConfig, clock: FakeClock, database: Database) -> Iterator[Controller]:
    controller = Controller.from_config(config, clock=clock, db=database)
    controller.keys.setup()
    yield controller
    controller.close()


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


@pytest.fixture()
def cloud(controller: Controller, clock: FakeClock) -> Cloud:
    result = controller.bootstrap(ADMIN_PASSWORD)
    token = controller.auth.password("admin", ADMIN_PASSWORD, ScopeRequest(project=result.admin_project_id))
    return Cloud(controller, clock, controller.tokens.validate(token.token))
