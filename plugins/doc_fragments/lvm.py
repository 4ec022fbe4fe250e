# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Paired with LVM_ARG_SPEC in plugins/module_utils/_lvm.py.
    DOCUMENTATION = r"""
options:
  activation:
    description:
      - Whether LVM may use device-mapper to activate logical volumes.
      - V(false) runs every LVM command with C(--config 'global { activation = 0 }'), so LVM
        only edits on-disk metadata. Use it on hosts whose kernel has no device-mapper
        (containers, minimal test machines); PVs, VGs and plain (linear) LVs can then be
        created, resized and removed, but the LVs cannot be opened as block devices, and thin
        pools, thin volumes, snapshots and activating or deactivating LVs need
        device-mapper and fail with LVM's own message.
      - Leave it V(true) on real storage hosts.
    type: bool
    default: true
requirements:
  - lvm2 (the C(lvm) command)
"""
