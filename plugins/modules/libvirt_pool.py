#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: libvirt_pool
short_description: Manage a libvirt storage pool (dir or logical)
version_added: 0.1.0
description:
  - Defines, builds, starts, stops, refreshes and removes one libvirt storage pool.
  - Only the settings you give are managed; a setting you leave out keeps its current value.
  - Changing O(path), O(vg) or O(devices) of an existing pool redefines it (keeping its UUID);
    an active pool is then stopped and, unless O(state=inactive), started again with the new definition.
  - The type of an existing pool is never changed; set O(state=absent) first.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.libvirt
  - stackling.cloud.check_diff
options:
  name:
    description: Name of the pool.
    type: str
    required: true
  type:
    description:
      - C(dir) keeps volumes as files in the O(path) directory.
      - C(logical) keeps volumes as LVM logical volumes in the volume group O(vg).
        Its volumes can only be made where the kernel has device-mapper.
      - When left out, the type of the existing pool, or C(dir) for a new one.
    type: str
    choices: [dir, logical]
  path:
    description:
      - Target path of the pool, an absolute path.
      - For a C(dir) pool the directory holding the volumes; required to define a new one.
      - For a C(logical) pool the volume group's directory; defaults to C(/dev/<vg>).
    type: path
    aliases: [target]
  vg:
    description:
      - Name of the LVM volume group of a C(logical) pool.
      - Defaults to O(name) for a new pool.
    type: str
  devices:
    description:
      - Physical volumes (block devices) the volume group of a C(logical) pool is made of.
      - Compared as a set. Needed only to build a new volume group (see O(build)).
    type: list
    elements: path
  state:
    description:
      - V(present) the pool is defined (persistent); its run state is left alone, and a new pool stays inactive.
      - V(active) the pool is defined and started.
      - V(inactive) the pool is defined and stopped.
      - V(absent) the pool is stopped and undefined. The target directory, the volume group
        and the volumes in them are left in place.
    type: str
    choices: [present, active, inactive, absent]
    default: present
  autostart:
    description:
      - Whether libvirtd starts the pool when it starts.
      - Left as it is when not given; a new pool does not autostart.
    type: bool
  build:
    description:
      - Build the storage of a pool this task defines, and the new directory when the task changes
        the O(path) of a C(dir) pool, before starting it.
      - For C(dir) this creates the target directory (an existing directory is kept).
      - For C(logical) with O(devices) this runs pvcreate and vgcreate, refusing devices that
        already hold data; without O(devices) the volume group must already exist and nothing is built.
      - The storage of an existing pool is never rebuilt.
    type: bool
    default: true
  refresh:
    description:
      - Rescan the volumes of the pool when it is active at the end of the task, so files or LVs
        made outside libvirt show up as volumes.
      - Reports C(changed) only when the rescan found volumes added or removed.
      - Not done in check mode (a rescan is the only way to know what it would find). Ignored when
        the pool is not active.
    type: bool
    default: false
notes:
  - If building or starting a pool this task defined fails, the pool is undefined again and storage
    the task built (a new directory, a new volume group) is removed, so nothing is left half-made.
  - On hosts without device-mapper (some containers and CI machines) a logical pool can be
    defined, built and started, but no logical volume can be made in it.
seealso:
  - module: stackling.cloud.libvirt_volume
"""

EXAMPLES = r"""
- name: A started, autostarting directory pool
  stackling.cloud.libvirt_pool:
    name: images
    type: dir
    path: /var/lib/stackling/images
    state: active
    autostart: true

- name: A logical pool on an existing volume group
  stackling.cloud.libvirt_pool:
    name: volumes
    type: logical
    vg: stackling-vg
    state: active

- name: Build a volume group on two disks and use it as a pool
  stackling.cloud.libvirt_pool:
    name: cinder
    type: logical
    vg: cinder-volumes
    devices: [/dev/sdb, /dev/sdc]
    state: active

- name: Pick up image files copied into the directory by hand
  stackling.cloud.libvirt_pool:
    name: images
    state: active
    refresh: true

- name: Stop and undefine a pool (its files stay)
  stackling.cloud.libvirt_pool:
    name: images
    state: absent
"""

RETURN = r"""
actions:
  description:
    - What the task did (or would do in check mode), in order; any of
      C(define), C(redefine), C(stop), C(build), C(start), C(autostart), C(undefine), C(refresh).
  returned: always
  type: list
  elements: str
  sample: [define, build, start]
changes:
  description: The settings that changed, with the current and the desired value.
  returned: always
  type: list
  elements: dict
  sample: [{name: state, current: inactive, desired: active}]
pool:
  description:
    - The pool after the task. Empty when O(state=absent).
    - In check mode for a pool that does not exist yet, only the requested settings.
  returned: always
  type: dict
  contains:
    name:
      description: Pool name.
      type: str
      sample: images
    uuid:
      description: UUID libvirt gave the pool.
      type: str
      sample: 7eb34485-60bd-4ecc-85d9-e9bdd8e12bac
    type:
      description: Pool type.
      type: str
      sample: dir
    state:
      description: C(active), C(inactive), C(building), C(degraded) or C(inaccessible).
      type: str
      sample: active
    autostart:
      description: Whether the pool starts with libvirtd.
      type: bool
      sample: true
    persistent:
      description: Whether the pool is defined (not only running).
      type: bool
      sample: true
    path:
      description: Target path.
      type: str
      sample: /var/lib/stackling/images
    vg:
      description: Volume group of a logical pool.
      type: str
      returned: for logical pools
      sample: stackling-vg
    devices:
      description: Physical volumes of a logical pool.
      type: list
      elements: str
      returned: for logical pools
      sample: [/dev/sdb]
    capacity:
      description: Size of the pool's storage in bytes (0 while inactive).
      type: int
      sample: 270553174016
    allocation:
      description: Bytes allocated to volumes (0 while inactive).
      type: int
      sample: 23624933376
    available:
      description: Bytes free for new volumes (0 while inactive).
      type: int
      sample: 246928240640
    volumes:
      description: Names of the pool's volumes, sorted (empty while inactive).
      type: list
      elements: str
      sample: [base.qcow2, web1.qcow2]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, exit_with_result
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt import (
    LIBVIRT_ARG_SPEC, call, connect, find_pool, require_libvirt,
)
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt_storage import (
    POOL_TYPES, apply_pool_actions, normalise_devices, normalise_path, pool_facts, pool_spec, refresh_pool, task_result,
)
from ansible_collections.stackling.cloud.plugins.module_utils._names import validate_name

ARGUMENT_SPEC = dict(
    LIBVIRT_ARG_SPEC,
    name=dict(type="str", required=True),
    type=dict(type="str", choices=list(POOL_TYPES)),
    path=dict(type="path", aliases=["target"]),
    vg=dict(type="str"),
    devices=dict(type="list", elements="path"),
    state=dict(type="str", default="present", choices=["present", "active", "inactive", "absent"]),
    autostart=dict(type="bool"),
    build=dict(type="bool", default=True),
    refresh=dict(type="bool", default=False),
)
DEFINITION_KEYS = ("type", "path", "vg", "devices")
ABSENT = {"state": "absent"}


def desired_spec(params, current):
    """The normalised settings the user asked for; defaults filled in only for a new pool."""
    if params["state"] == "absent":
        return None
    pool_type = params["type"] or (current or {}).get("type") or "dir"
    if current and current["type"] != pool_type:
        raise InvalidInput("type", "pool %s is a %s pool; its type cannot change, set state=absent first "
                           "(its volumes stay on disk)" % (params["name"], current["type"]))
    if pool_type not in POOL_TYPES:
        raise InvalidInput("type", "pool %s is a %s pool; this module manages dir and logical pools only"
                           % (params["name"], pool_type))
    spec = dict(type=pool_type, **(_logical_source if pool_type == "logical" else _dir_source)(params, current))
    if params["state"] in ("active", "inactive"):
        spec["state"] = params["state"]
    elif current is None:
        spec["state"] = "inactive"
    if params["autostart"] is not None or current is None:
        spec["autostart"] = bool(params["autostart"])
    return spec


def _dir_source(params, current):
    for field in ("vg", "devices"):
        if params[field]:
            raise InvalidInput(field, "applies to logical pools only, and pool %s is a dir pool" % params["name"])
    if params["path"]:
        return {"path": normalise_path("path", params["path"])}
    if current is None:
        raise InvalidInput("path", "is required to define the new dir pool %s" % params["name"])
    return {}


def _logical_source(params, current):
    spec = {}
    if params["vg"] or current is None:
        spec["vg"] = validate_name("vg", params["vg"] or params["name"])
    if params["devices"] is not None or current is None:
        spec["devices"] = normalise_devices("devices", params["devices"] or [])
    if params["path"] or current is None:
        spec["path"] = normalise_path("path", params["path"] or "/dev/" + spec["vg"])
    return spec


def plan(current, desired, build):
    """The actions, in order, that take the pool from ``current`` to ``desired``."""
    if desired is None:
        return [] if current is None else ["stop"] * (current["state"] == "active") + ["undefine"]
    actions = []
    was_active = bool(current) and current["state"] == "active"
    wanted = desired.get("state", "active" if was_active else "inactive")
    if current is None:
        actions.append("define")
        if build and (desired["type"] == "dir" or desired["devices"]):
            actions.append("build")
    elif any(current.get(key) != desired[key] for key in DEFINITION_KEYS if key in desired):
        # The new definition takes effect when the pool is next started; a new directory is built first.
        actions += ["redefine"] + ["stop"] * was_active
        was_active = False
        if build and desired["type"] == "dir" and desired.get("path", current["path"]) != current["path"]:
            actions.append("build")
    if wanted == "active" and not was_active:
        actions.append("start")
    if wanted == "inactive" and was_active:
        actions.append("stop")
    if "autostart" in desired and desired["autostart"] != (current or {}).get("autostart", False):
        actions.append("autostart")
    return actions


def run(module):
    params = module.params
    name = validate_name("name", params["name"])
    conn = connect(params["uri"])
    try:
        pool = find_pool(conn, name)
        current = pool_spec(pool) if pool else None
        desired = desired_spec(params, current)
        actions = plan(current, desired, params["build"])
        if actions and not module.check_mode:
            pool = apply_pool_actions(conn, pool, name, desired, actions)
        after, facts = outcome(module, pool, current, desired, actions)
    finally:
        conn.close()
    return task_result("pool", current or ABSENT, after, actions, facts, module._diff)


def outcome(module, pool, current, desired, actions):
    """The pool's settings and facts after the task (predicted in check mode); refreshes when asked."""
    if desired is None:
        return ABSENT, {}
    if module.check_mode:
        after = dict(current or {}, **desired)
        return after, pool_facts(pool) if pool else dict(after, name=module.params["name"])
    if module.params["refresh"] and call("reading the pool state", pool.isActive) and refresh_pool(pool, pool.name()):
        actions.append("refresh")
    return pool_spec(pool), pool_facts(pool)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    require_libvirt(module)
    exit_with_result(module, run)


if __name__ == "__main__":
    main()
