"""The systemd test nodes (tools/nodes): what the deployment roles will meet on them.

Two nodes, stktest-n1 and stktest-n2, are started once for the module and stopped at its end.
Every packet to a node address stays inside the namespaces tools/nodes made (stk-fabric and
stk-node-*); the root namespace only runs podman and reads files. The first run builds the node
image (a few minutes); later runs reuse it (tools/node-image caches by content).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.nodes import (
    DEPLOY_ADDRESS, FABRIC, INVENTORY, KEY, START_TIMEOUT, can_run_nodes, leftovers, node_address, node_exec,
    nodes_tool,
)

_why_not = can_run_nodes()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(_why_not is not None, reason=_why_not or ""),
]

N1, N2 = "stktest-n1", "stktest-n2"   # at most 10 characters: veth stkf-NAME must fit in 15
NAMES = (N1, N2)


def _ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, "%s\nrc=%d\nstdout:\n%s\nstderr:\n%s" % (
        " ".join(map(str, proc.args)), proc.returncode, proc.stdout, proc.stderr)
    return proc


@pytest.fixture(scope="module")
def nodes() -> Iterator[dict[str, str]]:
    """The two nodes, running, with their fabric addresses; removed afterwards, pass or fail."""
    started = time.monotonic()
    proc = nodes_tool("start", *NAMES, timeout=START_TIMEOUT)
    try:
        _ok(proc)
        print("tools/nodes start %s: %.1f s" % (" ".join(NAMES), time.monotonic() - started))
        yield {name: node_address(name) for name in NAMES}
    finally:
        nodes_tool("stop", *NAMES)


def test_systemd_is_pid1_and_the_system_is_running(nodes: dict[str, str]) -> None:
    for name in nodes:
        assert _ok(node_exec(name, "ps", "-o", "comm=", "-p", "1")).stdout.strip() == "systemd"
        state = node_exec(name, "systemctl", "is-system-running").stdout.strip()
        failed = node_exec(name, "systemctl", "--failed", "--no-legend", "--plain").stdout
        assert state == "running", "%s: systemd is %r; failed units:\n%s" % (name, state, failed)
        assert _ok(node_exec(name, "hostname")).stdout.strip() == name


def test_start_again_is_a_no_op(nodes: dict[str, str]) -> None:
    before = _ok(subprocess.run(["podman", "inspect", "-f", "{{.Id}}", "stk-node-" + N1],
                                capture_output=True, text=True, check=False)).stdout
    proc = _ok(nodes_tool("start", N1))
    assert "already running" in proc.stderr
    after = _ok(subprocess.run(["podman", "inspect", "-f", "{{.Id}}", "stk-node-" + N1],
                               capture_output=True, text=True, check=False)).stdout
    assert after == before
    assert node_address(N1) == nodes[N1]


def test_node_reaches_node_by_ssh_over_the_fabric(nodes: dict[str, str]) -> None:
    # The nodes only trust the deploy key; lend it to node 1 for this test.
    _ok(node_exec(N1, "sh", "-c", "umask 077; cat >/root/.ssh/stktest_key", input=KEY.read_text()))
    try:
        ssh = ["ssh", "-i", "/root/.ssh/stktest_key", "-o", "StrictHostKeyChecking=no",
               "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"]
        by_address = _ok(node_exec(N1, *ssh, "root@" + nodes[N2], "hostname; ip -4 -o addr show dev eth0"))
        assert by_address.stdout.splitlines()[0] == N2
        assert " %s/24 " % nodes[N2] in by_address.stdout
        # tools/nodes writes every node's name into every node's /etc/hosts
        assert _ok(node_exec(N1, *ssh, "root@" + N2, "hostname")).stdout.strip() == N2
    finally:
        node_exec(N1, "rm", "-f", "/root/.ssh/stktest_key")


def test_ansible_playbook_gathers_facts_from_both_nodes(nodes: dict[str, str], tmp_path: Path) -> None:
    playbook = tmp_path / "facts.yml"
    facts = tmp_path / "facts"
    playbook.write_text(textwrap.dedent("""\
        - name: Facts from the test nodes
          hosts: %s
          gather_facts: true
          tasks:
            - name: Keep what the roles will rely on
              ansible.builtin.copy:
                content: "{{ {'service_mgr': ansible_service_mgr, 'address': ansible_default_ipv4.address,
                              'distribution': ansible_distribution, 'version': ansible_distribution_major_version,
                              'virtualization': ansible_virtualization_type} | to_json }}"
                dest: "%s/{{ inventory_hostname }}.json"
                mode: "0644"
              delegate_to: localhost
        """ % (",".join(NAMES), facts)))
    facts.mkdir()
    proc = _ok(nodes_tool("ansible-playbook", str(playbook), "-c", "ssh", timeout=300))
    for name, address in nodes.items():
        recap = r"^%s\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0" % re.escape(name)
        assert re.search(recap, proc.stdout, re.M), proc.stdout
        seen = json.loads((facts / (name + ".json")).read_text())
        assert seen["service_mgr"] == "systemd", seen
        assert seen["address"] == address, seen
        assert (seen["distribution"], seen["version"]) == ("Debian", "12"), seen
    assert INVENTORY.exists()


# The conductor on a controller pins the SSH host keys of the hosts it reaches (common role,
# tasks_from conductor_access) and refuses a host whose key changed. N1 plays the controller,
# N2 a compute host; the conductor's runner itself runs in the fabric namespace (network rule).
_RUNNER_SCRIPT = textwrap.dedent("""\
    import json, sys, tempfile
    from pathlib import Path
    from stackling.conductor import ConductorSettings, NodeJob, PlaybookRunner
    work = Path(sys.argv[1])
    # a fresh ssh control socket per run: a master kept from the run before would skip the host key check
    runner = PlaybookRunner(ConductorSettings(
        inventory=work / "hosts.yml", playbook_dir=work / "playbooks", private_key=work / "id_ed25519",
        known_hosts=work / "known_hosts", work_dir=work / "conductor", default_timeout=120,
        environment={"ANSIBLE_SSH_CONTROL_PATH_DIR": tempfile.mkdtemp(prefix="stkcp")}))  # short: a socket path
    result = runner.run(NodeJob(playbook="whoami", host=sys.argv[2]))
    print(json.dumps({"ok": result.ok, "failure": result.failure}))
    """)


def _conductor_run(work: Path, host: str) -> dict[str, object]:
    proc = _ok(subprocess.run(
        ["ip", "netns", "exec", FABRIC, str(Path(sys.executable)), "-c", _RUNNER_SCRIPT, str(work), host],
        capture_output=True, text=True, check=False, timeout=300))
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_the_conductor_pins_host_keys_and_refuses_a_changed_one(nodes: dict[str, str], tmp_path: Path) -> None:
    conductor_dir = "/etc/stackling/conductor"
    _ok(node_exec(N1, "sh", "-c", "mkdir -p -m 0700 %s && rm -f %s/known_hosts && "
                  "{ test -f %s/id_ed25519 || ssh-keygen -q -t ed25519 -N '' -f %s/id_ed25519; }"
                  % ((conductor_dir,) * 4)))
    playbook = tmp_path / "access.yml"
    playbook.write_text(textwrap.dedent("""\
        - name: Authorise the conductor of %(ctl)s on %(host)s
          hosts: %(host)s
          gather_facts: false
          tasks:
            - name: Conductor access
              ansible.builtin.include_role:
                name: stackling.cloud.common
                tasks_from: conductor_access
              vars:
                common_controller_host: %(ctl)s
        """ % {"ctl": N1, "host": N2}))
    first = _ok(nodes_tool("ansible-playbook", str(playbook), "-c", "ssh", timeout=300))
    assert re.search(r"^%s\s+: ok=\d+\s+changed=[1-9]" % N2, first.stdout, re.M), first.stdout
    again = _ok(nodes_tool("ansible-playbook", str(playbook), "-c", "ssh", timeout=300))
    assert re.search(r"^%s\s+: ok=\d+\s+changed=0 " % N2, again.stdout, re.M), again.stdout

    known = _ok(node_exec(N1, "cat", conductor_dir + "/known_hosts")).stdout.split()
    host_key = _ok(node_exec(N2, "cat", "/etc/ssh/ssh_host_ed25519_key.pub")).stdout.split()
    assert known[:3] == [nodes[N2], host_key[0], host_key[1]], known

    # the conductor's view: its key, its pinned host keys, an inventory naming N2 by address
    work = tmp_path / "conductor"
    (work / "playbooks").mkdir(parents=True)
    (work / "playbooks" / "whoami.yml").write_text(textwrap.dedent("""\
        - name: Who am I
          hosts: all
          gather_facts: false
          tasks:
            - name: Hostname
              ansible.builtin.command: hostname
              changed_when: false
        """))
    (work / "known_hosts").write_text(_ok(node_exec(N1, "cat", conductor_dir + "/known_hosts")).stdout)
    key = work / "id_ed25519"
    key.write_text(_ok(node_exec(N1, "cat", conductor_dir + "/id_ed25519")).stdout)
    key.chmod(0o600)
    (work / "hosts.yml").write_text(json.dumps({"all": {"hosts": {N2: {
        "ansible_host": nodes[N2], "ansible_user": "root", "ansible_python_interpreter": "/usr/bin/python3"}}}}))
    assert _conductor_run(work, N2) == {"ok": True, "failure": ""}

    # someone else now answers on N2's address (here: N2 with a new host key)
    _ok(node_exec(N2, "sh", "-c", "rm -f /etc/ssh/ssh_host_ed25519_key* && "
                  "ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && systemctl restart ssh"))
    refused = _conductor_run(work, N2)
    assert refused["ok"] is False
    assert "host key" in str(refused["failure"]).lower(), refused


def test_libvirtd_starts_under_systemd(nodes: dict[str, str]) -> None:
    _ok(node_exec(N1, "systemctl", "start", "libvirtd"))
    assert _ok(node_exec(N1, "systemctl", "is-active", "libvirtd")).stdout.strip() == "active"
    version = _ok(node_exec(N1, "virsh", "-c", "qemu:///system", "version", timeout=120)).stdout
    assert "QEMU" in version, version
    # guests run under TCG here: the node hides /dev/kvm from libvirt unless asked not to
    assert node_exec(N1, "test", "-e", "/dev/kvm").returncode != 0


def test_a_loop_device_can_be_set_up_in_a_node(nodes: dict[str, str]) -> None:
    script = textwrap.dedent("""\
        set -eu
        truncate -s 64M /var/tmp/stktest-loop.img
        dev=$(losetup --find --show /var/tmp/stktest-loop.img)
        trap 'losetup -d "$dev"; rm -f /var/tmp/stktest-loop.img' EXIT
        echo "$dev"
        pvcreate -q "$dev" >/dev/null
        pvs --noheadings -o pv_name "$dev"
        pvremove -q "$dev" >/dev/null
        """)
    proc = _ok(node_exec(N2, "bash", "-c", script))
    dev, pv = proc.stdout.splitlines()[:2]
    assert dev.startswith("/dev/loop"), proc.stdout
    assert pv.strip() == dev
    # loop devices belong to the host's kernel, not to the node: the test's one is detached again
    # (and the node has device nodes for more loop devices than the host had when it started)
    _ok(node_exec(N2, "test", "-b", "/dev/loop63"))
    assert _ok(node_exec(N2, "losetup", "-j", "/var/tmp/stktest-loop.img")).stdout == ""


def test_nothing_reaches_the_root_network_namespace(nodes: dict[str, str]) -> None:
    links = json.loads(_ok(subprocess.run(["ip", "-j", "link", "show"], capture_output=True, text=True,
                                          check=False)).stdout)
    names = {link["ifname"] for link in links}
    assert not {n for n in names if n.startswith(("stkf-", "stkfab"))}, names
    addrs = json.loads(_ok(subprocess.run(["ip", "-j", "addr", "show"], capture_output=True, text=True,
                                          check=False)).stdout)
    local = {a["local"] for link in addrs for a in link.get("addr_info", [])}
    assert not {a for a in local if a.startswith("10.231.0.")}, local
    routes = _ok(subprocess.run(["ip", "route", "show"], capture_output=True, text=True, check=False)).stdout
    assert "10.231.0." not in routes
    # ...while the fabric namespace holds the deploy side and one port per node
    fabric = json.loads(_ok(subprocess.run(["ip", "-n", FABRIC, "-j", "addr", "show", "dev", "stkfab0"],
                                           capture_output=True, text=True, check=False)).stdout)
    assert DEPLOY_ADDRESS in {a["local"] for a in fabric[0]["addr_info"]}
    for name in nodes:
        assert len(leftovers(name)) == 3, leftovers(name)   # container, netns, fabric veth


def test_start_repairs_a_half_made_node(nodes: dict[str, str]) -> None:
    # as if the host went down under the node: its container is gone, namespace and veth are not
    _ok(subprocess.run(["podman", "rm", "-f", "-t", "0", "stk-node-" + N2], capture_output=True, text=True,
                       check=False))
    assert leftovers(N2) == ["netns stk-node-" + N2, "veth stkf-%s in %s" % (N2, FABRIC)]
    proc = _ok(nodes_tool("start", N2, timeout=START_TIMEOUT))
    assert "already running" not in proc.stderr
    assert node_address(N2) == nodes[N2]
    assert _ok(nodes_tool("ssh", N2, "systemctl is-system-running")).stdout.strip() == "running"


def test_stop_removes_what_a_broken_start_left(nodes: dict[str, str]) -> None:
    # a start killed after making the namespace and the veth, before the container
    name = "stktest-h"
    subprocess.run(["ip", "netns", "add", "stk-node-" + name], check=True)
    subprocess.run(["ip", "-n", FABRIC, "link", "add", "stkf-" + name, "type", "veth", "peer", "name", "eth0",
                    "netns", "stk-node-" + name], check=True)
    try:
        assert name in nodes_tool("status").stdout
        _ok(nodes_tool("stop", name))
        assert leftovers(name) == []
    finally:
        subprocess.run(["ip", "netns", "delete", "stk-node-" + name], capture_output=True, check=False)


def test_stop_removes_every_container_netns_and_veth_it_made(nodes: dict[str, str]) -> None:
    # a node's storage role leaves a volume group on a loop device: the host's, not the node's
    made = _ok(node_exec(N1, "sh", "-c", "truncate -s 64M /var/tmp/stktest-vg.img && "
                         "dev=$(losetup --find --show /var/tmp/stktest-vg.img) && "
                         "vgcreate -q stktest-vg-n1 $dev >/dev/null && echo $dev")).stdout.strip()
    assert made.startswith("/dev/loop"), made
    _ok(nodes_tool("stop", *NAMES))
    attached = _ok(subprocess.run(["losetup", "--list", "--noheadings", "--output", "NAME"], capture_output=True,
                                  text=True, check=False)).stdout.split()  # fmt: skip
    assert made not in attached, "the node's loop device outlived it"
    for name in NAMES:
        assert leftovers(name) == [], leftovers(name)
        assert nodes_tool("address", name).returncode != 0
        assert ("%s:" % name) not in (INVENTORY.read_text() if INVENTORY.exists() else "")
    # stopping again finds nothing to do and succeeds
    _ok(nodes_tool("stop", *NAMES))
    others = [line.split()[0] for line in nodes_tool("status").stdout.splitlines()[1:] if line.strip()]
    if not others:
        assert not Path("/run/netns/" + FABRIC).exists(), "the fabric outlived its last node"
