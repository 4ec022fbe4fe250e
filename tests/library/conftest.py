"""Fixtures of the control library's tests: both database backends, a controllable clock, a cloud.

``database``/``db_url`` are parametrised over ``sqlite`` (a real file) and ``postgresql``
(a real server: the URL in $STACKLING_TEST_PG_URL, e.g. from `tools/postgres start`;
without it those cases are skipped, saying so). Each backend's store is migrated once per
session and emptied before and after every test.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from stackling.config import ControllerConfig, DatabaseConfig, FernetTokensConfig, ImagesConfig
from stackling.controller import Controller
from stackling.db import Database, upgrade
from stackling.db.models import Base
from stackling.identity.auth import ScopeRequest
from tests.library.helpers import ADMIN_PASSWORD, FAST_HASHING, Cloud, FakeClock

PG_ENV = "STACKLING_TEST_PG_URL"
PG_SKIP = '%s is not set: PostgreSQL cases need a server (export %s="$(tools/postgres start)")' % (PG_ENV, PG_ENV)
BACKENDS = ["sqlite", "postgresql"]


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
        images=ImagesConfig(store_dir=tmp_path / "images"),
    )


@pytest.fixture()
def controller(config: ControllerConfig, clock: FakeClock, database: Database) -> Iterator[Controller]:
    controller = Controller.from_config(config, clock=clock, db=database)
    controller.keys.setup()
    yield controller
    controller.close()


@pytest.fixture()
def cloud(controller: Controller, clock: FakeClock) -> Cloud:
    result = controller.bootstrap(ADMIN_PASSWORD)
    token = controller.auth.password("admin", ADMIN_PASSWORD, ScopeRequest(project=result.admin_project_id))
    return Cloud(controller, clock, controller.tokens.validate(token.token))
