"""The dynamic inventory stackling.cloud.servers, run as ``ansible-inventory --list`` (a real
process, the collection as Ansible loads it) against a real controller: tenant alice sees her
project's servers with their addresses and groups and nothing of bob's; the admin sees every
project with the compute host; a wrong password fails without showing it.

The servers are made through the library's ServerService, with a stand-in for the conductor's
runner that answers every node job as done: the inventory reads only what the controller records
(server rows, ports, fixed and floating IPs, flavors, images), which is exactly what a real boot
records too. One really booted server is listed by the inventory in
tests/functional/test_cloud_servers.py (the server module test), where booting is what is tested.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackling.compute import ComputeHostService
from stackling.compute.servers import ServerRequest
from stackling.conductor import JobResult, JobStatus, NodeJob, StepOutcome, StepStatus
from stackling.config import ConductorConfig
from stackling.identity.auth import ScopeRequest
from stackling.images.service import ImageSpec
from stackling.networking import GatewayRequest
from tests.functional.cloud_support import CloudRig, cloud_rig, unique  # noqa: F401  (fixture)
from tests.support.collection import ensure_collection_link

HOSTS = {"VCPU": {"total": 8}, "MEMORY_MB": {"total": 16384}, "DISK_GB": {"total": 200}}


class DoneRunner:
    """Answers every node job as done (see the module docstring)."""

    def run(self, job: NodeJob) -> JobResult:
        return JobResult(job, JobStatus.SUCCESSFUL, 0, (StepOutcome("stand-in", job.host, StepStatus.CHANGED),))


@dataclass
class Servers:
    web1: Any
    web2: Any
    bob_web1: Any
    floating_ip: str
    flavor: str
    image: str


@pytest.fixture(scope="module")
def servers(cloud_rig: CloudRig, tmp_path_factory: pytest.TempPathFactory) -> Servers:  # noqa: F811
    rig, c = cloud_rig, cloud_rig.controller
    admin = rig.admin
    directory = tmp_path_factory.mktemp("conductor")
    hosts = directory / "hosts.yml"
    hosts.write_text(yaml.safe_dump({"all": {"children": {
        "compute": {"hosts": {"cn1": {"stackling_tunnel_address": "10.9.0.1"}}},
        "network": {"hosts": {"net1": {"stackling_tunnel_address": "10.9.0.9"}}}}}}))  # fmt: skip
    c.servers.runner = DoneRunner()
    c.servers.conductor = ConductorConfig(inventory=hosts)
    c.compute_hosts.apply(admin, "cn1", ComputeHostService.spec(inventory=HOSTS))
    flavor = unique("flavor")
    c.flavors.create(admin, flavor, vcpus=1, ram_mb=128, disk_gb=1)
    image_file = directory / "disk.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(image_file), "16M"], check=True, capture_output=True)
    image = unique("image")
    c.images.create(admin, image, disk_format="qcow2", filename=image_file, spec=ImageSpec(visibility="public"))
    public = unique("public")
    c.networking.networks.create(admin, public, external=True)
    c.networking.subnets.create(admin, public, "203.0.113.0/24", name=public + "-v4")

    def login(user: str, short: str) -> Any:
        scope = ScopeRequest(project=rig.projects[short])
        return c.tokens.validate(c.auth.password(user, rig.passwords[user], scope).token)

    alice, bob = login("alice", "a"), login("bob", "b")
    made = {}
    for who, short in ((alice, "a"), (bob, "b")):
        network = unique("net-" + short)
        c.networking.networks.create(who, network)
        subnet = c.networking.subnets.create(who, network, "10.0.0.0/24", name=network + "-v4")
        made[short] = (network, subnet.id)
    c.networking.routers.create(alice, unique("router"), external_gateway=GatewayRequest(public),
                                interfaces=[made["a"][1]])

    def boot(who: Any, name: str, network: str) -> Any:
        server = c.servers.create(who, ServerRequest(name, flavor=flavor, image=image, networks=[network]))
        assert server.status == "ACTIVE", server.fault
        return server

    web1, web2 = boot(alice, "web-1", made["a"][0]), boot(alice, "web-2", made["a"][0])
    bob_web1 = boot(bob, "web-1", made["b"][0])  # the same name in another project
    fip = c.networking.floating_ips.create(alice, public, port=web1.ports[0])
    return Servers(web1, web2, bob_web1, fip.floating_ip_address, flavor, image)


def inventory(tmp_path: Path, settings: dict[str, Any], home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``ansible-inventory --list`` on a ``servers.stackling.yml`` holding ``settings``."""
    path = tmp_path / "servers.stackling.yml"
    path.write_text(yaml.safe_dump(dict({"plugin": "stackling.cloud.servers"}, **settings)))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ensure_collection_link()), ANSIBLE_NOCOLOR="1",
               ANSIBLE_INVENTORY_ENABLED="stackling.cloud.servers", ANSIBLE_INVENTORY_UNPARSED_FAILED="1")
    if home is not None:
        env["HOME"] = str(home)
    return subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(path), "--list"],
                          capture_output=True, text=True, env=env, timeout=300, check=False)


def listed(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON of ``--list``, with the strings Ansible marks untrusted (``{"__ansible_unsafe": text}``:
    what the cloud's users wrote is never templated) read as plain strings."""
    assert result.returncode == 0, result.stderr

    def plain(item: dict[str, Any]) -> Any:
        return item["__ansible_unsafe"] if set(item) == {"__ansible_unsafe"} else item

    data: dict[str, Any] = json.loads(result.stdout, object_hook=plain)
    return data


def members(data: dict[str, Any], group: str) -> list[str]:
    return sorted(data.get(group, {}).get("hosts", []))


def test_a_tenant_sees_its_servers_with_addresses_and_groups(cloud_rig: CloudRig, servers: Servers,  # noqa: F811
                                                           tmp_path: Path) -> None:
    rig = cloud_rig
    # alice logs in through a clouds.yaml entry, as a user would (HOME points at the test's own)
    clouds = tmp_path / ".config" / "stackling" / "clouds.yaml"
    clouds.parent.mkdir(parents=True)
    entry = {"config": str(rig.config), "auth": rig.auth("alice", "a")}
    clouds.write_text(yaml.safe_dump({"clouds": {"alice": entry}}))
    result = inventory(tmp_path, {
        "cloud": "alice",
        "keyed_groups": [{"key": "stackling.status", "prefix": "state"}],
        "groups": {"reachable_from_outside": "stackling.floating_ips | length > 0"},
        "compose": {"server_id": "stackling.id"},
    }, home=tmp_path)
    for secret in rig.all_secrets():
        assert secret not in result.stdout + result.stderr
    data = listed(result)
    hostvars = data["_meta"]["hostvars"]
    assert sorted(hostvars) == ["web-1", "web-2"], "alice sees her two servers and nothing of bob's"

    web1, web2 = hostvars["web-1"], hostvars["web-2"]
    assert web1["ansible_host"] == servers.floating_ip, "a floating IP wins"
    fixed1 = [ip for ips in web1["stackling"]["addresses"].values() for ip in ips]
    assert web1["stackling"]["floating_ips"] == [{"floating_ip_address": servers.floating_ip,
                                                  "fixed_ip_address": fixed1[0]}]
    assert web2["ansible_host"] == [ip for ips in web2["stackling"]["addresses"].values() for ip in ips][0]
    assert web2["ansible_host"].startswith("10.0.0.")
    facts = web1["stackling"]
    assert facts["id"] == servers.web1.id and facts["status"] == "ACTIVE"
    assert facts["project_name"] == rig.projects["a"]
    assert facts["flavor_name"] == servers.flavor and facts["image_name"] == servers.image
    assert "host" not in facts and "hypervisor" not in facts, "the compute host is for admins only"
    assert web1["server_id"] == servers.web1.id, "compose"

    project_group = "project_" + rig.projects["a"].replace("-", "_")
    assert members(data, project_group) == ["web-1", "web-2"]
    assert members(data, "status_active") == ["web-1", "web-2"]
    assert members(data, "flavor_" + servers.flavor.replace("-", "_")) == ["web-1", "web-2"]
    assert members(data, "image_" + servers.image.replace("-", "_")) == ["web-1", "web-2"]
    assert members(data, "az_" + facts["availability_zone"]) == ["web-1", "web-2"]
    assert members(data, "state_ACTIVE") == ["web-1", "web-2"], "keyed_groups"
    assert members(data, "reachable_from_outside") == ["web-1"], "groups"
    assert "project_" + rig.projects["b"].replace("-", "_") not in data


def test_the_admin_sees_every_project_and_the_host(cloud_rig: CloudRig, servers: Servers,  # noqa: F811
                                                 tmp_path: Path) -> None:
    rig = cloud_rig
    result = inventory(tmp_path, {"auth": rig.auth(), "config": str(rig.config), "all_projects": True,
                                  "address": "fixed", "default_groups": False})
    for secret in rig.all_secrets():
        assert secret not in result.stdout + result.stderr
    assert "several servers are named 'web-1'" in result.stderr
    data = listed(result)
    hostvars = data["_meta"]["hostvars"]
    # two servers are called web-1 (in two projects): both are named by id, so neither hides the other
    assert sorted(hostvars) == sorted([servers.web1.id, servers.bob_web1.id, "web-2"])
    assert hostvars[servers.web1.id]["stackling"]["host"] == "cn1"
    assert hostvars[servers.web1.id]["ansible_host"] != servers.floating_ip, "address: fixed"
    assert hostvars[servers.bob_web1.id]["stackling"]["project_name"] == rig.projects["b"]
    assert "status_active" not in data, "default_groups: false"

    # without all_projects, the admin's own project only (it has no servers)
    assert listed(inventory(tmp_path, {"auth": rig.auth(), "config": str(rig.config)}))["_meta"]["hostvars"] == {}


def test_hosts_named_by_id_on_request(cloud_rig: CloudRig, servers: Servers, tmp_path: Path) -> None:  # noqa: F811
    rig = cloud_rig
    data = listed(inventory(tmp_path, {"auth": rig.auth("alice", "a"), "config": str(rig.config), "hostname": "id"}))
    assert sorted(data["_meta"]["hostvars"]) == sorted([servers.web1.id, servers.web2.id])


def test_a_wrong_password_fails_without_showing_it(cloud_rig: CloudRig, tmp_path: Path) -> None:  # noqa: F811
    auth = dict(cloud_rig.auth("alice", "a"), password="not-" + cloud_rig.passwords["alice"])
    result = inventory(tmp_path, {"auth": auth, "config": str(cloud_rig.config)})
    assert result.returncode != 0
    assert "401 Unauthorized" in result.stderr
    assert auth["password"] not in result.stdout + result.stderr
