#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lvm_lv
short_description: Create, resize, snapshot, (de)activate or remove an LVM logical volume
description:
  - Ensures a logical volume exists in a volume group with the wanted size and kind, or does not exist.
  - Kinds are a plain (linear) LV, a thin pool (O(type=thin-pool)), a thin volume in a pool
    (O(thin_pool)) and a snapshot of another LV (O(snapshot_of)).
  - Sizes are rounded up to whole extents of the VG before they are compared, so V(10M) in a VG
    with 4 MiB extents means 12 MiB and a re-run changes nothing.
  - Growing is done in place (C(lvextend)); shrinking destroys data past the new end and needs
    O(force=true). Filesystems on the LV are not resized.
  - In check mode every change is validated with LVM's own C(--test) dry run.
  - Thin pools, thin volumes, snapshots and (de)activation need device-mapper in the kernel; on
    hosts without it (O(activation=false)) only plain LVs can be created, resized and removed,
    while existing LVs of every kind are still reported and can be removed.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.check_diff
  - stackling.cloud.lvm
options:
  vg:
    description: The volume group holding the LV. It must exist.
    type: str
    required: true
  lv:
    description:
      - Name of the logical volume.
      - Letters, digits and C(+ _ . -), not starting with C(-); names LVM reserves for its
        internal volumes (C(snapshot*), C(pvmove*), C(*_tdata) ...) are refused.
    type: str
    required: true
    aliases: [name]
  size:
    description:
      - Size of the LV; for a thin volume its virtual size; for a snapshot of a plain LV the size
        of its copy-on-write store.
      - A size with a unit such as V(10G), V(512MiB) or V(1TB) (K, M, G, T are powers of 1024,
        KB, MB, GB, TB of 1000); a bare number is MiB, as for C(lvcreate -L).
      - V(+N) grows the LV by N on every run (not idempotent; a missing LV is created with size N).
      - V(N%VG) is N percent of the VG's size (rounded down to extents). V(N%FREE) is N percent
        of the VG's free space and only sizes a new LV; an existing LV is left at its size.
      - Required to create an LV, except a snapshot of a thin volume (a thin snapshot has the
        size of its origin). Omit it to leave the size of an existing LV alone.
    type: str
  type:
    description:
      - V(linear) for a plain LV, V(thin-pool) for a thin pool whose O(size) is its data size.
      - Defaults to V(linear) unless O(thin_pool) or O(snapshot_of) is given.
    type: str
    choices: [linear, thin-pool]
  thin_pool:
    description: Make the LV a thin volume in this thin pool of the same VG.
    type: str
  snapshot_of:
    description:
      - Make the LV a snapshot of this LV of the same VG.
      - A snapshot of a thin volume without O(size) is a thin snapshot in the same pool.
    type: str
  active:
    description:
      - V(true) activates the LV (C(lvchange -ay)), V(false) deactivates it.
      - Omit it to leave activation alone (LVM activates new LVs).
      - Needs device-mapper, so it cannot be used with O(activation=false).
    type: bool
  state:
    description: V(present) creates or adjusts the LV; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Allow shrinking the LV, and removing an LV that has snapshots or (for a thin pool) thin
        volumes; both destroy data.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: A 10 GiB volume
  stackling.cloud.lvm_lv:
    vg: stackling-volumes
    lv: volume-1
    size: 10G

- name: Grow it by 5 GiB (every run)
  stackling.cloud.lvm_lv:
    vg: stackling-volumes
    lv: volume-1
    size: +5G

- name: A thin pool on 90% of the VG, and a 100 GiB thin volume in it
  stackling.cloud.lvm_lv:
    vg: stackling-volumes
    lv: pool0
    type: thin-pool
    size: 90%VG
- stackling.cloud.lvm_lv:
    vg: stackling-volumes
    lv: volume-2
    thin_pool: pool0
    size: 100G

- name: A thin snapshot of it
  stackling.cloud.lvm_lv:
    vg: stackling-volumes
    lv: volume-2-snap
    snapshot_of: volume-2
"""

RETURN = r"""
lv:
  description: The LV after the run (in check mode, as it would be; fields LVM assigns are null).
  returned: when the LV exists after the run
  type: dict
  contains:
    name: {description: "LV name.", type: str, sample: volume-1}
    vg: {description: "VG name.", type: str, sample: stackling-volumes}
    path: {description: "Device path (null for a thin pool).", type: str, sample: /dev/stackling-volumes/volume-1}
    size: {description: "Size in bytes (virtual size for a thin volume).", type: int, sample: 10737418240}
    type: {description: "linear, thin-pool, thin or snapshot (or LVM's segment type for others)", type: str}
    attr: {description: "LVM's lv_attr string.", type: str, sample: -wi-a-----}
    active: {description: "Whether the LV is active; null when LVM cannot tell (activation disabled).", type: bool}
    pool: {description: "The thin pool of a thin volume.", type: str}
    origin: {description: "The origin of a snapshot.", type: str}
    roles: {description: "LVM's lv_role list.", type: list, elements: str}
    data_percent: {description: "Data usage of a thin pool, thin volume or snapshot.", type: float}
    metadata_percent: {description: "Metadata usage of a thin pool.", type: float}
    uuid: {description: "LV UUID.", type: str}
commands:
  description: The LVM commands run (in check mode, the commands that would run).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackling.cloud.plugins.module_utils._diff import change_result
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, StacklingError, exit_with_result
from ansible_collections.stackling.cloud.plugins.module_utils._lvm import (
    LVM_ARG_SPEC,
    Lvm,
    desired_extents,
    parse_lv_size,
    validate_lvm_name,
)

ARGUMENT_SPEC = dict(
    LVM_ARG_SPEC,
    vg={"type": "str", "required": True},
    lv={"type": "str", "required": True, "aliases": ["name"]},
    size={"type": "str"},
    type={"type": "str", "choices": ["linear", "thin-pool"]},
    thin_pool={"type": "str"},
    snapshot_of={"type": "str"},
    active={"type": "bool"},
    state={"type": "str", "choices": ["present", "absent"], "default": "present"},
    force={"type": "bool", "default": False},
)
MUTUALLY_EXCLUSIVE = [["type", "thin_pool", "snapshot_of"]]
DIFF_KEYS = ("type", "size", "active", "pool", "origin")


def desired_state(params):
    """The wanted LV, validated: names, kind, parsed size and activation."""
    if params["active"] is not None and not params["activation"]:
        raise InvalidInput("active", "activating or deactivating needs device-mapper; it cannot be "
                                     "used with activation: false")
    want = {
        "vg": validate_lvm_name("vg", params["vg"]),
        "name": validate_lvm_name("lv", params["lv"], lv=True),
        "size": parse_lv_size("size", params["size"]) if params["size"] is not None else None,
        "active": params["active"],
        "pool": params["thin_pool"] and validate_lvm_name("thin_pool", params["thin_pool"]),
        "origin": params["snapshot_of"] and validate_lvm_name("snapshot_of", params["snapshot_of"]),
    }
    want["type"] = "thin" if want["pool"] else "snapshot" if want["origin"] else params["type"] or "linear"
    return want


def remove_lv(lvm, lv, lvs, force):
    dependents = sorted(other["name"] for other in lvs.values()
                        if lv["name"] in (other["origin"], other["pool"]))
    if dependents and not force:
        raise StacklingError("%s/%s has dependent volumes (%s) that would be destroyed with it; set "
                             "force: true to remove them all" % (lv["vg"], lv["name"], ", ".join(dependents)),
                             dependents=dependents)
    lvm.change("lvremove", ["--yes", "%s/%s" % (lv["vg"], lv["name"])])


def size_args(vg, want, field_kind):
    """``--extents N`` for a new LV (``--virtualsize`` for a thin volume)."""
    if want["size"] is None:
        raise InvalidInput("size", "required to create %s" % field_kind)
    if want["type"] == "thin" and want["size"][0] == "percent":
        raise InvalidInput("size", "a thin volume's virtual size cannot be a percentage of the VG")
    extents = desired_extents(want["size"], vg)
    if extents < 1:
        raise InvalidInput("size", "%s%% of the VG is less than one extent" % (want["size"][1][0],))
    if want["type"] == "thin":
        return ["--virtualsize", "%db" % (extents * vg["extent_size"])], extents
    return ["--extents", str(extents)], extents


def create_args(vg, want, lvs):
    """lvcreate arguments for the wanted LV, and its size in extents (None: LVM decides)."""
    name = ["--name", want["name"]]
    if want["type"] == "snapshot":
        origin = lvs.get(want["origin"])
        if origin is None:
            raise InvalidInput("snapshot_of", "no LV %r in volume group %s" % (want["origin"], vg["name"]))
        if want["size"] is None and origin["type"] == "thin":
            return ["--yes", "--snapshot"] + name + ["%s/%s" % (vg["name"], origin["name"])], None
        sizing, extents = size_args(vg, want, "a snapshot of the non-thin LV %s" % origin["name"])
        return ["--yes", "--snapshot"] + sizing + name + ["%s/%s" % (vg["name"], origin["name"])], extents
    if want["type"] == "thin":
        pool = lvs.get(want["pool"])
        if pool is None or pool["type"] != "thin-pool":
            raise InvalidInput("thin_pool", "no thin pool %r in volume group %s" % (want["pool"], vg["name"]))
        sizing, extents = size_args(vg, want, "a thin volume")
        return ["--yes", "--type", "thin", "--thinpool", want["pool"]] + sizing + name + [vg["name"]], extents
    sizing, extents = size_args(vg, want, "a logical volume")
    kind = ["--type", "thin-pool"] if want["type"] == "thin-pool" else []
    return ["--yes"] + kind + sizing + name + [vg["name"]], extents


def create_lv(lvm, vg, want, lvs):
    args, extents = create_args(vg, want, lvs)
    lvm.change("lvcreate", args)
    if want["active"] is False:
        lvm.change("lvchange", ["--activate", "n", "%s/%s" % (vg["name"], want["name"])], dry_run=False)
    origin = lvs.get(want["origin"]) if want["origin"] else None
    size = extents * vg["extent_size"] if extents is not None else origin and origin["size"]
    after = dict.fromkeys(("attr", "uuid", "data_percent", "metadata_percent"))
    after.update(name=want["name"], vg=vg["name"], size=size, pool=want["pool"], origin=want["origin"],
                 type="thin" if extents is None else want["type"], roles=[],
                 path=None if want["type"] == "thin-pool" else "/dev/%s/%s" % (vg["name"], want["name"]),
                 active=(want["active"] is not False) if lvm.activation else None)
    return after


def check_kind(lv, want):
    """An existing LV must already be of the wanted kind: LVM cannot convert between them here."""
    if want["type"] == "snapshot":
        if lv["origin"] != want["origin"]:
            raise InvalidInput("snapshot_of", "%s/%s exists and is not a snapshot of %s (origin: %s)"
                               % (lv["vg"], lv["name"], want["origin"], lv["origin"]))
        return
    field = "thin_pool" if want["type"] == "thin" else "type"
    if lv["type"] != want["type"] or lv["pool"] != want["pool"]:
        raise InvalidInput(field, "%s/%s exists as a %s volume%s; remove it to recreate it as a %s volume%s"
                           % (lv["vg"], lv["name"], lv["type"], _in_pool(lv["pool"]), want["type"], _in_pool(want["pool"])))


def _in_pool(pool):
    return " in pool %s" % pool if pool else ""


def resize_lv(lvm, vg, lv, want, force):
    """lvextend/lvreduce to the wanted size in extents; returns the new size in bytes."""
    if want["size"] is None:
        return lv["size"]
    extent = vg["extent_size"]
    current = -(-lv["size"] // extent)
    target = desired_extents(want["size"], vg, current)
    if target is None or target == current:
        return lv["size"]
    ref = "%s/%s" % (lv["vg"], lv["name"])
    if target > current:
        lvm.change("lvextend", ["--extents", str(target), ref])
    elif not force:
        raise StacklingError("size: shrinking %s from %d to %d bytes destroys the data past the new end; "
                             "set force: true to shrink it" % (ref, lv["size"], target * extent),
                             current_size=lv["size"], desired_size=target * extent)
    else:
        lvm.change("lvreduce", ["--yes", "--extents", str(target), ref])
    return target * extent


def update_lv(lvm, vg, lv, want, force):
    check_kind(lv, want)
    after = dict(lv, size=resize_lv(lvm, vg, lv, want, force))
    if want["active"] is not None and want["active"] != lv["active"]:
        lvm.change("lvchange", ["--activate", "y" if want["active"] else "n", "%s/%s" % (lv["vg"], lv["name"])])
        after["active"] = want["active"]
    return after


def run(module):
    params = module.params
    want = desired_state(params)
    lvm = Lvm(module, params["activation"])
    vg = lvm.require_vg("vg", want["vg"])
    lvs = dict((lv["name"], lv) for lv in lvm.lvs(vg["name"]))
    before = lvs.get(want["name"])
    if params["state"] == "absent":
        if before is not None:
            remove_lv(lvm, before, lvs, params["force"])
        after = None
    elif before is None:
        after = create_lv(lvm, vg, want, lvs)
    else:
        after = update_lv(lvm, vg, before, want, params["force"])
    if after is not None and lvm.commands and not module.check_mode:
        after = next(lv for lv in lvm.lvs(vg["name"]) if lv["name"] == want["name"])
    return result(module, lvm, before, after)


def result(module, lvm, before, after):
    out = change_result(module, lvm.commands, _diffable(before), _diffable(after))
    if after is not None:
        out["lv"] = after
    return out


def _diffable(lv):
    return None if lv is None else dict((key, lv[key]) for key in DIFF_KEYS)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE,
                           supports_check_mode=True)
    exit_with_result(module, run)


if __name__ == "__main__":
    main()
