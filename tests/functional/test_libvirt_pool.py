"""stackling.cloud.libvirt_pool against the rig's real libvirtd.

Every effect is checked by reading libvirt (or the file system) afterwards, not by trusting
the module's own report. Without device-mapper (as on the development machines) a logical
pool can still be defined, built on a loop device and started: its VG has no LV to activate.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX
from tests.support.collection import run_module



def pool_module(check: bool = False, diff: bool = False, **params: Any) -> dict[str, Any]:
    return run_module("libvirt_pool", check=check, diff=diff, **params)


def lookup(conn, name):  # type: ignore[no-untyped-def]
    import libvirt

    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    try:
        return conn.storagePoolLookupByName(name)
    except libvirt.libvirtError:
        return None


def remove_pool(conn, name: str) -> None:  # type: ignore[no-untyped-def]
    pool = lookup(conn, name)
    if pool is None:
        return
    if pool.isActive():
        pool.destroy()
    if pool.isPersistent():
        pool.undefine()


@pytest.fixture()
def pool_name(libvirt_conn) -> Any:  # type: ignore[no-untyped-def]
    """A fresh pool name; the pool is removed afterwards whatever the test did."""
    name = "%spool-%s" % (TEST_PREFIX, uuid.uuid4().hex[:8])
    yield name
    remove_pool(libvirt_conn, name)


def target_path(pool) -> str:  # type: ignore[no-untyped-def]
    return ET.fromstring(pool.XMLDesc(0)).findtext("target/path")


# ---------------------------------------------------------------- dir pools

def test_create_active_pool_then_rerun_is_unchanged(libvirt_conn, pool_name, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "images"
    params = dict(name=pool_name, type="dir", path=str(path), state="active", autostart=True)

    first = pool_module(**params)
    assert not first["failed"], first["msg"]
    assert first["changed"] is True
    assert first["actions"] == ["define", "build", "start", "autostart"]
    pool = lookup(libvirt_conn, pool_name)
    assert pool.isActive() and pool.autostart() and pool.isPersistent()
    assert target_path(pool) == str(path) and path.is_dir()
    facts = first["pool"]
    assert facts["uuid"] == pool.UUIDString()
    assert facts["state"] == "active" and facts["autostart"] is True and facts["path"] == str(path)
    assert facts["capacity"] > 0 and facts["available"] > 0 and facts["volumes"] == []

    second = pool_module(**params)
    assert second["changed"] is False and second["actions"] == [] and second["changes"] == []
    assert second["pool"]["uuid"] == facts["uuid"]


def test_path_with_trailing_slash_is_the_same_path(pool_name, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pool_module(name=pool_name, path=str(tmp_path / "p"), state="active")
    again = pool_module(name=pool_name, path=str(tmp_path / "p") + "//", state="active")
    assert again["changed"] is False, again


def test_check_mode_creates_nothing(libvirt_conn, pool_name, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "images"
    result = pool_module(check=True, diff=True, name=pool_name, path=str(path), state="active")
    assert result["changed"] is True and result["actions"] == ["define", "build", "start"]
    assert result["diff"]["before"] == {"state": "absent"}
    assert result["diff"]["after"] == {"type": "dir", "path": str(path), "state": "active", "autostart": False}
    assert lookup(libvirt_conn, pool_name) is None
    assert not path.exists()


def test_check_mode_changes_nothing_on_an_existing_pool(libvirt_conn, pool_name, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pool_module(name=pool_name, path=str(tmp_path / "a"), state="active")
    for params in (dict(state="inactive"), dict(state="absent"), dict(autostart=True), dict(path=str(tmp_path / "b"))):
        result = pool_module(check=True, name=pool_name, **params)
        assert result["changed"] is True, (params, result)
    pool = lookup(libvirt_conn, pool_name)
    assert pool.isActive() and not pool.autostart()
    assert target_path(pool) == str(tmp_path / "a") and not (tmp_path / "b").exists()


def test_diff_holds_only_the_changed_keys(pool_name, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pool_module(name=pool_name, path=str(tmp_path / "p"), state="active")
    result = pool_module(diff=True, name=pool_name, path=str(tmp_path / "p"), state="active", autostart=True)
    assert result["diff"] == {"before": {"autostart": False}, "after": {"autostart": True}}
    assert result["changes"] == [{"name": "autostart", "current": False, "desired": True}]
    assert result["actions"] == ["autostart"]


def test_state_transitions(libvirt_conn, pool_name, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "p"
    defined = pool_module(name=pool_name, path=str(path))
    assert defined["actions"] == ["define", "build"] and defined["pool"]["state"] == "inactive"
    assert not lookup(libvirt_conn, pool_name).isActive() and path.is_dir()

    assert pool_module(name=pool_name, state="active")["actions"] == ["start"]
    assert lookup(libvirt_conn, pool_name).isActive()
    # present leaves the run state alone
    assert pool_module(name=pool_name, state="present")["changed"] is False
    assert lookup(libvirt_conn, pool_name).isActive()

    assert pool_module(name=pool_name, state="inactive")["actions"] == ["stop"]
    assert not lookup(libvirt_conn, pool_name).isActive()

    gone = pool_module(name=pool_name, state="absent")
    assert gone["actions"] == ["undefine"] and gone["pool"] == {}
    assert lookup(libvirt_conn, pool_name) is None
    assert path.is_dir(), "absent must leave the target directory and its files in place"
    assert pool_module(name=pool_name, state="absent")["changed"] is False


def test_absent_stops_an_active_pool_first(libvirt_conn, pool_name, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pool_module(name=pool_name, path=str(tmp_path / "p"), state="active")
    result = pool_module(diff=True, name=pool_name, state="absent")
    assert result["actions"] == ["stop", "undefine"]
    assert result["diff"]["after"] == {"state": "absent"} and result["diff"]["before"]["state"] == "active"
    assert lookup(libvirt_conn, pool_name) is None


def test_changing_the_path_redefines_and_keeps_the_uuid(libvirt_conn, pool_name, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = pool_module(name=pool_name, path=str(tmp_path / "a"), state="active")
    moved = pool_module(diff=True, name=pool_name, path=str(tmp_path / "b"))
    assert moved["actions"] == ["redefine", "stop", "build", "start"]
    assert moved["diff"] == {"before": {"path": str(tmp_path / "a")}, "after": {"path": str(tmp_path / "b")}}
    pool = lookup(libvirt_conn, pool_name)
    assert pool.UUIDString() == first["pool"]["uuid"]
    assert pool.isActive() and target_path(pool) == str(tmp_path / "b") and (tmp_path / "b").is_dir()


def test_refresh_reports_volumes_made_outside_libvirt(pool_name, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "p"
    pool_module(name=pool_name, path=str(path), state="active")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path / "by-hand.qcow2"), "1M"], check=True)

    checked = pool_module(check=True, name=pool_name, state="active", refresh=True)
    assert checked["changed"] is False and "by-hand.qcow2" not in checked["pool"]["volumes"]

    refreshed = pool_module(name=pool_name, state="active", refresh=True)
    assert refreshed["changed"] is True and refreshed["actions"] == ["refresh"]
    assert refreshed["pool"]["volumes"] == ["by-hand.qcow2"]
    assert pool_module(name=pool_name, state="active", refresh=True)["changed"] is False


def test_refresh_is_ignored_for_an_inactive_pool(pool_name, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pool_module(name=pool_name, path=str(tmp_path / "p"), state="inactive")
    result = pool_module(name=pool_name, state="inactive", refresh=True)
    assert not result["failed"] and result["changed"] is False


def test_failed_start_leaves_no_pool_behind(libvirt_conn, pool_name, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = pool_module(name=pool_name, path=str(tmp_path / "missing"), build=False, state="active")
    assert result["failed"] and "starting pool %s failed" % pool_name in result["msg"]
    assert result["rolled_back"] is True
    assert lookup(libvirt_conn, pool_name) is None


def test_type_of_an_existing_pool_is_not_changed(pool_name, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pool_module(name=pool_name, path=str(tmp_path / "p"))
    result = pool_module(name=pool_name, type="logical")
    assert result["failed"] and result["field"] == "type" and "state=absent" in result["msg"]


# ---------------------------------------------------------------- logical pools

def test_logical_pool_definition(libvirt_conn, pool_name) -> None:  # type: ignore[no-untyped-def]
    params = dict(name=pool_name, type="logical", vg="stktest-vg", devices=["/dev/stktest-pv1", "/dev/stktest-pv0"],
                  build=False)
    first = pool_module(diff=True, **params)
    assert not first["failed"], first["msg"]
    assert first["actions"] == ["define"]
    assert first["diff"]["after"]["devices"] == ["/dev/stktest-pv0", "/dev/stktest-pv1"]
    root = ET.fromstring(lookup(libvirt_conn, pool_name).XMLDesc(0))
    assert root.get("type") == "logical"
    assert root.findtext("source/name") == "stktest-vg"
    assert sorted(device.get("path") for device in root.findall("source/device")) == ["/dev/stktest-pv0", "/dev/stktest-pv1"]
    assert root.findtext("target/path") == "/dev/stktest-vg"

    reordered = dict(params, devices=list(reversed(params["devices"])))
    assert pool_module(**reordered)["changed"] is False, "devices are compared as a set"
    changed = pool_module(diff=True, name=pool_name, devices=["/dev/stktest-pv0"])
    assert changed["diff"] == {"before": {"devices": ["/dev/stktest-pv0", "/dev/stktest-pv1"]},
                               "after": {"devices": ["/dev/stktest-pv0"]}}


def test_logical_pool_without_vg_uses_the_pool_name(libvirt_conn, pool_name) -> None:  # type: ignore[no-untyped-def]
    result = pool_module(name=pool_name, type="logical", build=False)
    assert result["pool"]["vg"] == pool_name and result["pool"]["path"] == "/dev/" + pool_name


def test_logical_pool_on_a_missing_vg_fails_cleanly(libvirt_conn, pool_name) -> None:  # type: ignore[no-untyped-def]
    result = pool_module(name=pool_name, type="logical", vg="stktest-novg", state="active")
    assert result["failed"] and "stktest-novg" in result["msg"]
    assert lookup(libvirt_conn, pool_name) is None, "the half-made pool must be undefined again"


def test_logical_pool_failed_build_leaves_no_pool_behind(libvirt_conn, pool_name) -> None:  # type: ignore[no-untyped-def]
    result = pool_module(name=pool_name, type="logical", devices=["/dev/stktest-no-such-disk"])
    assert result["failed"] and result["msg"].startswith("building pool %s failed" % pool_name), result
    assert result["rolled_back"] is True
    assert lookup(libvirt_conn, pool_name) is None


@pytest.mark.skipif(not shutil.which("losetup") or not shutil.which("vgcreate"), reason="needs losetup and lvm2")
def test_logical_pool_is_built_and_started(libvirt_conn, pool_name, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    backing = tmp_path / "pv.img"
    backing.write_bytes(b"")
    os.truncate(backing, 64 * 1024 * 1024)
    loop = subprocess.run(["losetup", "--find", "--show", str(backing)], capture_output=True, text=True, check=True).stdout.strip()
    try:
        result = pool_module(name=pool_name, type="logical", vg=pool_name, devices=[loop], state="active")
        assert not result["failed"], result["msg"]
        assert result["actions"] == ["define", "build", "start"] and result["pool"]["capacity"] > 0
        pool_module(name=pool_name, state="inactive")
        lookup(libvirt_conn, pool_name).delete(0)
    finally:
        subprocess.run(["losetup", "--detach", loop], check=False)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("bad_name", ["a/b", "a<b", "a&b", 'a"b', "a'b", ""])
def test_bad_names_are_refused(pool_name, tmp_path: Path, bad_name: str) -> None:  # type: ignore[no-untyped-def]
    result = pool_module(name=bad_name, path=str(tmp_path / "p"))
    assert result["failed"] and result["field"] == "name", result


def test_bad_vg_name_is_refused(pool_name) -> None:  # type: ignore[no-untyped-def]
    result = pool_module(name=pool_name, type="logical", vg="vg</source>")
    assert result["failed"] and result["field"] == "vg"


@pytest.mark.parametrize("params, field", [
    (dict(), "path"),
    (dict(path="relative/dir"), "path"),
    (dict(path="/tmp/x", vg="somevg"), "vg"),
    (dict(path="/tmp/x", devices=["/dev/sdz"]), "devices"),
    (dict(type="logical", devices=["sdz"]), "devices"),
])
def test_bad_settings_name_the_field(libvirt_conn, pool_name, params: dict[str, Any], field: str) -> None:  # type: ignore[no-untyped-def]
    result = pool_module(name=pool_name, **params)
    assert result["failed"] and result["field"] == field, result
    assert result["msg"].startswith(field + ":")
    assert lookup(libvirt_conn, pool_name) is None


def test_unknown_state_is_refused(pool_name, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = pool_module(name=pool_name, path=str(tmp_path), state="running")
    assert result["failed"] and "state" in result["msg"] and "running" in result["msg"]


def test_libvirtd_not_running(pool_name, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = pool_module(name=pool_name, path=str(tmp_path), uri="qemu:///system?socket=/nonexistent/sock")
    assert result["failed"] and "cannot connect to libvirt" in result["msg"] and "/nonexistent/sock" in result["msg"]


def test_qemu_img_is_available() -> None:
    # The refresh test makes an image behind libvirt's back with qemu-img.
    assert shutil.which("qemu-img"), "qemu-img (qemu-utils) is needed by these tests"
