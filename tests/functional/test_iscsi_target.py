"""stackling.cloud.iscsi_target against a real tgtd that the module starts.

The tgtd of these tests has its own control port (so it never touches the host's tgtd on port
0) and its portal listens on 127.0.0.1 only. It is stopped by its pid when the tests end.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.collection import run_module

SECRET = "s3cret-" + secrets.token_hex(6)


def tgtadm(port: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tgtadm", "-C", str(port), "--lld", "iscsi", *args], capture_output=True, text=True,
                          timeout=30, check=False)


def free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unused_control_port() -> int:
    for _ in range(50):
        port = random.randint(1000, 9999)
        if tgtadm(port, "--mode", "sys", "--op", "show").returncode != 0 and \
                not os.path.exists("/var/run/tgtd/socket.%d" % port):
            return port
    raise AssertionError("no free tgtd control port found")


def stop_tgtd(port: int) -> None:
    """Kill the tgtd this suite started, by the pid in its pid file (tgtd ignores SIGTERM)."""
    pid_file = Path("/run/stackling-tgtd.%d.pid" % port)
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().strip())
    try:
        cmdline = Path("/proc/%d/cmdline" % pid).read_bytes().split(b"\0")
    except OSError:
        cmdline = []
    if cmdline and os.path.basename(cmdline[0]) == b"tgtd" and str(port).encode() in cmdline:
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink()
    for leftover in ("/var/run/tgtd/socket.%d" % port, "/var/run/tgtd/socket.%d.lock" % port):
        if os.path.exists(leftover):
            os.unlink(leftover)


@pytest.fixture(scope="module")
def tgt() -> Iterator[dict[str, object]]:
    port = unused_control_port()
    try:
        yield {"control_port": port, "portal": "127.0.0.1:%d" % free_tcp_port()}
    finally:
        stop_tgtd(port)


@pytest.fixture()
def iqn(tgt: dict[str, object]) -> Iterator[str]:
    name = "iqn.2024-01.org.stackling:stktest-" + secrets.token_hex(4)
    yield name
    run_module("iscsi_target", iqn=name, state="absent", force=True, **tgt)


def disk(tmp_path: Path, name: str, size_mb: int) -> str:
    path = tmp_path / name
    with open(path, "wb") as handle:
        handle.truncate(size_mb * 1024 * 1024)
    return str(path)


def target(module: dict[str, object], iqn: str, check: bool = False, diff: bool = False, **params: object) -> dict:
    return run_module("iscsi_target", check=check, diff=diff, iqn=iqn, **dict(module, **params))


def shown(port: int, iqn: str) -> str:
    """This target's block of ``tgtadm --op show`` (empty when it does not exist)."""
    text = tgtadm(port, "--mode", "target", "--op", "show").stdout
    blocks = ["Target" + block for block in text.split("\nTarget")]
    blocks[0] = blocks[0][len("Target"):]
    return next((block for block in blocks if block.split("\n", 1)[0].endswith(": " + iqn)), "")


def qemu_size(portal: str, iqn: str, lun: int, user: str = "", password: str = "") -> int:
    creds = "%s%%%s@" % (user, password) if user else ""
    proc = subprocess.run(["qemu-img", "info", "--output", "json", "iscsi://%s%s/%s/%d" % (creds, portal, iqn, lun)],
                          capture_output=True, text=True, timeout=60, check=False)
    if "Unknown protocol 'iscsi'" in proc.stderr:
        pytest.skip("QEMU's iSCSI client is not installed (Debian package qemu-block-extra)")
    assert proc.returncode == 0, proc.stderr
    return int(json.loads(proc.stdout)["virtual-size"])


def test_export_a_file_starting_tgtd_on_loopback(tgt: dict, iqn: str, tmp_path: Path) -> None:
    port, portal = tgt["control_port"], tgt["portal"]
    image = disk(tmp_path, "vol1.img", 64)
    luns = [{"path": image}]

    planned = target(tgt, iqn, check=True, diff=True, luns=luns, initiators=["127.0.0.1"])
    assert planned["changed"] and planned["tgtd"]["started"], planned
    assert tgtadm(port, "--mode", "sys", "--op", "show").returncode != 0, "check mode started tgtd"
    assert planned["diff"]["before"] == {} and planned["diff"]["after"]["luns"] == [
        {"lun": 1, "path": image, "bstype": "rdwr"}]

    created = target(tgt, iqn, diff=True, luns=luns, initiators=["127.0.0.1"])
    assert created["changed"] and created["tgtd"]["started"] and created["tgtd"]["pid"], created
    assert created["target"]["luns"] == [{"lun": 1, "path": image, "bstype": "rdwr"}]
    assert created["target"]["initiators"] == ["127.0.0.1"] and created["target"]["tid"] >= 1
    ss = subprocess.run(["ss", "-Hltn", "sport = :%s" % portal.rsplit(":", 1)[1]],
                        capture_output=True, text=True, check=True).stdout
    listening = [line.split()[3] for line in ss.splitlines()]  # the local address column
    assert portal in listening and not any(addr.startswith(("0.0.0.0", "*", "[::]")) for addr in listening)
    block = shown(port, iqn)
    assert "Backing store path: %s" % image in block and "127.0.0.1" in block

    again = target(tgt, iqn, diff=True, luns=luns, initiators=["127.0.0.1"])
    assert not again["changed"] and not again["tgtd"]["started"] and again["commands"] == [], again
    assert again["diff"] == {"before": {}, "after": {}}
    assert qemu_size(portal, iqn, 1) == 64 * 1024 * 1024


def test_luns_acl_and_chap_change_in_place(tgt: dict, iqn: str, tmp_path: Path) -> None:
    port, portal = tgt["control_port"], tgt["portal"]
    first, second = disk(tmp_path, "a.img", 32), disk(tmp_path, "b.img", 48)
    created = target(tgt, iqn, luns=[{"path": first}], initiators=["127.0.0.1"])
    tid = created["target"]["tid"]

    grown = target(tgt, iqn, diff=True, luns=[{"path": first}, {"path": second}], initiators=["127.0.0.1"])
    assert grown["changed"] and grown["target"]["tid"] == tid, grown
    assert grown["diff"]["after"] == {"luns": [{"lun": 1, "path": first, "bstype": "rdwr"},
                                               {"lun": 2, "path": second, "bstype": "rdwr"}]}
    assert "Backing store path: %s" % second in shown(port, iqn)

    acl = target(tgt, iqn, diff=True, luns=[{"path": first}, {"path": second}],
                 initiators=["127.0.0.1", "10.9.0.0/16", "iqn.1993-08.org.debian:01:stktest"])
    assert acl["changed"] and acl["diff"]["before"] == {"initiators": ["127.0.0.1"]}, acl
    block = shown(port, iqn)
    assert "10.9.0.0/16" in block and "iqn.1993-08.org.debian:01:stktest" in block

    chap = dict(luns=[{"path": first}, {"path": second}], initiators=["127.0.0.1"],
                incoming_user="stktest-user", incoming_password=SECRET)
    with_chap = target(tgt, iqn, diff=True, **chap)
    assert with_chap["changed"] and with_chap["target"]["incoming_user"] == "stktest-user", with_chap
    assert SECRET not in json.dumps(with_chap), "the CHAP secret leaked into the result"
    assert "stktest-user" in shown(port, iqn) and "10.9.0.0/16" not in shown(port, iqn)
    assert not target(tgt, iqn, **chap)["changed"]
    always = target(tgt, iqn, diff=True, update_password="always", **chap)
    assert always["changed"] and SECRET not in json.dumps(always)
    assert qemu_size(portal, iqn, 2, "stktest-user", SECRET) == 48 * 1024 * 1024

    shrunk = target(tgt, iqn, luns=[{"path": second, "lun": 2}], initiators=["127.0.0.1"])
    assert shrunk["changed"] and [lun["lun"] for lun in shrunk["target"]["luns"]] == [2], shrunk
    assert shrunk["target"]["incoming_user"] is None
    assert "stktest-user" not in tgtadm(port, "--mode", "account", "--op", "show").stdout  # unused account gone


def qemu_login(portal: str, iqn: str, lun: int, initiator: str) -> subprocess.CompletedProcess[str]:
    """``qemu-img info`` on one LUN through QEMU's iSCSI client, logging in as ``initiator``."""
    opts = "driver=iscsi,transport=tcp,portal=%s,target=%s,lun=%d,initiator-name=%s" % (portal, iqn, lun, initiator)
    proc = subprocess.run(["qemu-img", "info", "--output", "json", "--image-opts", opts],
                          capture_output=True, text=True, timeout=60, check=False)
    if "Unknown driver 'iscsi'" in proc.stderr or "Unknown protocol 'iscsi'" in proc.stderr:
        pytest.skip("QEMU's iSCSI client is not installed (Debian package qemu-block-extra)")
    return proc


def test_acl_by_initiator_name_and_by_address(tgt: dict, iqn: str, tmp_path: Path) -> None:
    """tgt lets an initiator in when its name OR its address is on the ACL; everyone else is refused."""
    portal, luns = tgt["portal"], [{"path": disk(tmp_path, "acl.img", 16)}]
    allowed = "iqn.2024-01.org.stackling:stktest-compute-1"
    other = "iqn.2024-01.org.stackling:stktest-compute-2"

    def logs_in(initiator: str) -> bool:
        proc = qemu_login(portal, iqn, 1, initiator)
        if proc.returncode == 0:
            assert json.loads(proc.stdout)["virtual-size"] == 16 * 1024 * 1024
            return True
        assert "Failed to log in to target" in proc.stderr, proc.stderr  # refused, not broken
        return False

    by_name = target(tgt, iqn, luns=luns, initiators=[allowed])
    assert by_name["changed"] and by_name["target"]["initiators"] == [allowed], by_name
    assert logs_in(allowed), "the initiator named on the ACL was refused"
    assert not logs_in(other), "an initiator not on the ACL logged in"

    elsewhere = target(tgt, iqn, diff=True, luns=luns, initiators=["10.9.0.0/16"])
    assert elsewhere["changed"] and elsewhere["diff"]["after"] == {"initiators": ["10.9.0.0/16"]}, elsewhere
    assert not logs_in(allowed) and not logs_in(other), "an initiator outside 10.9.0.0/16 logged in"

    loopback = target(tgt, iqn, luns=luns, initiators=["127.0.0.0/8"])
    assert loopback["changed"] and loopback["target"]["initiators"] == ["127.0.0.0/8"], loopback
    assert logs_in(allowed) and logs_in(other), "an initiator on 127.0.0.1 was refused by 127.0.0.0/8"

    assert target(tgt, iqn, luns=luns, initiators=[])["changed"]
    assert not logs_in(allowed), "an empty ACL let an initiator in"


def test_absent_removes_the_target(tgt: dict, iqn: str, tmp_path: Path) -> None:
    port = tgt["control_port"]
    target(tgt, iqn, luns=[{"path": disk(tmp_path, "c.img", 16)}], initiators=["127.0.0.1"])
    planned = target(tgt, iqn, check=True, state="absent")
    assert planned["changed"] and shown(port, iqn)
    removed = target(tgt, iqn, diff=True, state="absent")
    assert removed["changed"] and removed["diff"]["after"] == {} and "target" not in removed, removed
    assert shown(port, iqn) == ""
    assert not target(tgt, iqn, state="absent")["changed"]


def test_bad_input_names_the_field(tgt: dict, iqn: str, tmp_path: Path) -> None:
    image = disk(tmp_path, "d.img", 16)
    assert target(tgt, "iqn.2024-13.org.x:bad", luns=[{"path": image}])["field"] == "iqn"
    assert target(tgt, "IQN.2024-01.ORG.X", luns=[{"path": image}])["field"] == "iqn"
    missing = target(tgt, iqn, luns=[{"path": str(tmp_path / "missing.img")}])
    assert missing["failed"] and missing["field"] == "luns" and "does not exist" in missing["msg"], missing
    assert target(tgt, iqn, luns=[{"path": image}], initiators=["ALL", "127.0.0.1"])["field"] == "initiators"
    assert target(tgt, iqn, luns=[{"path": image}], initiators=["not-an-address"])["field"] == "initiators"
    assert target(tgt, iqn, luns=[{"path": image, "lun": 0}])["field"] == "luns"
    assert target(tgt, iqn, luns=[{"path": image}], portal="localhost:3260")["field"] == "portal"
    only_user = target(tgt, iqn, luns=[{"path": image}], incoming_user="u")
    assert only_user["failed"] and "incoming_password" in only_user["msg"]

    created = target(tgt, iqn, luns=[{"path": image}], initiators=["ALL"])
    assert created["target"]["initiators"] == ["ALL"], created
    renumber = target(tgt, iqn, tid=created["target"]["tid"] + 100, luns=[{"path": image}], initiators=["ALL"])
    assert renumber["failed"] and renumber["field"] == "tid", renumber
    other = "iqn.2024-01.org.stackling:stktest-" + secrets.token_hex(4)
    clash = target(tgt, other, tid=created["target"]["tid"], luns=[{"path": image}])
    assert clash["failed"] and clash["field"] == "tid", clash
