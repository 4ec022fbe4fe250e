"""Loop devices, throw-away VGs and direct LVM reads for the lvm_* module tests.

Every LVM command here runs with activation disabled, the same setting the tests pass to the
modules (``activation: false``), so the suites run on hosts without device-mapper.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ACTIVATION_OFF = ["--config", "global { activation = 0 }"]
ENV = dict(os.environ, LC_ALL="C", LVM_SUPPRESS_FD_WARNINGS="1")
NEEDS_DM = "needs device-mapper in the kernel (thin pools, snapshots, activation); this host has none"


def lvm(command: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["lvm", command, *ACTIVATION_OFF, *args], capture_output=True, text=True,
                          env=ENV, stdin=subprocess.DEVNULL, timeout=120, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("lvm %s %s failed: %s" % (command, " ".join(args), proc.stderr))
    return proc


def report(command: str, key: str, fields: str, *args: str) -> list[dict[str, str]]:
    out = lvm(command, "--reportformat", "json", "--units", "b", "--nosuffix", "-o", fields, *args).stdout
    return [row for section in json.loads(out)["report"] for row in section.get(key, [])]


def vg_row(name: str) -> dict[str, str] | None:
    rows = report("vgs", "vg", "vg_name,vg_size,vg_free,pv_count,lv_count,vg_extent_size")
    return next((row for row in rows if row["vg_name"] == name), None)


def lv_rows(vg: str) -> dict[str, dict[str, str]]:
    rows = report("lvs", "lv", "lv_name,lv_size,lv_attr,segtype,pool_lv,origin", vg)
    return {row["lv_name"]: row for row in rows}


def pv_names(vg: str) -> list[str]:
    rows = report("pvs", "pv", "pv_name,vg_name")
    return sorted(os.path.realpath(row["pv_name"]) for row in rows if row["vg_name"] == vg)


def device_mapper_available() -> bool:
    return subprocess.run(["dmsetup", "version"], capture_output=True, check=False).returncode == 0


class LvmSandbox:
    """Sparse files on loop devices plus a unique VG name; everything is undone by ``cleanup``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.vg = "stktest-" + secrets.token_hex(4)
        self.devices: list[str] = []

    def loop(self, size_mb: int = 64) -> str:
        backing = self.directory / ("disk%d.img" % len(self.devices))
        with open(backing, "wb") as handle:
            handle.truncate(size_mb * 1024 * 1024)
        dev = subprocess.run(["losetup", "--find", "--show", str(backing)], capture_output=True, text=True,
                             check=True).stdout.strip()
        self.devices.append(dev)
        return dev

    def cleanup(self) -> None:
        rows = report("pvs", "pv", "pv_name,vg_name")
        vgs = set(row["vg_name"] for row in rows if row["vg_name"] and os.path.realpath(row["pv_name"]) in self.devices)
        for vg in sorted(vgs | {self.vg}):
            if vg_row(vg) is not None:
                lvm("vgremove", "--force", "--force", vg, check=False)
        for dev in self.devices:
            lvm("pvremove", "--force", "--force", "--yes", dev, check=False)
            subprocess.run(["losetup", "-d", dev], check=False)


@pytest.fixture()
def sandbox(tmp_path: Path) -> Iterator[LvmSandbox]:
    box = LvmSandbox(tmp_path)
    try:
        yield box
    finally:
        box.cleanup()


def _edit_metadata(vg: str, directory: Path, edit: Any) -> None:
    """vgcfgbackup, edit the text metadata, vgcfgrestore --force (thin metadata needs --force)."""
    path = directory / ("%s.vg" % vg)
    lvm("vgcfgbackup", "-f", str(path), vg)
    path.write_text(edit(path.read_text()))
    lvm("vgcfgrestore", "--force", "-f", str(path), vg)


def _add_lv(text: str, body: str) -> str:
    marker = "\tlogical_volumes {\n"
    at = text.index(marker) + len(marker)
    return text[:at] + body + text[at:]


def _hide_and_rename(text: str, old: str, new: str) -> str:
    start = text.index("\t\t%s {\n" % old)
    end = text.index("\n\t\t}\n", start)
    block = text[start:end].replace("\t\t%s {" % old, "\t\t%s {" % new, 1)
    block = re.sub(r'status = \["READ", "WRITE", "VISIBLE"\]', 'status = ["READ", "WRITE"]', block)
    return text[:start] + block + text[end:]


def inject_thin_pool(vg: str, pool: str, data_lv: str, meta_lv: str, directory: Path) -> None:
    """Turn two plain LVs into a thin pool by editing the VG metadata.

    What ``lvcreate --type thin-pool`` would leave, for hosts where device-mapper is missing and
    LVM refuses to create pools: lets the tests read, keep and remove an existing pool.
    """
    extents = int(report("lvs", "lv", "lv_name,seg_size_pe", vg + "/" + data_lv)[0]["seg_size_pe"])

    def edit(text: str) -> str:
        text = _hide_and_rename(_hide_and_rename(text, data_lv, pool + "_tdata"), meta_lv, pool + "_tmeta")
        return _add_lv(text, _POOL % {"name": pool, "id": _fake_id(), "extents": extents})

    _edit_metadata(vg, directory, edit)


def inject_snapshot(vg: str, origin: str, cow_lv: str, directory: Path) -> None:
    """Make the plain LV ``cow_lv`` an (old-style) snapshot of ``origin`` by editing the metadata."""
    extents = int(report("lvs", "lv", "lv_name,seg_size_pe", vg + "/" + origin)[0]["seg_size_pe"])
    body = _SNAPSHOT % {"id": _fake_id(), "extents": extents, "origin": origin, "cow": cow_lv}
    _edit_metadata(vg, directory, lambda text: _add_lv(text, body))


def _fake_id() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    chars = "".join(secrets.choice(alphabet) for _ in range(32))
    parts = [6, 4, 4, 4, 4, 4, 6]
    out, at = [], 0
    for size in parts:
        out.append(chars[at:at + size])
        at += size
    return "-".join(out)


_POOL = """
\t\t%(name)s {
\t\t\tid = "%(id)s"
\t\t\tstatus = ["READ", "WRITE", "VISIBLE"]
\t\t\tflags = []
\t\t\tsegment_count = 1

\t\t\tsegment1 {
\t\t\t\tstart_extent = 0
\t\t\t\textent_count = %(extents)d
\t\t\t\ttype = "thin-pool"
\t\t\t\tmetadata = "%(name)s_tmeta"
\t\t\t\tpool = "%(name)s_tdata"
\t\t\t\ttransaction_id = 0
\t\t\t\tchunk_size = 128
\t\t\t\tdiscards = "passdown"
\t\t\t\tzero_new_blocks = 1
\t\t\t}
\t\t}
"""

_SNAPSHOT = """
\t\tsnapshot0 {
\t\t\tid = "%(id)s"
\t\t\tstatus = ["READ"]
\t\t\tflags = []
\t\t\tsegment_count = 1

\t\t\tsegment1 {
\t\t\t\tstart_extent = 0
\t\t\t\textent_count = %(extents)d
\t\t\t\ttype = "snapshot"
\t\t\t\tchunk_size = 8
\t\t\t\torigin = "%(origin)s"
\t\t\t\tcow_store = "%(cow)s"
\t\t\t}
\t\t}
"""
