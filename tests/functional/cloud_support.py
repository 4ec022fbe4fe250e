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
import shutil
import sys
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackling.compute import ComputeHostService
from stackling.conductor import NodeJob
from stackling.config import load_config
from stackling.context import Context
from stackling.controller import Controller
from stackling.db import upgrade
from stackling.identity.auth import ScopeRequest
from tests.support import TEST_PREFIX
from tests.support.collection import REPO, ensure_collection_link, run_module
from tests.support.guest_image import tiny_image
from tests.support.netns import sh
from tests.support.rig import NETNS as RIG_NETNS


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


# A host whose libvirtd is stopped: its libvirt socket does not exist (the server rig's ``compute0``).
STOPPED_LIBVIRT_URI = "qemu:///system?socket=/run/stktest-stopped-libvirtd/libvirt-sock"


@dataclass
class ServerRig:
    """A controller whose conductor boots servers on this machine's libvirt rig (``make_server_rig``)."""

    directory: Path
    config: Path
    controller: Controller
    admin: Context
    alice: Context
    password: str
    project: str
    network: str  # the tenant network's id
    net: str  # the subnet's first three octets
    instances: Path
    cache: Path
    c0_netns: str | None  # compute0's scratch namespace (None: the rig has no compute0)
    pool: str  # the libvirt pool of the instances directory
    flavor: str
    image: str

    def auth(self) -> dict[str, str]:
        return {"username": "alice", "password": self.password, "project": self.project, "project_domain": "Default"}


def make_server_rig(
    directory: Path, compute1: Mapping[str, Mapping[str, Any]], *, compute0: Mapping[str, Mapping[str, Any]] | None = None,
    prefix: str = TEST_PREFIX,
) -> ServerRig:  # fmt: skip
    """A real controller in ``directory`` (the libvirt rig must run) whose conductor inventory has
    ``compute1``, this machine (local connection, guests in the rig's namespace), the compute and the
    network host, registered with the ``compute1`` inventory; with ``compute0`` also a compute host of
    that inventory whose libvirtd is stopped and whose network plumbing goes into a scratch namespace.
    A project with the member alice, a flavor (1 vCPU, 128 MB, 1 GB), the tiny guest image and a tenant
    network with a /24 subnet; every name starts with ``prefix``. Undo it with ``remove_server_rig``."""
    token = secrets.token_hex(3)
    instances = Path("/var/lib/stackling/%sinst-%s" % (prefix, token))
    cache = Path("/var/lib/stackling/%scache-%s" % (prefix, token))  # where qemu may read (not under /tmp)
    pool = prefix + "inst-" + token
    common = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
              "stackling_instances_dir": str(instances), "stackling_instances_pool": pool}  # fmt: skip
    hosts: dict[str, Any] = {"compute1": dict(common, stackling_netns=RIG_NETNS)}
    c0_netns = None
    if compute0 is not None:
        c0_netns = prefix + "c0-" + token
        sh("ip", "netns", "add", c0_netns)
        hosts["compute0"] = dict(common, stackling_netns=c0_netns, stackling_libvirt_uri=STOPPED_LIBVIRT_URI)
    inventory = directory / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {
        "compute": {"hosts": hosts}, "network": {"hosts": {"compute1": {}}}}}}))  # fmt: skip
    try:
        config, controller, admin = rig_controller(directory, inventory, cache)
    except BaseException:
        if c0_netns is not None:
            sh("ip", "netns", "delete", c0_netns, check=False)
        raise
    try:
        project = controller.identity.create_project(admin, prefix + "srv-" + token)
        password = "alice-" + secrets.token_urlsafe(9)
        controller.identity.create_user(admin, "alice", password=password)
        controller.identity.assign_role(admin, "member", user="alice", project=project.id)
        alice = controller.tokens.validate(controller.auth.password("alice", password,
                                                                    ScopeRequest(project=project.id)).token)  # fmt: skip
        controller.compute_hosts.apply(admin, "compute1", ComputeHostService.spec(inventory=compute1))
        if compute0 is not None:
            controller.compute_hosts.apply(admin, "compute0", ComputeHostService.spec(inventory=compute0))
        flavor, image = prefix + "tiny", prefix + "tiny"
        controller.flavors.create(admin, flavor, vcpus=1, ram_mb=128, disk_gb=1)
        controller.images.create(alice, image, disk_format="qcow2", filename=tiny_image())
        net = "10.238.%d" % secrets.randbelow(250)
        network = controller.networking.networks.create(alice, prefix + "net-" + token)
        controller.networking.subnets.create(alice, network.id, net + ".0/24")
    except BaseException:
        if c0_netns is not None:
            sh("ip", "netns", "delete", c0_netns, check=False)
        controller.close()
        raise
    return ServerRig(directory, config, controller, admin, alice, password, project.name, network.id, net, instances,
                     cache, c0_netns, pool, flavor, image)  # fmt: skip


def remove_server_rig(rig: ServerRig) -> None:
    """Whatever is left of ``rig``: its servers (deleted through the service), the network's node
    side (DHCP, bridge) and record, the instances pool and directories, compute0's namespace; the
    controller is closed. Every step is tried; the failures are raised together at the end."""
    controller, alice = rig.controller, rig.alice
    failures: list[str] = []

    def attempt(what: str, step: Any, *args: Any, **kwargs: Any) -> None:
        try:
            step(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001  (the other steps must still run)
            failures.append("%s: %s: %s" % (what, type(exc).__name__, exc))
            print("clean-up: %s: %s" % (what, exc))

    servers: list[Any] = []
    attempt("listing the servers", lambda: servers.extend(controller.servers.list(alice)))
    for server in servers:
        attempt("server %s" % server.id, controller.servers.delete, alice, server.id)
    gone = {"id": rig.network, "state": "absent"}
    for playbook in ("dhcp_network", "network_host"):
        attempt(playbook + " absent", _job_ok, controller, NodeJob(playbook, "compute1", {"network": gone}))
    attempt("network %s" % rig.network, controller.networking.networks.delete, alice, rig.network)
    attempt("pool %s" % rig.pool, _module_ok, "libvirt_pool", name=rig.pool, state="absent")
    shutil.rmtree(rig.instances, ignore_errors=True)
    shutil.rmtree(rig.cache, ignore_errors=True)
    if rig.c0_netns is not None:
        sh("ip", "netns", "delete", rig.c0_netns, check=False)
    controller.close()
    if failures:
        raise RuntimeError("server rig clean-up failed: " + "; ".join(failures))


def _job_ok(controller: Controller, job: NodeJob) -> None:
    result = controller.servers.runner.run(job)
    if not result.ok:
        raise RuntimeError("%s on %s: %s" % (job.playbook, job.host, result.failure))


def _module_ok(module: str, **params: Any) -> None:
    result = run_module(module, **params)
    if result["failed"]:
        raise RuntimeError("%s: %s" % (module, result.get("msg")))


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
