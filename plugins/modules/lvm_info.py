#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lvm_info
short_description: Report LVM physical volumes, volume groups and logical volumes
description:
  - Lists PVs, VGs and LVs with their sizes and free space in bytes, for the scheduler
    (capacity of a storage host) and for operators.
  - Reads only; never changes anything.
  - Hidden internal LVs (thin pool data and metadata, spare metadata) are not listed.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.lvm
attributes:
  check_mode:
    description: The module only reads, so check mode changes nothing either.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
options:
  vg:
    description:
      - Report only these volume groups, their PVs and their LVs.
      - A VG that does not exist is an error.
      - By default every VG is reported, and PVs that belong to no VG too.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Capacity of the volumes VG
  stackling.cloud.lvm_info:
    vg: stackling-volumes
  register: lvm

- name: Free bytes
  ansible.builtin.debug:
    msg: "{{ lvm.vgs[0].free }}"
"""

RETURN = r"""
pvs:
  description: Physical volumes, sorted by device path.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: "Real path of the device.", type: str, sample: /dev/vdb}
    vg: {description: "VG it belongs to (null for none).", type: str}
    size: {description: "PV size in bytes.", type: int}
    free: {description: "Free bytes.", type: int}
    used: {description: "Allocated bytes.", type: int}
    extent_count: {description: "Number of extents.", type: int}
    allocated_extents: {description: "Extents allocated to LVs.", type: int}
    dev_size: {description: "Size of the underlying device in bytes.", type: int}
    uuid: {description: "PV UUID.", type: str}
vgs:
  description: Volume groups, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: "VG name.", type: str}
    uuid: {description: "VG UUID.", type: str}
    size: {description: "Size in bytes.", type: int}
    free: {description: "Free bytes.", type: int}
    extent_size: {description: "Extent size in bytes.", type: int}
    extent_count: {description: "Number of extents.", type: int}
    free_extents: {description: "Number of free extents.", type: int}
    pv_count: {description: "Number of PVs.", type: int}
    lv_count: {description: "Number of LVs.", type: int}
    snap_count: {description: "Number of snapshots.", type: int}
    attr: {description: "LVM's vg_attr string.", type: str}
    pvs: {description: "Real paths of its PVs.", type: list, elements: str}
lvs:
  description: Logical volumes, sorted by VG and name; the same fields as M(stackling.cloud.lvm_lv) returns.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: "LV name.", type: str}
    vg: {description: "VG name.", type: str}
    path: {description: "Device path (null for a thin pool).", type: str}
    size: {description: "Size in bytes (virtual size for a thin volume).", type: int}
    type: {description: "linear, thin-pool, thin or snapshot (or LVM's segment type for others)", type: str}
    attr: {description: "LVM's lv_attr string.", type: str}
    active: {description: "Whether the LV is active; null when LVM cannot tell.", type: bool}
    pool: {description: "Thin pool of a thin volume.", type: str}
    origin: {description: "Origin of a snapshot.", type: str}
    roles: {description: "LVM's lv_role list.", type: list, elements: str}
    data_percent: {description: "Data usage of a thin pool, thin volume or snapshot.", type: float}
    metadata_percent: {description: "Metadata usage of a thin pool.", type: float}
    uuid: {description: "LV UUID.", type: str}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, exit_with_result
from ansible_collections.stackling.cloud.plugins.module_utils._lvm import LVM_ARG_SPEC, Lvm, validate_lvm_name

ARGUMENT_SPEC = dict(
    LVM_ARG_SPEC,
    vg={"type": "list", "elements": "str"},
)


def selected_vgs(vgs, names):
    """The VGs to report: all, or exactly the named ones (an unknown name is an error)."""
    if names is None:
        return vgs
    by_name = dict((vg["name"], vg) for vg in vgs)
    for name in names:
        validate_lvm_name("vg", name)
        if name not in by_name:
            raise InvalidInput("vg", "volume group %r does not exist" % (name,))
    return [by_name[name] for name in sorted(set(names))]


def collect(lvm, names):
    all_pvs = sorted(lvm.pvs(), key=lambda pv: pv["name"])
    vgs = sorted(selected_vgs(lvm.vgs(), names), key=lambda vg: vg["name"])
    wanted = set(vg["name"] for vg in vgs)
    for vg in vgs:
        vg["pvs"] = [pv["name"] for pv in all_pvs if pv["vg"] == vg["name"]]
    lvs = []
    for vg in vgs:
        lvs.extend(sorted(lvm.lvs(vg["name"]), key=lambda lv: lv["name"]))
    pvs = [pv for pv in all_pvs if pv["vg"] in wanted or (names is None and pv["vg"] is None)]
    return {"pvs": pvs, "vgs": vgs, "lvs": lvs}


def run(module):
    lvm = Lvm(module, module.params["activation"])
    return dict(collect(lvm, module.params["vg"]), changed=False)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    exit_with_result(module, run)


if __name__ == "__main__":
    main()
