"""The deployment's molecule scenarios (extensions/molecule/), each run as ``molecule test -s NAME``
on Stackling's systemd test nodes: ``default`` deploys the all-in-one with playbooks/site.yml into
a fresh node, ``multinode`` the five-host layout into five, and one scenario per role applies that
role alone. Both whole-cloud scenarios end by booting a tenant's server through the cloud modules
(playbooks/demo_server.yml, the main job's second half). Every scenario converges, must
change nothing when converged again (molecule's idempotence step) and verifies real effects:
libvirtd answers, the volume group exists with its size, tgtd exports nothing it was not asked
to, the database is at the newest migration, the admin gets a token (see each scenario's
verify.yml and extensions/molecule/shared/verify/).

The nodes have no package mirror and no PyPI: their image carries the packages, and the
controller installs the library from the wheelhouse built here once for every scenario
(playbooks/build_wheelhouse.yml).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.collection import REPO, ensure_collection_link
from tests.support.guest_image import tiny_image
from tests.support.nodes import NODES, can_run_nodes

pytestmark = pytest.mark.slow

SCENARIOS_DIR = REPO / "extensions" / "molecule"
WHOLE_CLOUD_SCENARIOS = ["default", "multinode"]  # site.yml on one node, and on five
ROLE_SCENARIOS = sorted(p.parent.name for p in SCENARIOS_DIR.glob("*/molecule.yml")
                        if p.parent.name not in WHOLE_CLOUD_SCENARIOS)  # fmt: skip
SCENARIOS = WHOLE_CLOUD_SCENARIOS + ROLE_SCENARIOS
# multinode and the role scenarios run side by side, each on nodes of its own: their runs mostly
# wait on SSH round trips, apt and systemd, so on a 2-core machine three at a time finish far
# sooner than in a row.
PARALLEL = int(os.environ.get("STACKLING_MOLECULE_PARALLEL", "3"))
TIMEOUT = 3600


def why_skip() -> str | None:
    if not NODES.is_file():
        return "tools/nodes is missing (the systemd test nodes are not in this checkout)"
    return can_run_nodes()


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One wheelhouse for every scenario, built here and copied aside (STACKLING_WHEELHOUSE, read
    by extensions/molecule/shared/group_vars): a rebuild of build/wheelhouse by someone else while
    a scenario runs would otherwise show up as a change in its idempotence step."""
    reason = why_skip()
    if reason:
        pytest.skip(reason)
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "ansible-playbook"), str(REPO / "playbooks" / "build_wheelhouse.yml")],
        cwd=REPO, capture_output=True, text=True, timeout=1200, check=False,
        env={"ANSIBLE_COLLECTIONS_PATH": str(ensure_collection_link()), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    copy = tmp_path_factory.mktemp("molecule") / "wheelhouse"
    shutil.copytree(REPO / "build" / "wheelhouse", copy)
    # the default scenario's verify boots the main job's demo server from this image
    settings = {"STACKLING_WHEELHOUSE": str(copy), "STACKLING_DEMO_IMAGE": str(tiny_image())}
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def molecule(scenario: str) -> subprocess.CompletedProcess[str]:
    venv_bin = REPO / ".venv" / "bin"
    env = dict(os.environ, PATH="%s:%s" % (venv_bin, os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")),
               NO_COLOR="1", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", MOLECULE_PROJECT_DIRECTORY=str(REPO))
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)  # extensions/molecule/config.yml sets it
    return subprocess.run([str(venv_bin / "molecule"), "test", "-s", scenario], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)


def test_every_role_has_a_scenario() -> None:
    roles = sorted(p.name for p in (REPO / "roles").iterdir() if (p / "tasks" / "main.yml").is_file())
    assert set(roles) <= set(SCENARIOS), "roles without a molecule scenario: %s" % (set(roles) - set(SCENARIOS))


@pytest.fixture(scope="module")
def side_by_side_runs(wheelhouse: None) -> dict[str, subprocess.CompletedProcess[str]]:
    """multinode (the longest, started first) and the role scenarios, PARALLEL at a time."""
    names = ["multinode"] + ROLE_SCENARIOS
    with ThreadPoolExecutor(max_workers=max(1, PARALLEL)) as pool:
        return dict(zip(names, pool.map(molecule, names)))


def check(scenario: str, proc: subprocess.CompletedProcess[str]) -> None:
    output = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    assert proc.returncode == 0, "molecule test -s %s failed:\n%s" % (scenario, output[-12000:])
    # molecule logs a failed step and still lists it as executed: look for its failure lines too
    failures = re.findall(r"^(?:CRITICAL|ERROR) .*$", output, re.M)
    assert not failures, "molecule test -s %s: %s\n%s" % (scenario, failures, output[-12000:])
    # the steps that make the scenario worth having really ran and passed
    for step in ("converge", "idempotence", "verify"):
        # molecule writes "NAME ➜ STEP" on a terminal and "NAME > STEP" into a pipe (as here)
        assert re.search(r"%s (?:➜|>) %s: Executed: Successful" % (re.escape(scenario), step), output), (
            "%s: no successful %s step:\n%s" % (scenario, step, output[-6000:]))


def test_all_in_one_scenario(wheelhouse: None) -> None:
    """``default``: site.yml into a fresh node, again without a change, every role's effects, and
    the main job's tenant server (playbooks/demo_server.yml) answering ping on its floating IP."""
    check("default", molecule("default"))


def test_multinode_scenario(side_by_side_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    """``multinode``: site.yml into five fresh nodes (controller, two computes, storage, network),
    again without a change, each role's effects on its host, and a tenant's servers on both compute
    hosts reached from the network host over VXLAN and through a floating IP."""
    check("multinode", side_by_side_runs["multinode"])


@pytest.mark.parametrize("scenario", ROLE_SCENARIOS)
def test_role_scenario(scenario: str, side_by_side_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    check(scenario, side_by_side_runs[scenario])
