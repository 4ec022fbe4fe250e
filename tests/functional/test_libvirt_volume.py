"""stackling.cloud.libvirt_volume against the rig's real libvirtd.

Each test gets its own active dir pool under tmp_path (made with libvirt directly, so these
tests do not depend on libvirt_pool) and checks results by reading libvirt and qemu-img.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX
from tests.support.collection import run_module

MiB = 1024 * 1024


def has_device_mapper() -> bool:
    with open("/proc/misc", encoding="ascii") as handle:
        return any(line.split()[-1:] == ["device-mapper"] for line in handle)


def volume_module(check: bool = False, diff: bool = False, **params: Any) -> dict[str, Any]:
    return run_module("libvirt_volume", check=check, diff=diff, **params)


def qemu_img_info(path: str | Path) -> dict[str, Any]:
    proc = subprocess.run(["qemu-img", "info", "-U", "--output=json", str(path)], capture_output=True, text=True, check=True)
    info: dict[str, Any] = json.loads(proc.stdout)
    return info


def make_image(path: Path, fmt: str, size: str) -> Path:
    subprocess.run(["qemu-img", "create", "-q", "-f", fmt, str(path), size], check=True)
    return path


def volume_names(pool) -> list[str]:  # type: ignore[no-untyped-def]
    pool.refresh(0)
    return sorted(pool.listVolumes())


def _remove_pool(pool) -> None:  # type: ignore[no-untyped-def]
    if pool.isActive():
        for name in pool.listVolumes():
            pool.storageVolLookupByName(name).delete(0)
        pool.destroy()
    pool.undefine()


def _define_pool(conn, name: str, xml: str):  # type: ignore[no-untyped-def]
    import libvirt

    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    pool = conn.storagePoolDefineXML(xml, 0)
    return pool


@pytest.fixture()
def pool(libvirt_conn, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An active dir pool of its own; its volumes and the pool are removed afterwards."""
    name = "%svols-%s" % (TEST_PREFIX, uuid.uuid4().hex[:8])
    path = tmp_path / "pool"
    pool = _define_pool(libvirt_conn, name, "<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>"
                        % (name, path))
    pool.build(0)
    pool.create(0)
    yield pool
    _remove_pool(pool)


def vol(pool, name: str):  # type: ignore[no-untyped-def]
    return pool.storageVolLookupByName(name)


# ---------------------------------------------------------------- create, idempotence, check, diff

def test_create_blank_volume_then_rerun_is_unchanged(pool) -> None:  # type: ignore[no-untyped-def]
    first = volume_module(pool=pool.name(), name="disk.qcow2", size="64M")
    assert not first["failed"], first["msg"]
    assert first["changed"] is True and first["actions"] == ["create"]
    path = vol(pool, "disk.qcow2").path()
    info = qemu_img_info(path)
    assert info["format"] == "qcow2" and info["virtual-size"] == 64 * MiB
    facts = first["volume"]
    assert facts["path"] == path and facts["capacity"] == 64 * MiB and facts["format"] == "qcow2"
    assert facts["backing"] is None and facts["allocation"] < 64 * MiB, "volumes are created sparse"

    for same in ("64M", "64MiB", str(64 * MiB), 64 * MiB):
        again = volume_module(pool=pool.name(), name="disk.qcow2", size=same, format="qcow2")
        assert again["changed"] is False and again["actions"] == [], (same, again)


def test_qcow2_size_is_rounded_like_libvirt_does(pool) -> None:  # type: ignore[no-untyped-def]
    first = volume_module(pool=pool.name(), name="odd.qcow2", size="1000000")
    assert first["volume"]["capacity"] == 1000448  # whole KiB
    assert volume_module(pool=pool.name(), name="odd.qcow2", size="1000000")["changed"] is False


def test_raw_volume_keeps_its_exact_size(pool) -> None:  # type: ignore[no-untyped-def]
    first = volume_module(pool=pool.name(), name="disk.raw", size="1000001", format="raw")
    assert first["volume"]["capacity"] == 1000001 and qemu_img_info(first["volume"]["path"])["format"] == "raw"
    assert volume_module(pool=pool.name(), name="disk.raw", size="1000001")["changed"] is False


def test_check_mode_creates_nothing(pool) -> None:  # type: ignore[no-untyped-def]
    result = volume_module(check=True, diff=True, pool=pool.name(), name="disk.qcow2", size="16M")
    assert result["changed"] is True and result["actions"] == ["create"]
    assert result["diff"] == {"before": {"state": "absent"},
                              "after": {"state": "present", "format": "qcow2", "capacity": 16 * MiB}}
    assert volume_names(pool) == []


def test_check_mode_changes_nothing_on_an_existing_volume(pool) -> None:  # type: ignore[no-untyped-def]
    volume_module(pool=pool.name(), name="disk.qcow2", size="16M")
    grow = volume_module(check=True, pool=pool.name(), name="disk.qcow2", size="32M")
    assert grow["changed"] is True and grow["actions"] == ["resize"]
    recreate = volume_module(check=True, pool=pool.name(), name="disk.qcow2", size="8M", recreate=True)
    assert recreate["actions"] == ["delete", "create"]
    delete = volume_module(check=True, pool=pool.name(), name="disk.qcow2", state="absent")
    assert delete["changed"] is True and delete["actions"] == ["delete"]
    assert volume_names(pool) == ["disk.qcow2"]
    assert qemu_img_info(vol(pool, "disk.qcow2").path())["virtual-size"] == 16 * MiB


def test_grow_with_a_diff_of_the_capacity_only(pool) -> None:  # type: ignore[no-untyped-def]
    volume_module(pool=pool.name(), name="disk.qcow2", size="16M")
    grown = volume_module(diff=True, pool=pool.name(), name="disk.qcow2", size="48M", format="qcow2")
    assert grown["changed"] is True and grown["actions"] == ["resize"]
    assert grown["diff"] == {"before": {"capacity": 16 * MiB}, "after": {"capacity": 48 * MiB}}
    assert grown["changes"] == [{"name": "capacity", "current": 16 * MiB, "desired": 48 * MiB}]
    assert qemu_img_info(vol(pool, "disk.qcow2").path())["virtual-size"] == 48 * MiB
    assert volume_module(pool=pool.name(), name="disk.qcow2", size="48M")["changed"] is False


def test_shrink_is_refused_naming_size(pool) -> None:  # type: ignore[no-untyped-def]
    volume_module(pool=pool.name(), name="disk.qcow2", size="32M")
    result = volume_module(pool=pool.name(), name="disk.qcow2", size="16M")
    assert result["failed"] and result["field"] == "size"
    assert result["msg"].startswith("size: 16.0 MiB is smaller than the current capacity 32.0 MiB")
    assert "recreate=true" in result["msg"]
    assert qemu_img_info(vol(pool, "disk.qcow2").path())["virtual-size"] == 32 * MiB


def test_recreate_replaces_a_volume_that_cannot_change_in_place(pool) -> None:  # type: ignore[no-untyped-def]
    volume_module(pool=pool.name(), name="disk", size="32M")
    result = volume_module(diff=True, pool=pool.name(), name="disk", size="16M", format="raw", recreate=True)
    assert result["actions"] == ["delete", "create"]
    assert result["diff"] == {"before": {"capacity": 32 * MiB, "format": "qcow2"},
                              "after": {"capacity": 16 * MiB, "format": "raw"}}
    info = qemu_img_info(vol(pool, "disk").path())
    assert info["format"] == "raw" and info["virtual-size"] == 16 * MiB


def test_format_change_is_refused_naming_format(pool) -> None:  # type: ignore[no-untyped-def]
    volume_module(pool=pool.name(), name="disk", size="16M")
    result = volume_module(pool=pool.name(), name="disk", format="raw")
    assert result["failed"] and result["field"] == "format" and "recreate=true" in result["msg"]
    assert qemu_img_info(vol(pool, "disk").path())["format"] == "qcow2"


# ---------------------------------------------------------------- overlays

def test_overlay_on_a_backing_file(pool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = make_image(tmp_path / "base.qcow2", "qcow2", "24M")
    first = volume_module(diff=True, pool=pool.name(), name="web1.qcow2", backing=str(base))
    assert not first["failed"], first["msg"]
    assert first["volume"]["backing"] == str(base) and first["volume"]["backing_format"] == "qcow2"
    assert first["volume"]["capacity"] == 24 * MiB, "an overlay is as large as its backing file by default"
    info = qemu_img_info(vol(pool, "web1.qcow2").path())
    assert info["format"] == "qcow2"
    assert info["backing-filename"] == str(base) and info["backing-filename-format"] == "qcow2"
    assert volume_module(pool=pool.name(), name="web1.qcow2", backing=str(base))["changed"] is False


def test_grown_overlay_on_a_raw_backing_file(pool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = make_image(tmp_path / "base.raw", "raw", "8M")
    first = volume_module(pool=pool.name(), name="web2.qcow2", backing=str(base), size="40M")
    assert not first["failed"], first["msg"]
    info = qemu_img_info(vol(pool, "web2.qcow2").path())
    assert info["backing-filename"] == str(base) and info["backing-filename-format"] == "raw"
    assert info["virtual-size"] == 40 * MiB
    again = volume_module(pool=pool.name(), name="web2.qcow2", backing=str(base), backing_format="raw", size="40M")
    assert again["changed"] is False


def test_backing_change_is_refused_naming_backing(pool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = make_image(tmp_path / "first.qcow2", "qcow2", "8M")
    second = make_image(tmp_path / "second.qcow2", "qcow2", "8M")
    volume_module(pool=pool.name(), name="web.qcow2", backing=str(first))
    result = volume_module(pool=pool.name(), name="web.qcow2", backing=str(second))
    assert result["failed"] and result["field"] == "backing" and "recreate=true" in result["msg"]
    assert qemu_img_info(vol(pool, "web.qcow2").path())["backing-filename"] == str(first)

    recreated = volume_module(pool=pool.name(), name="web.qcow2", backing=str(second), recreate=True)
    assert recreated["actions"] == ["delete", "create"]
    assert qemu_img_info(vol(pool, "web.qcow2").path())["backing-filename"] == str(second)


# ---------------------------------------------------------------- upload and clone

def test_upload_a_raw_image(pool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "data.raw"
    payload = os.urandom(3 * MiB + 17)
    src.write_bytes(payload)
    first = volume_module(pool=pool.name(), name="data.raw", src=str(src))
    assert not first["failed"], first["msg"]
    assert first["actions"] == ["upload"] and first["volume"]["format"] == "raw"
    assert first["volume"]["capacity"] == len(payload)
    assert Path(vol(pool, "data.raw").path()).read_bytes() == payload
    assert volume_module(pool=pool.name(), name="data.raw", src=str(src))["changed"] is False


def test_upload_a_qcow2_image_and_grow_it(pool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = make_image(tmp_path / "image.qcow2", "qcow2", "8M")
    first = volume_module(pool=pool.name(), name="image.qcow2", src=str(src), size="12M")
    assert not first["failed"], first["msg"]
    info = qemu_img_info(vol(pool, "image.qcow2").path())
    assert info["format"] == "qcow2" and info["virtual-size"] == 12 * MiB
    assert volume_module(pool=pool.name(), name="image.qcow2", src=str(src), size="12M")["changed"] is False


def test_upload_refuses_a_format_that_does_not_match(pool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = make_image(tmp_path / "image.qcow2", "qcow2", "8M")
    result = volume_module(pool=pool.name(), name="image", src=str(src), format="raw")
    assert result["failed"] and result["field"] == "format"
    assert volume_names(pool) == []


def test_clone_copies_the_data(pool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "data.raw"
    payload = os.urandom(2 * MiB)
    src.write_bytes(payload)
    volume_module(pool=pool.name(), name="data.raw", src=str(src))
    clone = volume_module(pool=pool.name(), name="copy.raw", clone_from="data.raw")
    assert not clone["failed"], clone["msg"]
    assert clone["actions"] == ["clone"] and clone["volume"]["format"] == "raw"
    assert Path(vol(pool, "copy.raw").path()).read_bytes() == payload
    assert volume_module(pool=pool.name(), name="copy.raw", clone_from="data.raw")["changed"] is False


def test_clone_into_another_format(pool) -> None:  # type: ignore[no-untyped-def]
    volume_module(pool=pool.name(), name="disk.qcow2", size="8M")
    clone = volume_module(pool=pool.name(), name="disk.raw", clone_from="disk.qcow2", format="raw")
    info = qemu_img_info(vol(pool, "disk.raw").path())
    assert clone["volume"]["format"] == "raw" and info["format"] == "raw" and info["virtual-size"] == 8 * MiB


def test_failed_create_leaves_nothing_half_made(pool) -> None:  # type: ignore[no-untyped-def]
    volume_module(pool=pool.name(), name="disk.qcow2", size="8M")
    # The clone succeeds, growing it to 4 EiB does not (qcow2's L1 table cannot grow that far).
    result = volume_module(pool=pool.name(), name="huge.qcow2", clone_from="disk.qcow2", size="4096P")
    assert result["failed"] and result["msg"].startswith("growing volume huge.qcow2")
    assert result["rolled_back"] is True
    assert volume_names(pool) == ["disk.qcow2"]


# ---------------------------------------------------------------- delete

def test_delete(pool) -> None:  # type: ignore[no-untyped-def]
    volume_module(pool=pool.name(), name="disk.qcow2", size="8M")
    path = vol(pool, "disk.qcow2").path()
    gone = volume_module(diff=True, pool=pool.name(), name="disk.qcow2", state="absent")
    assert gone["changed"] is True and gone["actions"] == ["delete"] and gone["volume"] == {}
    assert gone["diff"]["after"] == {"state": "absent"}
    assert gone["diff"]["before"] == {"state": "present", "capacity": 8 * MiB, "format": "qcow2"}
    assert volume_names(pool) == [] and not os.path.exists(path)
    assert volume_module(pool=pool.name(), name="disk.qcow2", state="absent")["changed"] is False


def test_absent_in_a_pool_that_does_not_exist_is_not_a_change() -> None:
    result = volume_module(pool=TEST_PREFIX + "no-such-pool", name="disk", state="absent")
    assert not result["failed"] and result["changed"] is False


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("size", ["-1G", "-5", "10 parsecs", "lots", "1.5", "0", "0G", "G", "1e9"])
def test_bad_sizes_are_refused_naming_size(pool, size: str) -> None:  # type: ignore[no-untyped-def]
    result = volume_module(pool=pool.name(), name="disk", size=size)
    assert result["failed"] and result["field"] == "size", result
    assert result["msg"].startswith("size:")
    assert volume_names(pool) == []


@pytest.mark.parametrize("field", ["name", "pool", "clone_from"])
@pytest.mark.parametrize("bad", ["a/b", "../etc", "a<b", "a&b", 'a"b', "a'b"])
def test_bad_names_are_refused(pool, field: str, bad: str) -> None:  # type: ignore[no-untyped-def]
    params = dict(pool=pool.name(), name="disk", size="8M")
    params[field] = bad
    result = volume_module(**params)
    assert result["failed"] and result["field"] == field, result
    assert volume_names(pool) == []


@pytest.mark.parametrize("field", ["backing", "src"])
def test_missing_files_are_refused(pool, tmp_path: Path, field: str) -> None:  # type: ignore[no-untyped-def]
    result = volume_module(pool=pool.name(), name="disk", **{field: str(tmp_path / "nope.qcow2")})
    assert result["failed"] and result["field"] == field and "does not exist" in result["msg"]
    assert volume_names(pool) == []


@pytest.mark.parametrize("params, field", [
    (dict(), "size"),
    (dict(size="8M", backing="relative.qcow2"), "backing"),
    (dict(clone_from="no-such-volume"), "clone_from"),
])
def test_bad_settings_name_the_field(pool, params: dict[str, Any], field: str) -> None:  # type: ignore[no-untyped-def]
    result = volume_module(pool=pool.name(), name="disk", **params)
    assert result["failed"] and result["field"] == field, result
    assert volume_names(pool) == []


def test_raw_overlay_is_refused(pool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = make_image(tmp_path / "base.qcow2", "qcow2", "8M")
    result = volume_module(pool=pool.name(), name="disk", backing=str(base), format="raw")
    assert result["failed"] and result["field"] == "format"


def test_backing_and_src_are_mutually_exclusive(pool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = make_image(tmp_path / "base.qcow2", "qcow2", "8M")
    result = volume_module(pool=pool.name(), name="disk", backing=str(base), src=str(base))
    assert result["failed"] and "mutually exclusive" in result["msg"] and "backing" in result["msg"]


def test_unknown_state_is_refused(pool) -> None:  # type: ignore[no-untyped-def]
    result = volume_module(pool=pool.name(), name="disk", size="8M", state="gone")
    assert result["failed"] and "state" in result["msg"] and "gone" in result["msg"]


def test_pool_that_does_not_exist(pool) -> None:  # type: ignore[no-untyped-def]
    result = volume_module(pool=TEST_PREFIX + "no-such-pool", name="disk", size="8M")
    assert result["failed"] and result["field"] == "pool" and "no-such-pool" in result["msg"]


def test_inactive_pool(pool) -> None:  # type: ignore[no-untyped-def]
    pool.destroy()
    try:
        result = volume_module(pool=pool.name(), name="disk", size="8M")
        assert result["failed"] and result["field"] == "pool" and "not active" in result["msg"]
    finally:
        pool.create(0)


def test_libvirtd_not_running() -> None:
    result = volume_module(pool="images", name="disk", size="8M", uri="qemu:///system?socket=/nonexistent/sock")
    assert result["failed"] and "cannot connect to libvirt" in result["msg"] and "/nonexistent/sock" in result["msg"]


# ---------------------------------------------------------------- logical pools

@pytest.fixture()
def logical_pool(libvirt_conn, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An active logical pool on a VG built on a loop device (this works without device-mapper)."""
    if not shutil.which("losetup") or not shutil.which("vgcreate"):
        pytest.skip("needs losetup and lvm2")
    backing = tmp_path / "pv.img"
    backing.write_bytes(b"")
    os.truncate(backing, 64 * MiB)
    loop = subprocess.run(["losetup", "--find", "--show", str(backing)], capture_output=True, text=True, check=True).stdout.strip()
    name = "%slvm-%s" % (TEST_PREFIX, uuid.uuid4().hex[:8])
    pool = _define_pool(libvirt_conn, name, "<pool type='logical'><name>%s</name><source><name>%s</name>"
                        "<device path='%s'/></source><target><path>/dev/%s</path></target></pool>" % (name, name, loop, name))
    try:
        pool.build(0)
        pool.create(0)
        yield pool
    finally:
        if pool.isActive():
            for volume in pool.listVolumes():
                pool.storageVolLookupByName(volume).delete(0)
            pool.destroy()
        pool.delete(0)
        pool.undefine()
        subprocess.run(["losetup", "--detach", loop], check=False)


@pytest.mark.parametrize("params, field", [
    (dict(size="8M", format="qcow2"), "format"),
    (dict(backing="BASE"), "backing"),
])
def test_logical_pool_refuses_qcow2_and_backing_files(logical_pool, tmp_path: Path, params: dict[str, Any],
                                                      field: str) -> None:  # type: ignore[no-untyped-def]
    if params.get("backing"):
        params = dict(params, backing=str(make_image(tmp_path / "base.qcow2", "qcow2", "8M")))
    result = volume_module(pool=logical_pool.name(), name="lv1", **params)
    assert result["failed"] and result["field"] == field and "logical pool" in result["msg"], result
    assert volume_names(logical_pool) == []


@pytest.mark.skipif(not has_device_mapper(), reason="creating a logical volume needs device-mapper in the kernel; "
                                                     "this machine has none")
def test_volume_in_a_logical_pool(logical_pool) -> None:  # type: ignore[no-untyped-def]
    first = volume_module(pool=logical_pool.name(), name="lv1", size="10M")
    assert not first["failed"], first["msg"]
    assert first["volume"]["format"] == "raw" and first["volume"]["capacity"] == 12 * MiB  # whole 4 MiB extents
    assert volume_module(pool=logical_pool.name(), name="lv1", size="10M", format="raw")["changed"] is False
    assert volume_module(pool=logical_pool.name(), name="lv1", size="16M")["actions"] == ["resize"]
    assert volume_module(pool=logical_pool.name(), name="lv1", state="absent")["changed"] is True
