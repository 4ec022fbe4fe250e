"""stackling.cloud.lvm_vg against real LVM on loop devices (activation off: no device-mapper needed)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.collection import run_module
from tests.support.lvm import LvmSandbox, lvm, pv_names, sandbox, vg_row  # noqa: F401  (fixture)

OFF = {"activation": False}


def vg_module(check: bool = False, diff: bool = False, **params: object) -> dict:
    return run_module("lvm_vg", check=check, diff=diff, **dict(OFF, **params))


def test_create_check_mode_idempotent_and_diff(sandbox: LvmSandbox) -> None:
    dev = sandbox.loop()
    planned = vg_module(check=True, diff=True, vg=sandbox.vg, pvs=[dev], pesize="8M")
    assert planned["changed"] and not planned["failed"], planned
    assert vg_row(sandbox.vg) is None, "check mode created the VG"
    assert planned["diff"] == {"before": {}, "after": {"name": sandbox.vg, "pvs": [dev], "extent_size": 8 << 20}}
    assert any(" vgcreate " in cmd for cmd in planned["commands"])

    created = vg_module(diff=True, vg=sandbox.vg, pvs=[dev], pesize="8M")
    assert created["changed"] and not created["failed"], created
    assert created["vg"]["pvs"] == [dev] and created["vg"]["extent_size"] == 8 << 20
    row = vg_row(sandbox.vg)
    assert row is not None and int(row["vg_extent_size"]) == 8 << 20
    assert created["vg"]["size"] == int(row["vg_size"]) and created["vg"]["free"] == int(row["vg_free"])

    again = vg_module(diff=True, vg=sandbox.vg, pvs=[dev], pesize="8M")
    assert not again["changed"] and again["commands"] == [], again
    assert again["diff"] == {"before": {}, "after": {}}


def test_devices_are_compared_by_real_path(sandbox: LvmSandbox, tmp_path: Path) -> None:
    dev = sandbox.loop()
    link = tmp_path / "disk-by-name"
    link.symlink_to(dev)
    assert vg_module(vg=sandbox.vg, pvs=[str(link)])["changed"]
    again = vg_module(vg=sandbox.vg, pvs=[dev])
    assert not again["changed"] and again["vg"]["pvs"] == [os.path.realpath(dev)]


def test_extend_then_reduce(sandbox: LvmSandbox) -> None:
    first, second = sandbox.loop(), sandbox.loop()
    vg_module(vg=sandbox.vg, pvs=[first])

    planned = vg_module(check=True, diff=True, vg=sandbox.vg, pvs=[first, second])
    assert planned["changed"] and pv_names(sandbox.vg) == [first], "check mode extended the VG"
    assert planned["diff"] == {"before": {"pvs": [first]}, "after": {"pvs": sorted([first, second])}}

    extended = vg_module(vg=sandbox.vg, pvs=[second, first])
    assert extended["changed"] and extended["vg"]["pv_count"] == 2, extended
    assert pv_names(sandbox.vg) == sorted([first, second])
    assert not vg_module(vg=sandbox.vg, pvs=[first, second])["changed"]

    reduced = vg_module(diff=True, vg=sandbox.vg, pvs=[first])
    assert reduced["changed"] and reduced["diff"]["after"] == {"pvs": [first]}, reduced
    assert pv_names(sandbox.vg) == [first]


def test_reduce_refuses_a_pv_holding_extents(sandbox: LvmSandbox) -> None:
    first, second = sandbox.loop(), sandbox.loop()
    vg_module(vg=sandbox.vg, pvs=[first, second])
    lvm("lvcreate", "--yes", "-n", "data", "-l", "2", sandbox.vg, second)
    refused = vg_module(vg=sandbox.vg, pvs=[first])
    assert refused["failed"] and refused["field"] == "pvs", refused
    assert second in refused["msg"] and "pvmove" in refused["msg"]
    assert pv_names(sandbox.vg) == sorted([first, second])


def test_remove_needs_force_when_the_vg_holds_lvs(sandbox: LvmSandbox) -> None:
    dev = sandbox.loop()
    vg_module(vg=sandbox.vg, pvs=[dev])
    lvm("lvcreate", "--yes", "-n", "data", "-l", "1", sandbox.vg)

    refused = vg_module(vg=sandbox.vg, state="absent")
    assert refused["failed"] and "force" in refused["msg"], refused
    assert vg_row(sandbox.vg) is not None

    planned = vg_module(check=True, vg=sandbox.vg, state="absent", force=True)
    assert planned["changed"] and vg_row(sandbox.vg) is not None

    removed = vg_module(diff=True, vg=sandbox.vg, state="absent", force=True)
    assert removed["changed"] and removed["diff"]["after"] == {}, removed
    assert vg_row(sandbox.vg) is None
    assert not vg_module(vg=sandbox.vg, state="absent")["changed"]


def test_bad_input_names_the_field(sandbox: LvmSandbox, tmp_path: Path) -> None:
    dev = sandbox.loop()
    missing = vg_module(vg=sandbox.vg, pvs=[str(tmp_path / "no-such-disk")])
    assert missing["failed"] and missing["field"] == "pvs" and "does not exist" in missing["msg"], missing
    not_block = tmp_path / "plain-file"
    not_block.write_text("")
    assert vg_module(vg=sandbox.vg, pvs=[str(not_block)])["field"] == "pvs"
    assert vg_module(vg=sandbox.vg, pvs=[dev], pesize="3M")["field"] == "pesize"
    assert vg_module(vg="-bad/name", pvs=[dev])["field"] == "vg"
    assert vg_module(vg=sandbox.vg)["field"] == "pvs"  # creating needs devices

    vg_module(vg=sandbox.vg, pvs=[dev])
    taken = vg_module(vg=sandbox.vg + "-other", pvs=[dev])
    assert taken["failed"] and taken["field"] == "pvs" and sandbox.vg in taken["msg"], taken
    other_pesize = vg_module(vg=sandbox.vg, pvs=[dev], pesize="8M")
    assert other_pesize["failed"] and other_pesize["field"] == "pesize"
