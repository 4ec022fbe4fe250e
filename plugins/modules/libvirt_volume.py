#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: libvirt_volume
short_description: Manage a volume in a libvirt storage pool
version_added: 0.1.0
description:
  - Creates a volume in an active pool (blank, as a qcow2 overlay on a backing file, as a clone
    of another volume of the pool, or from a local image file), grows it, and deletes it.
  - The volume is compared with O(size), O(format), O(backing) and O(backing_format) as libvirt
    reports them; what you leave out is not compared. O(clone_from) and O(src) only say where a
    new volume's data comes from; an existing volume is never overwritten from them.
  - Growing happens in place. Shrinking, and changing the format or the backing file, cannot
    be done in place and fail naming the option, unless O(recreate=true).
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.libvirt
  - stackling.cloud.check_diff
options:
  name:
    description: Name of the volume; for a C(dir) pool also its file name.
    type: str
    required: true
  pool:
    description:
      - Name of the pool holding the volume. The pool must exist and be active.
      - With O(state=absent), a pool that does not exist holds no volume, and nothing is done.
    type: str
    required: true
  state:
    description: Whether the volume exists. V(absent) deletes it and its data.
    type: str
    choices: [present, absent]
    default: present
  size:
    description:
      - Capacity (virtual size) of the volume, as bytes or with a unit such as C(10G), C(512MiB) or C(1GB).
        K, M, G, T and their KiB forms are powers of 1024; KB, MB, GB and TB are powers of 1000.
      - Sizes are rounded up as libvirt creates volumes, to whole KiB for qcow2 and to 4 MiB (LVM's default
        extent size) in a C(logical) pool.
      - Required for a blank volume. For a clone, an upload or an overlay it defaults to the size of the
        source and, when larger, the new volume is grown to it.
      - A larger size than the volume has grows it. A smaller one is refused, see O(recreate).
    type: str
  format:
    description:
      - Format of the volume.
      - For a new volume it defaults to C(qcow2) (C(raw) in a C(logical) pool), to the source volume's
        format for O(clone_from) (a different format converts the data), and to the detected format of O(src).
      - Volumes of a C(logical) pool are always C(raw).
      - Must be C(qcow2) with O(backing), and match the format of O(src).
    type: str
    choices: [qcow2, raw]
  backing:
    description:
      - Absolute path of the backing file of a qcow2 overlay. It must exist on the host.
      - The volume then only stores what differs from the backing file.
    type: path
  backing_format:
    description: Format of O(backing); detected from the file when not given.
    type: str
    choices: [qcow2, raw]
  clone_from:
    description: Name of a volume in the same pool to copy into a new volume.
    type: str
  src:
    description:
      - Absolute path of a local image file (qcow2 or raw) to upload into a new volume.
      - The file is read by the module, so it must be on the host the module runs on.
    type: path
  recreate:
    description:
      - When the volume exists but its format or backing file differ, or it is larger than O(size),
        delete it and create it again from the task's settings. Its data is lost.
      - When false such a difference fails the task with a message naming the option.
    type: bool
    default: false
notes:
  - A volume is created sparse. A failed create (for example an upload that breaks off)
    deletes the partly made volume.
  - In a C(logical) pool libvirt runs lvcreate, which needs device-mapper in the kernel.
seealso:
  - module: stackling.cloud.libvirt_pool
"""

EXAMPLES = r"""
- name: A blank 20 GiB qcow2 volume
  stackling.cloud.libvirt_volume:
    pool: volumes
    name: data1.qcow2
    size: 20G

- name: A server disk as an overlay on a cached base image, grown to 10 GiB
  stackling.cloud.libvirt_volume:
    pool: instances
    name: web1.qcow2
    backing: /var/lib/stackling/images/debian-12.qcow2
    size: 10G

- name: Upload an image file
  stackling.cloud.libvirt_volume:
    pool: images
    name: debian-12.qcow2
    src: /tmp/debian-12-genericcloud-amd64.qcow2

- name: A raw copy of another volume
  stackling.cloud.libvirt_volume:
    pool: images
    name: debian-12.raw
    clone_from: debian-12.qcow2
    format: raw

- name: Delete a volume
  stackling.cloud.libvirt_volume:
    pool: volumes
    name: data1.qcow2
    state: absent
"""

RETURN = r"""
actions:
  description:
    - What the task did (or would do in check mode), in order; any of
      C(create), C(clone), C(upload), C(resize), C(delete).
  returned: always
  type: list
  elements: str
  sample: [create]
changes:
  description: The settings that changed, with the current and the desired value.
  returned: always
  type: list
  elements: dict
  sample: [{name: capacity, current: 1073741824, desired: 2147483648}]
volume:
  description:
    - The volume after the task. Empty when O(state=absent).
    - In check mode, the volume as it is now, or only the requested settings for a volume that does not exist yet.
  returned: always
  type: dict
  contains:
    name:
      description: Volume name.
      type: str
      sample: web1.qcow2
    pool:
      description: Pool name.
      type: str
      sample: instances
    path:
      description: Path of the volume on the host.
      type: str
      sample: /var/lib/stackling/instances/web1.qcow2
    key:
      description: libvirt's unique key for the volume.
      type: str
      sample: /var/lib/stackling/instances/web1.qcow2
    capacity:
      description: Virtual size in bytes.
      type: int
      sample: 10737418240
    allocation:
      description: Bytes really used on the host.
      type: int
      sample: 200704
    format:
      description: Volume format.
      type: str
      sample: qcow2
    backing:
      description: Path of the backing file, or null.
      type: str
      sample: /var/lib/stackling/images/debian-12.qcow2
    backing_format:
      description: Format of the backing file, or null.
      type: str
      sample: qcow2
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, exit_with_result
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt import (
    LIBVIRT_ARG_SPEC, call, connect, find_pool, find_volume, require_libvirt,
)
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt_storage import (
    VOLUME_FORMATS, create_volume, image_info, parse_pool_xml, parse_volume_xml, resize_volume, round_capacity,
    task_result, volume_facts, volume_spec,
)
from ansible_collections.stackling.cloud.plugins.module_utils._names import validate_name
from ansible_collections.stackling.cloud.plugins.module_utils._units import format_size, parse_size

ARGUMENT_SPEC = dict(
    LIBVIRT_ARG_SPEC,
    name=dict(type="str", required=True),
    pool=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    size=dict(type="str"),
    format=dict(type="str", choices=list(VOLUME_FORMATS)),
    backing=dict(type="path"),
    backing_format=dict(type="str", choices=list(VOLUME_FORMATS)),
    clone_from=dict(type="str"),
    src=dict(type="path"),
    recreate=dict(type="bool", default=False),
)
MUTUALLY_EXCLUSIVE = [["backing", "clone_from", "src"]]
REQUIRED_BY = {"backing_format": "backing"}
ABSENT = {"state": "absent"}
# The option to name when the volume differs from the task in a setting it cannot change in place.
OPTION_OF = {"format": "format", "backing": "backing", "backing_format": "backing_format", "capacity": "size"}


def source_spec(params, pool, pool_type):
    """Format and capacity a new volume inherits from its source (clone, upload, backing file)."""
    if params["clone_from"]:
        validate_name("clone_from", params["clone_from"])
        source = find_volume(pool, params["clone_from"])
        if source is None:
            raise InvalidInput("clone_from", "no volume %s in pool %s to clone" % (params["clone_from"], params["pool"]))
        parsed = parse_volume_xml(call("reading volume %s" % params["clone_from"], source.XMLDesc, 0))
        return {"format": parsed["format"], "capacity": parsed["capacity"]}
    if params["src"]:
        info = image_info("src", params["src"])
        if params["format"] and params["format"] != info["format"]:
            raise InvalidInput("format", "is %s but src %s is a %s image; uploads are not converted"
                               % (params["format"], info["path"], info["format"]))
        return {"format": info["format"], "capacity": info["virtual_size"]}
    if params["backing"]:
        return {"format": "qcow2", "capacity": image_info("backing", params["backing"])["virtual_size"]}
    return {"format": "raw" if pool_type == "logical" else "qcow2"}


def requested_spec(params):
    """The settings the user gave, normalised; only these are compared with an existing volume."""
    spec = {"state": "present"}
    if params["format"]:
        spec["format"] = params["format"]
    if params["backing"]:
        if params["format"] == "raw":
            raise InvalidInput("format", "must be qcow2 for a volume with a backing file (raw cannot have one)")
        info = image_info("backing", params["backing"])
        spec.update(backing=info["path"], backing_format=params["backing_format"] or info["format"])
    if params["size"] is not None:
        size = parse_size("size", params["size"])
        if size <= 0:
            raise InvalidInput("size", "must be larger than zero, got %r" % params["size"])
        spec["capacity"] = size
    return spec


def desired_specs(params, pool, current):
    """The user's normalised settings, and what a new volume would inherit from its source."""
    if params["state"] == "absent":
        return ABSENT, {}
    pool_type = parse_pool_xml(call("reading the pool XML", pool.XMLDesc, 0))["type"]
    source = source_spec(params, pool, pool_type)
    requested = requested_spec(params)
    fmt = requested.get("format") or (current or source)["format"]
    if pool_type == "logical" and (fmt != "raw" or params["backing"]):
        raise InvalidInput("backing" if params["backing"] else "format", "pool %s is a logical pool: its volumes "
                           "are raw logical volumes, without backing files" % params["pool"])
    if "capacity" in requested:
        requested["capacity"] = round_capacity(requested["capacity"], fmt, pool_type)
    return requested, source


def creation_spec(params, source, requested):
    """The full spec of a new volume: the source's format and size, overridden by the user's."""
    spec = dict(source, **requested)
    if "capacity" not in spec:
        raise InvalidInput("size", "is required to create the blank volume %s (there is no clone_from, src "
                           "or backing to take its size from)" % params["name"])
    if spec["capacity"] < source.get("capacity", 0):
        kind = "volume %s" % params["clone_from"] if params["clone_from"] else "image %s" % (params["src"] or params["backing"])
        raise InvalidInput("size", "%s is smaller than the %s it is made from (%s); volumes are never shrunk"
                           % (format_size(spec["capacity"]), kind, format_size(source["capacity"])))
    return spec


def needs_recreation(name, current, requested, recreate):
    """Whether the volume must be re-created to match; fails naming the option unless ``recreate``."""
    keys = [key for key in ("format", "backing", "backing_format") if key in requested and requested[key] != current[key]]
    if requested.get("capacity", current["capacity"]) < current["capacity"]:
        keys.append("capacity")
    if keys and not recreate:
        key = keys[0]
        if key == "capacity":
            what = ("%s is smaller than the current capacity %s; shrinking is refused because it would destroy data"
                    % (format_size(requested[key]), format_size(current[key])))
        else:
            what = "volume has %s %s but %s was asked for; libvirt cannot change it in place" % (
                OPTION_OF[key], current[key] or "none", requested[key])
        raise InvalidInput(OPTION_OF[key], "%s (volume %s). Set recreate=true to delete the volume and create it "
                                           "again, losing its data" % (what, name))
    return bool(keys)


def plan(name, current, requested, params):
    """The actions, in order, that take the volume from ``current`` to ``requested``."""
    create = "clone" if params["clone_from"] else "upload" if params["src"] else "create"
    if params["state"] == "absent":
        return ["delete"] if current else []
    if current is None:
        return [create]
    if needs_recreation(name, current, requested, params["recreate"]):
        return ["delete", create]
    return ["resize"] if requested.get("capacity", current["capacity"]) > current["capacity"] else []


def apply(pool, vol, name, params, actions, spec):
    for action in actions:
        if action == "delete":
            call("deleting volume %s" % name, vol.delete, 0)
        elif action == "resize":
            resize_volume(vol, name, spec["capacity"])
        else:
            vol = create_volume(pool, name, action, spec, clone_from=params["clone_from"], src=params["src"])
    return vol


def active_pool(pool, name):
    if pool is None:
        raise InvalidInput("pool", "there is no storage pool %s (define it with stackling.cloud.libvirt_pool)" % name)
    if not call("reading the state of pool %s" % name, pool.isActive):
        raise InvalidInput("pool", "storage pool %s is not active; start it (libvirt_pool state=active)" % name)
    return pool


def run(module):
    params = module.params
    name = validate_name("name", params["name"])
    validate_name("pool", params["pool"])
    conn = connect(params["uri"])
    try:
        pool = find_pool(conn, params["pool"])
        if pool is None and params["state"] == "absent":
            return task_result("volume", ABSENT, ABSENT, [], {}, module._diff)
        pool = active_pool(pool, params["pool"])
        vol = find_volume(pool, name)
        return converge(module, pool, vol, volume_spec(vol) if vol else None)
    finally:
        conn.close()


def converge(module, pool, vol, current):
    params, name = module.params, module.params["name"]
    requested, source = desired_specs(params, pool, current)
    actions = plan(name, current, requested, params)
    creating = actions[-1:] in (["create"], ["clone"], ["upload"])
    spec = creation_spec(params, source, requested) if creating else requested
    if actions and not module.check_mode:
        vol = apply(pool, vol, name, params, actions, spec)
    after, facts = outcome(module, vol, current, spec, creating)
    return task_result("volume", current or ABSENT, after, actions, facts, module._diff)


def outcome(module, vol, current, spec, creating):
    """The volume's settings and facts after the task (predicted in check mode)."""
    pool_name = module.params["pool"]
    if module.params["state"] == "absent":
        return ABSENT, {}
    if not module.check_mode:
        return volume_spec(vol), volume_facts(pool_name, vol)
    after = spec if creating else dict(current, **spec)
    return after, volume_facts(pool_name, vol) if vol else dict(after, name=module.params["name"], pool=pool_name)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           mutually_exclusive=MUTUALLY_EXCLUSIVE, required_by=REQUIRED_BY)
    require_libvirt(module)
    exit_with_result(module, run)


if __name__ == "__main__":
    main()
