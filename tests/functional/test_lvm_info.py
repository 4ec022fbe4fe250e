"""stackling.cloud.lvm_info against real LVM on loop devices (activation off)."""

from __future__ import annotations

from tests.support.collection import run_module
from tests.support.lvm import LvmSandbox, lvm, sandbox  # noqa: F401  (fixture)

MIB = 1024 * 1024


def test_reports_sizes_and_free_space_in_bytes(sandbox: LvmSandbox) -> None:
    first, second, spare = sandbox.loop(64), sandbox.loop(64), sandbox.loop(32)
    lvm("vgcreate", "--physicalextentsize", "4m", sandbox.vg, first, second)
    lvm("pvcreate", spare)
    lvm("lvcreate", "--yes", "-n", "vol1", "-L", "20m", sandbox.vg)

    info = run_module("lvm_info", vg=[sandbox.vg], activation=False)
    assert not info["changed"] and not info["failed"], info
    (vg,) = info["vgs"]
    assert vg["name"] == sandbox.vg and vg["pvs"] == sorted([first, second])
    assert vg["extent_size"] == 4 * MIB and vg["size"] == vg["extent_count"] * 4 * MIB
    assert vg["free"] == vg["size"] - 20 * MIB and vg["lv_count"] == 1
    assert [pv["name"] for pv in info["pvs"]] == sorted([first, second])  # the filter hides the spare PV
    assert sum(pv["used"] for pv in info["pvs"]) == 20 * MIB
    assert all(pv["free"] == pv["size"] - pv["used"] for pv in info["pvs"])
    (lv,) = info["lvs"]
    assert (lv["name"], lv["vg"], lv["size"], lv["type"]) == ("vol1", sandbox.vg, 20 * MIB, "linear")

    everything = run_module("lvm_info", activation=False)
    assert sandbox.vg in [row["name"] for row in everything["vgs"]]
    spare_row = next(pv for pv in everything["pvs"] if pv["name"] == spare)
    assert spare_row["vg"] is None and spare_row["size"] == 32 * MIB


def test_unknown_vg_is_an_error_naming_vg(sandbox: LvmSandbox) -> None:
    failed = run_module("lvm_info", vg=[sandbox.vg], activation=False)
    assert failed["failed"] and failed["field"] == "vg" and sandbox.vg in failed["msg"], failed
