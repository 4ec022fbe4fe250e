#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lvm_vg
short_description: Create, extend, reduce or remove an LVM volume group
description:
  - Ensures an LVM volume group exists on exactly the listed physical volumes, or does not exist.
  - Devices not yet initialised as PVs are initialised with C(pvcreate). C(pvcreate) refuses
    devices that carry a filesystem or partition table signature; wipe those first (C(wipefs -a)).
  - Devices are compared by their real path, so C(/dev/disk/by-id/...) links and C(/dev/loop0)
    name the same PV.
  - Reducing refuses to remove a PV that still holds extents of logical volumes (move them with
    C(pvmove) first). Removed PVs keep their PV label (C(pvremove) wipes it).
  - In check mode the changes are validated with LVM's own C(--test) dry run where LVM supports
    it (not for C(vgcreate) or C(vgextend) on devices that are not PVs yet).
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.check_diff
  - stackling.cloud.lvm
options:
  vg:
    description:
      - Name of the volume group.
      - Letters, digits and C(+ _ . -), not starting with C(-).
    type: str
    required: true
  pvs:
    description:
      - The block devices the VG consists of. Required to create the VG.
      - When given for an existing VG the list is complete; missing devices are added
        (C(vgextend)), devices not listed are removed (C(vgreduce)).
      - When omitted for an existing VG its PVs are left as they are.
    type: list
    elements: str
  pesize:
    description:
      - Physical extent size used when the VG is created, such as V(4M) (a bare number is MiB).
      - A power of two of at least 1 KiB. An existing VG with another extent size is an error.
      - Defaults to LVM's default (4 MiB).
    type: str
  state:
    description:
      - V(present) creates or adjusts the VG; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Allow O(state=absent) to remove a VG that still holds logical volumes (they are destroyed).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: The cinder-volumes VG on two disks
  stackling.cloud.lvm_vg:
    vg: stackling-volumes
    pvs: [/dev/vdb, /dev/vdc]

- name: A VG on a loop device of a host without device-mapper
  stackling.cloud.lvm_vg:
    vg: stackling-volumes
    pvs: [/dev/loop0]
    pesize: 4M
    activation: false

- name: Remove it with all its volumes
  stackling.cloud.lvm_vg:
    vg: stackling-volumes
    state: absent
    force: true
"""

RETURN = r"""
vg:
  description: The VG after the run (in check mode, as it would be; sizes of a VG not yet created are null).
  returned: when the VG exists after the run
  type: dict
  contains:
    name: {description: "VG name.", type: str, sample: stackling-volumes}
    uuid: {description: "VG UUID.", type: str}
    size: {description: "Size in bytes.", type: int, sample: 10733223936}
    free: {description: "Free space in bytes.", type: int}
    extent_size: {description: "Extent size in bytes.", type: int, sample: 4194304}
    extent_count: {description: "Number of extents.", type: int}
    free_extents: {description: "Number of free extents.", type: int}
    pv_count: {description: "Number of PVs.", type: int}
    lv_count: {description: "Number of LVs.", type: int}
    pvs: {description: "Real paths of the PVs, sorted.", type: list, elements: str, sample: [/dev/vdb]}
commands:
  description: The LVM commands run (in check mode, the commands that would run).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackling.cloud.plugins.module_utils._diff import change_result
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, StacklingError, exit_with_result
from ansible_collections.stackling.cloud.plugins.module_utils._lvm import LVM_ARG_SPEC, Lvm, realpath_device, validate_lvm_name
from ansible_collections.stackling.cloud.plugins.module_utils._units import parse_size

ARGUMENT_SPEC = dict(
    LVM_ARG_SPEC,
    vg={"type": "str", "required": True},
    pvs={"type": "list", "elements": "str"},
    pesize={"type": "str"},
    state={"type": "str", "choices": ["present", "absent"], "default": "present"},
    force={"type": "bool", "default": False},
)


def desired_pvs(paths):
    """Sorted real paths of the listed devices (None when the option is omitted)."""
    if paths is None:
        return None
    if not paths:
        raise InvalidInput("pvs", "must list at least one device (use state=absent to remove the VG)")
    return sorted(set(realpath_device("pvs", path) for path in paths))


def parse_pesize(value):
    if value is None:
        return None
    size = parse_size("pesize", value, default_unit="M")
    if size < 1024 or size & (size - 1):
        raise InvalidInput("pesize", "must be a power of two of at least 1 KiB, got %r" % (value,))
    return size


def remove_vg(lvm, vg, force):
    if vg["lv_count"] and not force:
        raise StacklingError(
            "volume group %s holds %d logical volume(s); set force: true to remove it and destroy them"
            % (vg["name"], vg["lv_count"]), vg=vg["name"], lv_count=vg["lv_count"])
    lvm.change("vgremove", (["--force"] if force else []) + [vg["name"]])


def init_pvs(lvm, devices, all_pvs):
    """pvcreate the devices that are not PVs yet; return them."""
    known = dict((pv["name"], pv) for pv in all_pvs)
    new = [dev for dev in devices if dev not in known]
    if new:
        lvm.change("pvcreate", ["-qq"] + new)
    return new


def check_unused(name, devices, all_pvs):
    for pv in all_pvs:
        if pv["name"] in devices and pv["vg"] not in (None, name):
            raise InvalidInput("pvs", "%s already belongs to volume group %s" % (pv["name"], pv["vg"]))


def create_vg(lvm, name, pvs, pesize, all_pvs):
    if not pvs:
        raise InvalidInput("pvs", "required to create volume group %s" % name)
    check_unused(name, pvs, all_pvs)
    new = init_pvs(lvm, pvs, all_pvs)
    args = (["--physicalextentsize", "%db" % pesize] if pesize else []) + [name] + pvs
    lvm.change("vgcreate", args, dry_run=not new)


def adjust_vg(lvm, vg, pvs, pesize, all_pvs):
    if pesize and pesize != vg["extent_size"]:
        raise InvalidInput("pesize", "volume group %s has extent size %d bytes, not %d; it cannot be "
                                     "changed here" % (vg["name"], vg["extent_size"], pesize))
    if pvs is None:
        return
    mine = dict((pv["name"], pv) for pv in all_pvs if pv["vg"] == vg["name"])
    add = [dev for dev in pvs if dev not in mine]
    remove = sorted(dev for dev in mine if dev not in pvs)
    for dev in remove:
        if mine[dev]["allocated_extents"]:
            raise InvalidInput("pvs", "%s still holds %d extents of logical volumes in %s; move them off "
                                      "(pvmove) before removing it from the list"
                               % (dev, mine[dev]["allocated_extents"], vg["name"]))
    if add:
        check_unused(vg["name"], add, all_pvs)
        new = init_pvs(lvm, add, all_pvs)
        lvm.change("vgextend", [vg["name"]] + add, dry_run=not new)
    if remove:
        lvm.change("vgreduce", [vg["name"]] + remove)


def vg_state(lvm, name):
    """The VG's facts with its sorted PV list, or None."""
    vg = lvm.find_vg(name)
    if vg is not None:
        vg["pvs"] = sorted(pv["name"] for pv in lvm.pvs() if pv["vg"] == name)
    return vg


def predicted(before, name, pvs, pesize):
    if before is None:
        after = dict.fromkeys(["uuid", "size", "free", "extent_count", "free_extents"])
        after.update(name=name, extent_size=pesize, pv_count=len(pvs), lv_count=0, pvs=pvs)
        return after
    after = dict(before)
    if pvs is not None and pvs != before["pvs"]:
        # The new sizes are only known once LVM has done it.
        after.update(dict.fromkeys(["size", "free", "extent_count", "free_extents"]), pvs=pvs, pv_count=len(pvs))
    return after


def run(module):
    params = module.params
    name = validate_lvm_name("vg", params["vg"])
    lvm = Lvm(module, params["activation"])
    pvs = desired_pvs(params["pvs"]) if params["state"] == "present" else None
    pesize = parse_pesize(params["pesize"])
    before = vg_state(lvm, name)
    if params["state"] == "absent":
        if before is not None:
            remove_vg(lvm, before, params["force"])
        after = None
    else:
        all_pvs = lvm.pvs()
        if before is None:
            create_vg(lvm, name, pvs, pesize, all_pvs)
        else:
            adjust_vg(lvm, before, pvs, pesize, all_pvs)
        after = predicted(before, name, pvs, pesize) if module.check_mode else vg_state(lvm, name)
    return result(module, lvm, before, after)


def result(module, lvm, before, after):
    keys = ["pvs"] if before is not None and after is not None else None
    out = change_result(module, lvm.commands, _diffable(before), _diffable(after), keys)
    if after is not None:
        out["vg"] = after
    return out


def _diffable(vg):
    if vg is None:
        return None
    return dict((key, vg[key]) for key in ("name", "pvs", "extent_size"))


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    exit_with_result(module, run)


if __name__ == "__main__":
    main()
