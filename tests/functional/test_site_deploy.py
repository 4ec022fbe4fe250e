"""playbooks/site.yml on a real systemd host: the all-in-one deployed on one test node
(tools/nodes), twice. The second run must change nothing, and the deployment must work for real:
libvirtd answers, the volume group exists with its size, tgtd exports nothing it was not asked
to, the database is at the newest migration and the cloud admin gets a token.

The node has no package mirror and no PyPI: its image carries the packages, the controller role
installs the library from the wheelhouse this test builds (playbooks/build_wheelhouse.yml).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.collection import REPO, ensure_collection_link
from tests.support.nodes import NODES, can_run_nodes, node_exec, nodes_tool

pytestmark = pytest.mark.slow

NODE = "siteaio"
GROUP_VARS = REPO / "tests" / "functional" / "inventories" / "nodes-allinone" / "group_vars"
ADMIN_PASSWORD = "node-test-admin-secret"  # as in GROUP_VARS/stackling.yml
VENV = "/opt/stackling/venv"
DEPLOY_TIMEOUT = 3600


def why_skip() -> str | None:
    if not NODES.is_file():
        return "tools/nodes is missing (the systemd test nodes are not in this checkout)"
    return can_run_nodes()


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The group file of the all-in-one for node NODE, with the test group_vars beside it."""
    directory = tmp_path_factory.mktemp("inventory")
    (directory / "hosts.yml").write_text(
        "all:\n  children:\n    stackling:\n      children:\n"
        + "".join("        %s:\n          hosts:\n            %s: {}\n" % (group, NODE)
                  for group in ("controller", "compute", "storage", "network")),
        encoding="utf-8",
    )
    shutil.copytree(GROUP_VARS, directory / "group_vars")
    return directory


@pytest.fixture(scope="module")
def wheelhouse() -> None:
    ensure_collection_link()
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "ansible-playbook"), str(REPO / "playbooks" / "build_wheelhouse.yml")],
        cwd=REPO, capture_output=True, text=True, timeout=1200, check=False,
        env={"ANSIBLE_COLLECTIONS_PATH": str(REPO / "build" / "collections"), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


@pytest.fixture(scope="module")
def node() -> Iterator[str]:
    reason = why_skip()
    if reason:
        pytest.skip(reason)
    started = nodes_tool("start", NODE, timeout=1200)
    assert started.returncode == 0, started.stderr
    yield NODE
    # Loop devices belong to the host, not to the container: detach the node's before it goes.
    node_exec(NODE, "sh", "-c", "vgremove --force --config 'global { activation = 0 }' stk-vol-%s; "
              "f=/var/lib/stackling/volumes-loop.img; [ -f $f ] || exit 0; "
              # (without the file, losetup would match other nodes' loop devices by name)
              "losetup --associated $f --noheadings --output NAME | xargs -r -n1 losetup --detach" % NODE)
    nodes_tool("stop", NODE)


def deploy(inventory: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    proc = subprocess.run(
        # --limit: the nodes' inventory lists every running node, other users' included
        [str(NODES), "ansible-playbook", "-i", str(inventory), "--limit", NODE, str(REPO / "playbooks" / "site.yml")],
        cwd=REPO, capture_output=True, text=True, timeout=DEPLOY_TIMEOUT, check=False,
    )
    return proc, time.monotonic() - start


def recap(output: str, host: str) -> dict[str, int]:
    match = re.search(r"^%s\s+:\s+(.*)$" % re.escape(host), output, re.M)
    assert match, "no PLAY RECAP line for %s:\n%s" % (host, output[-3000:])
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}


def changed_tasks(output: str) -> list[str]:
    """The names of the tasks that reported a change (for the failure message)."""
    names, task = [], None
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line
        elif line.startswith("changed:") and task:
            names.append(task)
    return names


@pytest.fixture(scope="module")
def deployed(node: str, inventory: Path, wheelhouse: None) -> dict[str, float]:
    first, first_time = deploy(inventory)
    assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-2000:]
    second, second_time = deploy(inventory)
    assert second.returncode == 0, second.stdout[-6000:] + second.stderr[-2000:]
    counts = recap(second.stdout, node)
    assert counts["failed"] == 0 and counts["unreachable"] == 0
    assert counts["changed"] == 0, "the second run changed: %s" % changed_tasks(second.stdout)
    print("\nsite.yml on %s: first run %.0f s, second run %.0f s (changed=0)" % (node, first_time, second_time))
    return {"first": first_time, "second": second_time}


def run(node: str, *cmd: str) -> subprocess.CompletedProcess[str]:
    return node_exec(node, *cmd, timeout=300)


def test_second_run_changes_nothing(deployed: dict[str, float]) -> None:
    assert deployed["second"] > 0


def test_libvirtd_answers(node: str, deployed: dict[str, float]) -> None:
    assert run(node, "systemctl", "is-active", "libvirtd").stdout.strip() == "active"
    version = run(node, "virsh", "-c", "qemu:///system", "version")
    assert version.returncode == 0, version.stderr
    assert "Running hypervisor: QEMU" in version.stdout
    settings = run(node, "cat", "/etc/stackling/compute.yaml").stdout
    assert re.search(r"virt_type: (kvm|qemu)", settings)


def test_volume_group_has_its_size(node: str, deployed: dict[str, float]) -> None:
    proc = run(node, "vgs", "--config", "global { activation = 0 }", "--noheadings", "--units", "b", "--nosuffix",
               "-o", "vg_size,pv_count", "stk-vol-" + node)
    assert proc.returncode == 0, proc.stderr
    size, pvs = proc.stdout.split()
    # storage_lvm_loop_size_gb: 4 in the test group_vars; LVM keeps one extent for metadata
    assert 4 * 2**30 - 8 * 2**20 <= int(size) <= 4 * 2**30
    assert pvs == "1"
    assert run(node, "systemctl", "is-enabled", "stackling-volumes-loop.service").stdout.strip() == "enabled"


def test_tgtd_runs_and_exports_nothing(node: str, deployed: dict[str, float]) -> None:
    assert run(node, "systemctl", "is-active", "tgt").stdout.strip() == "active"
    targets = run(node, "tgtadm", "--lld", "iscsi", "--mode", "target", "--op", "show")
    assert targets.returncode == 0, targets.stderr
    assert targets.stdout.strip() == ""


def test_database_is_at_the_newest_migration(node: str, deployed: dict[str, float]) -> None:
    script = (
        "from stackling.config import load_config\n"
        "from stackling.db import make_engine\n"
        "from stackling.db.migrate import current_revision, head_revision\n"
        "engine = make_engine(load_config('/etc/stackling/controller.yaml').database.url)\n"
        "print(current_revision(engine), head_revision())\n"
    )
    proc = run(node, VENV + "/bin/python", "-c", script)
    assert proc.returncode == 0, proc.stderr
    current, head = proc.stdout.split()
    assert current == head != "None"


def test_admin_gets_a_token(node: str, inventory: Path, deployed: dict[str, float]) -> None:
    proc = subprocess.run(
        [str(NODES), "ansible", node, "-i", str(inventory), "-m", "stackling.cloud.auth",
         "-e", "ansible_python_interpreter=%s/bin/python" % VENV,
         "-a", json.dumps({"auth": {"username": "admin", "password": ADMIN_PASSWORD, "project": "admin"}})],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '"is_admin_project": true' in proc.stdout
    assert '"admin"' in proc.stdout


def test_provider_bridge_and_table(node: str, deployed: dict[str, float]) -> None:
    link = run(node, "ip", "-br", "address", "show", "br-provider")
    assert link.returncode == 0 and "172.24.4.1/24" in link.stdout
    table = run(node, "nft", "list", "table", "inet", "stackling_provider")
    assert table.returncode == 0, table.stderr
    assert "masquerade" in table.stdout


def test_conductor_key_and_inventory(node: str, deployed: dict[str, float]) -> None:
    public = run(node, "cat", "/etc/stackling/conductor/id_ed25519.pub").stdout.strip()
    assert public.startswith("ssh-ed25519 ")
    assert public in run(node, "cat", "/root/.ssh/authorized_keys").stdout
    hosts = run(node, "cat", "/etc/stackling/conductor/hosts.yml").stdout
    assert "ansible_connection: local" in hosts
