"""stackling.cloud.lvm_lv against real LVM on loop devices.

Plain LVs are created, resized and removed with activation off, which works without
device-mapper. Creating thin pools, thin volumes and snapshots, and activating LVs, needs
device-mapper: those tests run only where it exists and are skipped with that reason
elsewhere. Existing pools and snapshots (written into the VG metadata by the helpers in
tests/support/lvm.py) are still recognised, kept and removed on every host.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.collection import run_module
from tests.support.lvm import (  # noqa: F401  (sandbox is a fixture)
    NEEDS_DM,
    LvmSandbox,
    device_mapper_available,
    inject_snapshot,
    inject_thin_pool,
    lv_rows,
    lvm,
    sandbox,
)

MIB = 1024 * 1024
needs_dm = pytest.mark.skipif(not device_mapper_available(), reason=NEEDS_DM)


@pytest.fixture()
def vg(sandbox: LvmSandbox) -> Iterator[str]:
    """A 124 MiB VG with 4 MiB extents (31 extents)."""
    dev = sandbox.loop(128)
    lvm("vgcreate", "--physicalextentsize", "4m", sandbox.vg, dev)
    yield sandbox.vg


def lv_module(vg: str, check: bool = False, diff: bool = False, activation: bool = False, **params: object) -> dict:
    return run_module("lvm_lv", check=check, diff=diff, vg=vg, activation=activation, **params)


def size_of(vg: str, name: str) -> int:
    return int(lv_rows(vg)[name]["lv_size"])


def test_create_rounds_to_extents_check_mode_and_idempotent(vg: str) -> None:
    planned = lv_module(vg, check=True, diff=True, lv="vol1", size="10M")
    assert planned["changed"] and not planned["failed"], planned
    assert "vol1" not in lv_rows(vg), "check mode created the LV"
    assert planned["diff"]["before"] == {} and planned["diff"]["after"]["size"] == 12 * MIB

    created = lv_module(vg, diff=True, lv="vol1", size="10M")
    assert created["changed"], created
    lv = created["lv"]
    assert (lv["size"], lv["type"], lv["path"]) == (12 * MIB, "linear", "/dev/%s/vol1" % vg)
    assert lv["attr"].startswith("-wi") and lv["active"] is None  # LVM cannot tell without activation
    assert size_of(vg, "vol1") == 12 * MIB

    again = lv_module(vg, diff=True, lv="vol1", size="12MiB")
    assert not again["changed"] and again["commands"] == [] and again["diff"] == {"before": {}, "after": {}}
    assert not lv_module(vg, lv="vol1")["changed"]  # no size: leave it alone


def test_grow_absolute_and_relative(vg: str) -> None:
    lv_module(vg, lv="vol1", size="8M")
    planned = lv_module(vg, check=True, lv="vol1", size="+8M")
    assert planned["changed"] and "lvextend" in planned["commands"][0] and size_of(vg, "vol1") == 8 * MIB

    grown = lv_module(vg, diff=True, lv="vol1", size="+8M")
    assert grown["changed"] and grown["diff"] == {"before": {"size": 8 * MIB}, "after": {"size": 16 * MIB}}
    assert size_of(vg, "vol1") == 16 * MIB
    assert lv_module(vg, lv="vol1", size="+4M")["lv"]["size"] == 20 * MIB  # relative: grows every run

    assert lv_module(vg, lv="vol1", size="24M")["lv"]["size"] == 24 * MIB
    assert not lv_module(vg, lv="vol1", size="24M")["changed"]


def test_shrink_needs_force(vg: str) -> None:
    lv_module(vg, lv="vol1", size="16M")
    refused = lv_module(vg, lv="vol1", size="8M")
    assert refused["failed"] and "force" in refused["msg"], refused
    assert size_of(vg, "vol1") == 16 * MIB

    planned = lv_module(vg, check=True, lv="vol1", size="8M", force=True)
    assert planned["changed"] and size_of(vg, "vol1") == 16 * MIB
    shrunk = lv_module(vg, lv="vol1", size="8M", force=True)
    assert shrunk["changed"] and size_of(vg, "vol1") == 8 * MIB


def test_percent_sizes(vg: str) -> None:
    half = lv_module(vg, lv="vol1", size="50%VG")
    assert half["lv"]["size"] == 15 * 4 * MIB, half  # 31 extents * 50 %, rounded down
    rest = lv_module(vg, lv="vol2", size="100%FREE")
    assert rest["lv"]["size"] == 16 * 4 * MIB, rest
    assert not lv_module(vg, lv="vol2", size="100%FREE")["changed"]  # %FREE only sizes a new LV


def test_remove(vg: str) -> None:
    lv_module(vg, lv="vol1", size="8M")
    planned = lv_module(vg, check=True, lv="vol1", state="absent")
    assert planned["changed"] and "vol1" in lv_rows(vg)
    removed = lv_module(vg, diff=True, lv="vol1", state="absent")
    assert removed["changed"] and removed["diff"]["before"]["size"] == 8 * MIB and "lv" not in removed
    assert "vol1" not in lv_rows(vg)
    assert not lv_module(vg, lv="vol1", state="absent")["changed"]


def test_bad_input_names_the_field(vg: str) -> None:
    assert lv_module(vg, lv="vol1", size="ten gigs")["field"] == "size"
    assert lv_module(vg, lv="vol1", size="0")["field"] == "size"
    assert lv_module(vg, lv="vol1", size="150%VG")["field"] == "size"
    unit = lv_module(vg, lv="vol1", size="10XB")
    assert unit["failed"] and unit["field"] == "size" and unit["msg"].startswith("size: ") and "'XB'" in unit["msg"], unit
    assert lv_module(vg, lv="vol1", size="-8M")["field"] == "size"
    assert lv_module(vg, lv="vol1", size="+0M")["field"] == "size"
    assert lv_module(vg, lv="vol1", size="8.5B")["field"] == "size"
    assert lv_module(vg, lv="vol1")["field"] == "size"  # creating needs a size
    unknown = lv_module("stktest-no-such-vg", lv="vol1", size="8M")
    assert unknown["failed"] and unknown["field"] == "vg" and "does not exist" in unknown["msg"], unknown
    assert lv_module(vg, lv="vol1_tmeta", size="8M")["field"] == "lv"
    assert lv_module(vg, lv="bad/name", size="8M")["field"] == "lv"
    assert lv_module(vg, lv="vol1", size="8M", thin_pool="nopool")["field"] == "thin_pool"
    assert lv_module(vg, lv="snap", size="8M", snapshot_of="nothing")["field"] == "snapshot_of"
    both = lv_module(vg, lv="vol1", size="8M", thin_pool="p", snapshot_of="o")
    assert both["failed"] and "mutually exclusive" in both["msg"]
    assert "vol1" not in lv_rows(vg)


def test_kind_mismatch_is_an_error(vg: str) -> None:
    lv_module(vg, lv="vol1", size="8M")
    mismatch = lv_module(vg, lv="vol1", type="thin-pool")
    assert mismatch["failed"] and mismatch["field"] == "type", mismatch


def test_active_needs_activation(vg: str) -> None:
    lv_module(vg, lv="vol1", size="8M")
    refused = lv_module(vg, lv="vol1", active=False)
    assert refused["failed"] and refused["field"] == "active", refused


@needs_dm
def test_activate_and_deactivate(vg: str) -> None:
    lv_module(vg, lv="vol1", size="8M", activation=True)
    off = lv_module(vg, lv="vol1", active=False, activation=True)
    assert off["changed"] and off["lv"]["active"] is False
    on = lv_module(vg, lv="vol1", active=True, activation=True)
    assert on["changed"] and on["lv"]["active"] is True
    assert not lv_module(vg, lv="vol1", active=True, activation=True)["changed"]


@needs_dm
def test_thin_pool_thin_volume_and_thin_snapshot(vg: str) -> None:
    pool = lv_module(vg, lv="pool", type="thin-pool", size="40M", activation=True)
    assert pool["changed"] and pool["lv"]["type"] == "thin-pool", pool
    assert not lv_module(vg, lv="pool", type="thin-pool", size="40M", activation=True)["changed"]
    thin = lv_module(vg, lv="thin1", thin_pool="pool", size="1G", activation=True)
    assert thin["changed"] and (thin["lv"]["type"], thin["lv"]["pool"], thin["lv"]["size"]) == ("thin", "pool", 1 << 30)
    assert not lv_module(vg, lv="thin1", thin_pool="pool", size="1G", activation=True)["changed"]
    snap = lv_module(vg, lv="thin1-snap", snapshot_of="thin1", activation=True)
    assert snap["changed"] and snap["lv"]["origin"] == "thin1"


@needs_dm
def test_snapshot_of_a_plain_lv(vg: str) -> None:
    lv_module(vg, lv="vol1", size="16M", activation=True)
    snap = lv_module(vg, lv="vol1-snap", snapshot_of="vol1", size="8M", activation=True)
    assert snap["changed"] and (snap["lv"]["type"], snap["lv"]["origin"]) == ("snapshot", "vol1"), snap
    assert not lv_module(vg, lv="vol1-snap", snapshot_of="vol1", size="8M", activation=True)["changed"]


def test_thin_pool_creation_without_device_mapper_fails_clearly(vg: str) -> None:
    if device_mapper_available():
        pytest.skip("this host has device-mapper, so thin pools can be created")
    failed = lv_module(vg, lv="pool", type="thin-pool", size="40M")
    assert failed["failed"] and "device-mapper" in failed["msg"] and "cmd" in failed, failed
    assert "pool" not in lv_rows(vg)


def test_existing_thin_pool_is_kept_and_removed(vg: str, tmp_path: Path) -> None:
    lvm("lvcreate", "--yes", "-n", "pdata", "-l", "10", vg)
    lvm("lvcreate", "--yes", "-n", "pmeta", "-l", "1", vg)
    inject_thin_pool(vg, "pool", "pdata", "pmeta", tmp_path)

    kept = lv_module(vg, lv="pool", type="thin-pool", size="40M")
    assert not kept["changed"] and kept["lv"]["type"] == "thin-pool" and kept["lv"]["size"] == 40 * MIB, kept
    assert lv_module(vg, lv="pool", size="8M")["field"] == "type"  # a pool is not a linear LV
    if not device_mapper_available():
        thin = lv_module(vg, lv="thin1", thin_pool="pool", size="1G")
        assert thin["failed"] and "device-mapper" in thin["msg"], thin

    removed = lv_module(vg, lv="pool", state="absent")
    assert removed["changed"], removed
    assert not any(name.startswith("pool") for name in lv_rows(vg))


def test_existing_snapshot_is_recognised_and_guards_its_origin(vg: str, tmp_path: Path) -> None:
    lvm("lvcreate", "--yes", "-n", "vol1", "-l", "4", vg)
    lvm("lvcreate", "--yes", "-n", "vol1-snap", "-l", "2", vg)
    inject_snapshot(vg, "vol1", "vol1-snap", tmp_path)

    kept = lv_module(vg, lv="vol1-snap", snapshot_of="vol1", size="8M")
    assert not kept["changed"] and (kept["lv"]["type"], kept["lv"]["origin"]) == ("snapshot", "vol1"), kept
    lvm("lvcreate", "--yes", "-n", "vol2", "-l", "1", vg)
    assert lv_module(vg, lv="vol1-snap", snapshot_of="vol2")["field"] == "snapshot_of"

    refused = lv_module(vg, lv="vol1", state="absent")
    assert refused["failed"] and "force" in refused["msg"] and "vol1-snap" in refused["msg"], refused
    removed = lv_module(vg, lv="vol1-snap", state="absent")
    assert removed["changed"] and "vol1-snap" not in lv_rows(vg) and "vol1" in lv_rows(vg), removed


def test_force_removes_an_origin_with_its_snapshots(vg: str, tmp_path: Path) -> None:
    lvm("lvcreate", "--yes", "-n", "vol1", "-l", "4", vg)
    lvm("lvcreate", "--yes", "-n", "vol1-snap", "-l", "2", vg)
    inject_snapshot(vg, "vol1", "vol1-snap", tmp_path)
    removed = lv_module(vg, lv="vol1", state="absent", force=True)
    assert removed["changed"] and not removed["failed"], removed
    assert lv_rows(vg) == {}
