"""A real Stackling controller in a temporary directory, and the cloud modules run against it.

The controller is what `stackling-manage db upgrade`, `fernet setup` and `bootstrap` make
(here through the same library calls): a SQLite file, a Fernet key repository and the
admin user, with cheap argon2 parameters (the configuration allows them) so the suite
stays fast. Two tenant projects are added: ``a`` (alice: member, rita: reader) and ``b``
(bob: member). Every secret made here is recorded so tests can check outputs for leaks.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackling.config import load_config
from stackling.context import Context
from stackling.controller import Controller
from stackling.db import upgrade
from stackling.identity.auth import ScopeRequest
from tests.support import TEST_PREFIX
from tests.support.collection import REPO, ensure_collection_link, run_module


def new_secret(label: str) -> str:
    """A password nobody else would print (so finding it in an output is a real leak)."""
    return "%s-%s" % (label, secrets.token_urlsafe(12))


@dataclass
class CloudRig:
    config: Path
    controller: Controller
    admin_password: str
    passwords: dict[str, str]
    projects: dict[str, str]  # short name -> project name
    secrets_seen: set[str] = field(default_factory=set)

    @property
    def admin(self) -> Context:
        issued = self.controller.auth.password("admin", self.admin_password, ScopeRequest(project="admin"))
        return self.controller.tokens.validate(issued.token)

    def auth(self, user: str = "admin", scope: str | None = None) -> dict[str, str]:
        """The ``auth`` option for ``user`` on the rig's project ``scope`` (default: the admin project)."""
        password = self.admin_password if user == "admin" else self.passwords[user]
        project = self.projects[scope] if scope else "admin"
        return {"username": user, "password": password, "project": project, "project_domain": "Default"}

    def run(self, module: str, /, check: bool = False, diff: bool = False, as_user: str = "admin",
            scope: str | None = None, allowed: tuple[str, ...] = (), **params: Any) -> dict[str, Any]:
        """Run ``stackling.cloud.<module>`` as a real process, logged in as ``as_user`` on ``scope``
        (a project short name of the rig; default: the admin project). The result must not show
        any secret of the rig except under the ``allowed`` keys."""
        if not {"auth", "token", "cloud"} & set(params):
            params["auth"] = self.auth(as_user, scope)
        params.setdefault("config", str(self.config))
        result = run_module(module, check=check, diff=diff, **params)
        self.assert_no_secret(result, allowed)
        return result

    def run_all(self, calls: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
        """Run independent modules side by side: ``{label: (module, params)}`` -> ``{label: result}``."""
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = {label: pool.submit(self.run, module, **params) for label, (module, params) in calls.items()}
            return {label: future.result() for label, future in futures.items()}

    def assert_no_secret(self, result: dict[str, Any], allowed: tuple[str, ...] = ()) -> None:
        """No password, secret or token of this rig appears in ``result`` outside the ``allowed`` keys."""
        shown = json.dumps(dict((k, v) for k, v in result.items() if k not in allowed))
        leaked = [s for s in self.all_secrets() if s in shown]
        assert not leaked, "secret(s) %s leaked into %s" % (leaked, shown)

    def all_secrets(self) -> list[str]:
        return [self.admin_password, *self.passwords.values(), *self.secrets_seen]

    def project_id(self, short: str) -> str:
        found = self.controller.identity.find_project(self.admin, self.projects[short])
        assert found is not None
        return found.id


def write_config(directory: Path, conductor: dict[str, Any] | None = None) -> Path:
    """A test controller.yaml in ``directory`` (SQLite, cheap hashing), with a ``conductor``
    section when given."""
    settings: dict[str, Any] = {
        "database": {"url": "sqlite:///%s" % (directory / "stackling.db")},
        "fernet_tokens": {"key_repository": str(directory / "fernet-keys")},
        "password_hashing": {"time_cost": 1, "memory_cost": 64, "parallelism": 1},
        "images": {"store_dir": str(directory / "images")},
    }
    if conductor is not None:
        settings["conductor"] = conductor
    config = directory / "controller.yaml"
    config.write_text(yaml.safe_dump(settings))
    return config


def rig_controller(directory: Path, inventory: Path, image_cache: Path) -> tuple[Path, Controller, Context]:
    """A migrated, bootstrapped controller whose conductor runs the collection's node playbooks on
    ``inventory`` (the rig's hosts): its config file, the controller and the admin's context."""
    config = write_config(directory, {
        "inventory": str(inventory), "playbook_dir": str(REPO / "playbooks" / "node"),
        "collections_path": str(ensure_collection_link()), "work_dir": str(directory / "conductor"),
        "image_cache_dir": str(image_cache), "job_timeout": 600})  # fmt: skip
    loaded = load_config(config)
    upgrade(loaded.database.url)
    controller = Controller.from_config(loaded)
    controller.keys.setup()
    admin_password = "admin-" + secrets.token_urlsafe(9)
    controller.bootstrap(admin_password)
    admin = controller.tokens.validate(
        controller.auth.password("admin", admin_password, ScopeRequest(project="admin")).token)
    return config, controller, admin


@pytest.fixture(scope="module")
def cloud_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudRig]:
    directory = tmp_path_factory.mktemp("controller")
    config_path = write_config(directory)
    config = load_config(config_path)
    upgrade(config.database.url)
    controller = Controller.from_config(config)
    controller.keys.setup()
    admin_password = new_secret("admin")
    controller.bootstrap(admin_password)
    rig = CloudRig(config_path, controller, admin_password, {}, {})
    _tenants(rig)
    yield rig
    controller.close()


def _tenants(rig: CloudRig) -> None:
    identity, admin = rig.controller.identity, rig.admin
    tag = secrets.token_hex(3)
    for short, members in (("a", (("alice", "member"), ("rita", "reader"))), ("b", (("bob", "member"),))):
        project = identity.create_project(admin, "%s%s-%s" % (TEST_PREFIX, short, tag))
        rig.projects[short] = project.name
        for user, role in members:
            rig.passwords[user] = new_secret(user)
            identity.create_user(admin, user, password=rig.passwords[user])
            identity.assign_role(admin, role, user=user, project=project.id)


def unique(label: str) -> str:
    return "%s%s-%s" % (TEST_PREFIX, label, secrets.token_hex(3))
