# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one gateway to LVM shared by every lvm_* module.

Every LVM call goes through the single ``lvm`` binary (``lvm vgs``, ``lvm lvcreate`` ...).
Reads ask for machine output (``--reportformat json --units b --nosuffix``); changes are
recorded in ``commands`` and, in check mode, run with LVM's own dry run (``--test``) where
that works, so check mode and the real run validate the same way.

``activation=False`` adds ``--config 'global { activation = 0 }'`` to every command: LVM then
edits metadata only and never talks to device-mapper. That is how PVs, VGs and plain LVs are
managed on hosts without device-mapper (containers, minimal kernels); thin pools, thin volumes,
snapshots and (de)activation need device-mapper and fail there with LVM's own message.
"""

from __future__ import annotations

import json
import os
import re
import stat

from ansible_collections.stackling.cloud.plugins.module_utils._errors import (
    CommandFailed,
    InvalidInput,
    StacklingError,
)
from ansible_collections.stackling.cloud.plugins.module_utils._process import find_binary
from ansible_collections.stackling.cloud.plugins.module_utils._units import parse_size

# Shared options of every lvm module; documented in doc_fragments/lvm.py.
LVM_ARG_SPEC = {
    "activation": {"type": "bool", "default": True},
}

ACTIVATION_OFF = "global { activation = 0 }"
REPORT_ARGS = ["--reportformat", "json", "--units", "b", "--nosuffix"]
# LC_ALL=C keeps messages stable; the fd warning is noise when Ansible leaves descriptors open.
_ENV = {"LC_ALL": "C", "LVM_SUPPRESS_FD_WARNINGS": "1"}

PV_FIELDS = ["pv_name", "vg_name", "pv_size", "pv_free", "pv_used", "pv_uuid",
             "pv_pe_count", "pv_pe_alloc_count", "dev_size"]
VG_FIELDS = ["vg_name", "vg_uuid", "vg_size", "vg_free", "vg_extent_size", "vg_extent_count",
             "vg_free_count", "pv_count", "lv_count", "snap_count", "vg_attr"]
LV_FIELDS = ["lv_name", "vg_name", "lv_uuid", "lv_path", "lv_size", "lv_attr", "segtype",
             "pool_lv", "origin", "lv_role", "data_percent", "metadata_percent"]
_INT_FIELDS = frozenset(name for name in PV_FIELDS + VG_FIELDS + LV_FIELDS
                        if name.endswith(("_size", "_free", "_used", "_count")))
_FLOAT_FIELDS = frozenset(["data_percent", "metadata_percent"])

# LVM's own name rules: letters, digits and + _ . - ; no leading '-'; not '.' or '..'.
_LVM_NAME_RE = re.compile(r"^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$")
_RESERVED_LV_PARTS = ("_cdata", "_cmeta", "_corig", "_mimage", "_mlog", "_pmspare", "_rimage",
                      "_rmeta", "_tdata", "_tmeta", "_vorigin", "_vdata")
_PERCENT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*(VG|FREE)\s*$", re.IGNORECASE)


def validate_lvm_name(field, value, lv=False):
    """Raise InvalidInput naming ``field`` unless ``value`` is a name LVM accepts for a VG (or LV)."""
    if not value or not _LVM_NAME_RE.match(value) or value in (".", ".."):
        raise InvalidInput(field, "%r is not a valid LVM name: use letters, digits and + _ . - "
                                  "(not starting with '-'), at most 127 characters" % (value,))
    if lv and (value.startswith(("snapshot", "pvmove")) or any(p in value for p in _RESERVED_LV_PARTS)):
        raise InvalidInput(field, "%r is reserved by LVM for internal volumes" % (value,))
    return value


def parse_lv_size(field, value):
    """Parse an LV size into ``(mode, amount)``.

    ``('absolute', bytes)`` for ``10G``/``512MiB``/bytes, ``('relative', bytes)`` for ``+5G``
    and ``('percent', (pct, 'VG'|'FREE'))`` for ``50%VG`` or ``100%FREE``.
    """
    text = str(value).strip()
    match = _PERCENT_RE.match(text)
    if match:
        pct = float(match.group(1))
        if not 0 < pct <= 100:
            raise InvalidInput(field, "percentage must be above 0 and at most 100, got %r" % (value,))
        return "percent", (pct, match.group(2).upper())
    if text.startswith("+"):
        return "relative", _positive(field, parse_size(field, text[1:], default_unit="M"), value)
    return "absolute", _positive(field, parse_size(field, text, default_unit="M"), value)


def _positive(field, size, value):
    if size <= 0:
        raise InvalidInput(field, "must be larger than 0, got %r" % (value,))
    return size


def extents_for(size_bytes, extent_size):
    """Whole extents holding ``size_bytes`` (LVM rounds sizes up to the extent size)."""
    return -(-size_bytes // extent_size)


def desired_extents(spec, vg, current_extents=None):
    """Target size in extents for a parsed size ``spec`` in VG facts ``vg``.

    Percentages round down like LVM's ``-l N%VG``; ``%FREE`` only sizes a new LV (returns None
    for an existing one, which is then left alone); ``+N`` grows the current size by N.
    """
    mode, amount = spec
    extent = vg["extent_size"]
    if mode == "absolute":
        return extents_for(amount, extent)
    if mode == "relative":
        return (current_extents or 0) + extents_for(amount, extent)
    pct, base = amount
    if base == "FREE" and current_extents is not None:
        return None
    total = vg["free_extents"] if base == "FREE" else vg["extent_count"]
    return int(total * pct // 100)


def realpath_device(field, path):
    """Absolute, symlink-free path of an existing block device, or InvalidInput naming ``field``."""
    real = os.path.realpath(path)
    if not os.path.exists(real):
        raise InvalidInput(field, "device %s does not exist" % (path,))
    if not _is_block_device(real):
        raise InvalidInput(field, "%s is not a block device" % (path,))
    return real


def _is_block_device(path):
    return stat.S_ISBLK(os.stat(path).st_mode)


def _convert(row):
    out = {}
    for key, value in row.items():
        if key in _INT_FIELDS:
            out[key] = int(value) if value not in ("", None) else None
        elif key in _FLOAT_FIELDS:
            out[key] = float(value) if value not in ("", None) else None
        else:
            out[key] = value
    return out


class Lvm(object):
    """Runs ``lvm <command>`` for one module; records every change it makes or plans."""

    def __init__(self, module, activation=True):
        self.module = module
        self.activation = activation
        self.commands = []
        self.binary = find_binary(module, "lvm", "apt-get install lvm2")

    def argv(self, command, args):
        config = [] if self.activation else ["--config", ACTIVATION_OFF]
        return [self.binary, command] + config + list(args)

    def run(self, command, args):
        argv = self.argv(command, args)
        rc, out, err = self.module.run_command(argv, environ_update=_ENV)
        if rc != 0:
            raise CommandFailed(argv, rc, out, err, msg=self._failure_message(argv, rc, out, err))
        return out

    def _failure_message(self, argv, rc, out, err):
        lines = [line.strip() for line in (err or out).splitlines() if line.strip()]
        text = " ".join([line for line in lines if not line.startswith("WARNING:")] or lines)
        msg = "lvm %s failed with rc=%s: %s" % (argv[1], rc, text)
        if self.activation and "device-mapper" in text:
            msg += " (this host has no usable device-mapper: set activation: false to manage metadata only)"
        elif not self.activation and "without using device-mapper" in text:
            msg += (" (needs device-mapper: thin pools, thin volumes and snapshots cannot be created "
                    "or resized with activation: false)")
        return msg

    def report(self, command, key, fields, args=()):
        """Rows of an LVM report (``pvs``/``vgs``/``lvs``) as dicts with numbers converted."""
        out = self.run(command, REPORT_ARGS + ["-o", ",".join(fields)] + list(args))
        try:
            sections = json.loads(out)["report"]
        except (ValueError, KeyError, TypeError):
            raise StacklingError("lvm %s printed no JSON report" % command, stdout=out)
        return [_convert(row) for section in sections for row in section.get(key, [])]

    def pvs(self):
        return [pv_facts(row) for row in self.report("pvs", "pv", PV_FIELDS)]

    def vgs(self):
        return [vg_facts(row) for row in self.report("vgs", "vg", VG_FIELDS)]

    def lvs(self, vg):
        return [lv_facts(row) for row in self.report("lvs", "lv", LV_FIELDS, [vg])]

    def find_vg(self, name):
        return next((vg for vg in self.vgs() if vg["name"] == name), None)

    def require_vg(self, field, name):
        vg = self.find_vg(name)
        if vg is None:
            raise InvalidInput(field, "volume group %r does not exist" % (name,))
        return vg

    def change(self, command, args, dry_run=True):
        """Run a changing command; in check mode run it with ``--test`` (if ``dry_run``) instead."""
        self.commands.append(self.argv(command, args))
        if not self.module.check_mode:
            self.run(command, args)
        elif dry_run:
            self.run(command, ["--test"] + list(args))


def pv_facts(row):
    name = row["pv_name"]
    return {
        "name": os.path.realpath(name) if name.startswith("/") else name,
        "vg": row["vg_name"] or None,
        "size": row["pv_size"],
        "free": row["pv_free"],
        "used": row["pv_used"],
        "extent_count": row["pv_pe_count"],
        "allocated_extents": row["pv_pe_alloc_count"],
        "dev_size": row["dev_size"],
        "uuid": row["pv_uuid"],
    }


def vg_facts(row):
    return {
        "name": row["vg_name"],
        "uuid": row["vg_uuid"],
        "size": row["vg_size"],
        "free": row["vg_free"],
        "extent_size": row["vg_extent_size"],
        "extent_count": row["vg_extent_count"],
        "free_extents": row["vg_free_count"],
        "pv_count": row["pv_count"],
        "lv_count": row["lv_count"],
        "snap_count": row["snap_count"],
        "attr": row["vg_attr"],
    }


def lv_type(row):
    """What the LV is, in the module's terms: linear, thin-pool, thin, snapshot or LVM's segtype."""
    segtype = row["segtype"]
    if segtype in ("thin-pool", "thin"):
        return segtype
    if "snapshot" in row["lv_role"].split(","):
        return "snapshot"
    return "linear" if segtype in ("linear", "striped") else segtype


def _active(attr):
    state = attr[4] if len(attr) > 4 else "X"
    return {"a": True, "-": False}.get(state)


def lv_facts(row):
    return {
        "name": row["lv_name"],
        "vg": row["vg_name"],
        "path": row["lv_path"] or None,
        "size": row["lv_size"],
        "type": lv_type(row),
        "attr": row["lv_attr"],
        "active": _active(row["lv_attr"]),
        "pool": row["pool_lv"] or None,
        "origin": row["origin"] or None,
        "roles": [role for role in row["lv_role"].split(",") if role],
        "data_percent": row["data_percent"],
        "metadata_percent": row["metadata_percent"],
        "uuid": row["lv_uuid"],
    }
