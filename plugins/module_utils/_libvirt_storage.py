# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Storage pools and volumes for libvirt_pool and libvirt_volume.

Specs are small dicts of normalised values; they are turned into libvirt XML and read
back from it with xml.etree.ElementTree (never string templates), so names and paths
are always escaped. Image files given by the user (a backing file, an upload source)
are probed here by their header, without external tools.
"""

from __future__ import annotations

import os
import struct
import xml.etree.ElementTree as ET

from ansible_collections.stackling.cloud.plugins.module_utils._diff import build_diff, changed_keys, changes_list
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, StacklingError
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt import call, libvirt

POOL_TYPES = ("dir", "logical")
VOLUME_FORMATS = ("qcow2", "raw")
# virStoragePoolState, in order.
_POOL_STATES = ("inactive", "building", "active", "degraded", "inaccessible")
# magic, version, backing file offset, backing file name size, cluster bits, virtual size
_QCOW2_HEADER = struct.Struct(">4sIQIIQ")
_QCOW2_MAGIC = b"QFI\xfb"
# libvirt creates qcow2 images in whole KiB (qemu-img create ...K) and resizes them in sectors;
# LVM rounds LVs up to whole extents, 4 MiB unless the volume group was made otherwise.
QCOW2_SIZE_ALIGN = 1024
LVM_EXTENT_SIZE = 4 * 1024 * 1024


# ---------------------------------------------------------------- normalisers

def normalise_path(field, value):
    """An absolute path without trailing or doubled slashes; relative paths are refused."""
    if not value or not os.path.isabs(value):
        raise InvalidInput(field, "must be an absolute path, got %r" % (value,))
    return os.path.normpath(value)


def normalise_devices(field, values):
    """Device paths as a sorted list without duplicates (their order carries no meaning)."""
    return sorted(set(normalise_path(field, value) for value in values))


def round_capacity(size, fmt, pool_type="dir"):
    """The capacity libvirt really gives a volume of ``fmt`` in a ``pool_type`` pool asked for ``size`` bytes."""
    align = LVM_EXTENT_SIZE if pool_type == "logical" else QCOW2_SIZE_ALIGN if fmt == "qcow2" else 1
    return -(-size // align) * align


def image_info(field, path):
    """Format (qcow2 or raw) and virtual size of the image file at ``path``, read from its header."""
    path = normalise_path(field, path)
    if not os.path.isfile(path):
        raise InvalidInput(field, "%s does not exist or is not a regular file" % path)
    try:
        with open(path, "rb") as handle:
            header = handle.read(_QCOW2_HEADER.size)
    except OSError as exc:
        raise InvalidInput(field, "cannot read %s: %s" % (path, exc.strerror))
    file_size = os.path.getsize(path)
    if len(header) == _QCOW2_HEADER.size and header[:4] == _QCOW2_MAGIC:
        return {"path": os.path.realpath(path), "format": "qcow2", "virtual_size": _QCOW2_HEADER.unpack(header)[5],
                "file_size": file_size}
    return {"path": os.path.realpath(path), "format": "raw", "virtual_size": file_size, "file_size": file_size}


# ---------------------------------------------------------------- pools

def render_pool_xml(name, spec, base_xml=None):
    """Pool XML for ``spec`` (type, path, and vg/devices for logical pools).

    With ``base_xml`` (the pool's inactive XML) only the managed elements are replaced,
    so the uuid and anything else libvirt or the operator set are kept.
    """
    root = ET.fromstring(base_xml) if base_xml else ET.Element("pool", type=spec["type"])
    _child(root, "name").text = name
    if spec["type"] == "logical":
        source = _child(root, "source")
        _child(source, "name").text = spec["vg"]
        for device in source.findall("device"):
            source.remove(device)
        for device in spec["devices"]:
            ET.SubElement(source, "device", path=device)
        _child(source, "format").set("type", "lvm2")
    _child(_child(root, "target"), "path").text = spec["path"]
    return ET.tostring(root, encoding="unicode")


def parse_pool_xml(xml):
    """The managed settings of a pool, normalised like desired settings are."""
    root = ET.fromstring(xml)
    spec = {"type": root.get("type"), "path": os.path.normpath(root.findtext("target/path") or "/")}
    if spec["type"] == "logical":
        spec["vg"] = root.findtext("source/name")
        spec["devices"] = sorted(device.get("path") for device in root.findall("source/device"))
    return spec


def pool_spec(pool):
    """Managed settings plus run state and autostart of a libvirt pool object."""
    spec = parse_pool_xml(call("reading the pool XML", pool.XMLDesc, 0))
    spec["state"] = "active" if call("reading the pool state", pool.isActive) else "inactive"
    spec["autostart"] = bool(call("reading the pool autostart", pool.autostart))
    return spec


def pool_facts(pool):
    """What libvirt_pool returns about a pool."""
    info = call("reading the pool info", pool.info)
    facts = dict(pool_spec(pool), name=pool.name(), uuid=pool.UUIDString(),
                 persistent=bool(call("reading the pool persistence", pool.isPersistent)),
                 capacity=info[1], allocation=info[2], available=info[3],
                 state=_POOL_STATES[info[0]] if info[0] < len(_POOL_STATES) else "unknown")
    facts["volumes"] = sorted(call("listing the pool volumes", pool.listVolumes)) if facts["state"] == "active" else []
    return facts


# ---------------------------------------------------------------- volumes

def render_volume_xml(name, spec, block=False):
    """Volume XML: capacity in bytes, format and optional backing store.

    A file volume is made sparse (allocation 0); a ``block`` volume (an LV) is fully
    allocated and has no format element (libvirt would make a sparse LV a snapshot).
    """
    root = ET.Element("volume")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "capacity", unit="bytes").text = str(spec["capacity"])
    if not block:
        ET.SubElement(root, "allocation", unit="bytes").text = "0"
        ET.SubElement(ET.SubElement(root, "target"), "format", type=spec["format"])
    if spec.get("backing"):
        backing = ET.SubElement(root, "backingStore")
        ET.SubElement(backing, "path").text = spec["backing"]
        ET.SubElement(backing, "format", type=spec["backing_format"])
    return ET.tostring(root, encoding="unicode")


def parse_volume_xml(xml):
    """Capacity, allocation, format, path and backing store of a volume's XML."""
    root = ET.fromstring(xml)
    backing = root.findtext("backingStore/path")
    backing_format = root.find("backingStore/format")
    target_format = root.find("target/format")
    return {
        "capacity": int(root.findtext("capacity") or 0),
        "allocation": int(root.findtext("allocation") or 0),
        # A volume without a format element (an LV) holds raw bytes.
        "format": target_format.get("type") if target_format is not None else "raw",
        "path": root.findtext("target/path"),
        "backing": os.path.realpath(backing) if backing else None,
        "backing_format": backing_format.get("type") if backing and backing_format is not None else None,
    }


def volume_spec(vol):
    """The managed settings of a volume (what libvirt_volume compares)."""
    parsed = parse_volume_xml(call("reading the volume XML", vol.XMLDesc, 0))
    spec = dict((key, parsed[key]) for key in ("capacity", "format", "backing", "backing_format"))
    spec["state"] = "present"
    return spec


def volume_facts(pool_name, vol):
    """What libvirt_volume returns about a volume."""
    facts = parse_volume_xml(call("reading the volume XML", vol.XMLDesc, 0))
    facts.update(name=vol.name(), pool=pool_name, key=vol.key())
    return facts


# ---------------------------------------------------------------- pool operations

def _redefine_pool(pool, name, desired):
    base = call("reading the pool XML", pool.XMLDesc, libvirt.VIR_STORAGE_XML_INACTIVE)
    spec = dict(pool_spec(pool), **desired)
    call("redefining pool %s" % name, pool.connect().storagePoolDefineXML, render_pool_xml(name, spec, base), 0)


def _build_pool(pool, name, desired):
    # A logical build runs pvcreate/vgcreate: never over devices that already hold data.
    flags = libvirt.VIR_STORAGE_POOL_BUILD_NO_OVERWRITE if desired["type"] == "logical" else 0
    call("building pool %s" % name, pool.build, flags)


POOL_STEPS = {
    "build": _build_pool,
    "redefine": _redefine_pool,
    "start": lambda pool, name, desired: call("starting pool %s" % name, pool.create, 0),
    "stop": lambda pool, name, desired: call("stopping pool %s" % name, pool.destroy),
    "undefine": lambda pool, name, desired: call("undefining pool %s" % name, pool.undefine),
    "autostart": lambda pool, name, desired: call("setting autostart of pool %s" % name, pool.setAutostart,
                                                  int(desired["autostart"])),
}


def apply_pool_actions(conn, pool, name, desired, actions):
    """Carry out libvirt_pool's ``actions``; a pool defined here is removed again if a later step fails."""
    if actions[:1] != ["define"]:
        for action in actions:
            POOL_STEPS[action](pool, name, desired)
        return pool
    new_storage = desired["type"] == "logical" or not os.path.exists(desired["path"])
    pool = call("defining pool %s" % name, conn.storagePoolDefineXML, render_pool_xml(name, desired), 0)
    done = []
    try:
        for action in actions[1:]:
            POOL_STEPS[action](pool, name, desired)
            done.append(action)
    except StacklingError as exc:
        _undo(exc, _undefine_new_pool, pool, name, "build" in done and new_storage)
        raise
    return pool


def _undefine_new_pool(pool, name, built):
    if call("reading the pool state", pool.isActive):
        call("stopping pool %s" % name, pool.destroy)
    if built:
        call("deleting the storage built for pool %s" % name, pool.delete, 0)
    call("undefining pool %s" % name, pool.undefine)


def refresh_pool(pool, name):
    """Rescan the pool; True when the rescan changed its list of volumes."""
    before = set(call("listing the volumes of pool %s" % name, pool.listVolumes))
    call("refreshing pool %s" % name, pool.refresh, 0)
    return set(call("listing the volumes of pool %s" % name, pool.listVolumes)) != before


# ---------------------------------------------------------------- volume operations

def create_volume(pool, name, how, spec, clone_from=None, src=None):
    """Make a volume (``how``: create, clone or upload); if a step after libvirt made it fails, delete it."""
    block = parse_pool_xml(call("reading the pool XML", pool.XMLDesc, 0))["type"] == "logical"
    if how == "create":
        return call("creating volume %s" % name, pool.createXML, render_volume_xml(name, spec, block), 0)
    if how == "clone":
        source = call("looking up volume %s" % clone_from, pool.storageVolLookupByName, clone_from)
        first = render_volume_xml(name, dict(spec, capacity=volume_spec(source)["capacity"]), block)
        vol = call("cloning volume %s into %s" % (clone_from, name), pool.createXMLFrom, first, source, 0)
    else:
        first = render_volume_xml(name, {"format": "raw", "capacity": os.path.getsize(src)}, block)
        vol = call("creating volume %s" % name, pool.createXML, first, 0)
    try:
        if how == "upload":
            vol = _upload(pool, vol, name, src, spec["format"])
        if spec["capacity"] > volume_spec(vol)["capacity"]:
            resize_volume(vol, name, spec["capacity"])
    except StacklingError as exc:
        _undo(exc, lambda: call("deleting the half-made volume %s" % name, vol.delete, 0))
        raise
    return vol


def resize_volume(vol, name, capacity):
    call("growing volume %s to %d bytes" % (name, capacity), vol.resize, capacity, 0)


def _upload(pool, vol, name, src, fmt):
    """Send ``src`` into ``vol`` (made raw, as large as the file); the pool rescan then reads its format."""
    stream = call("opening a stream", pool.connect().newStream, 0)
    call("starting the upload into volume %s" % name, vol.upload, stream, 0, os.path.getsize(src), 0)
    try:
        with open(src, "rb") as handle:
            call("uploading %s" % src, stream.sendAll, lambda _stream, nbytes, fh: fh.read(nbytes), handle)
    except OSError as exc:
        raise InvalidInput("src", "cannot read %s: %s" % (src, exc.strerror))
    call("finishing the upload of %s" % src, stream.finish)
    call("refreshing pool %s" % pool.name(), pool.refresh, 0)
    vol = call("looking up volume %s" % name, pool.storageVolLookupByName, name)
    found = volume_spec(vol)["format"]
    if found != fmt:
        raise StacklingError("after uploading %s, libvirt sees volume %s as %s, not %s" % (src, name, found, fmt))
    return vol


# ---------------------------------------------------------------- shared

def _undo(exc, func, *args):
    """Run a rollback after ``exc``; its own failure is added to ``exc`` instead of hiding it."""
    try:
        func(*args)
    except StacklingError as undo_exc:
        exc.details["rollback_failed"] = undo_exc.msg
    else:
        exc.details["rolled_back"] = True


def task_result(kind, before, after, actions, facts, want_diff):
    """The module result: changed, actions, changes and (in diff mode) a diff of the changed keys only.

    ``before``/``after`` are specs, ``{"state": "absent"}`` for a missing object; a key one side
    does not have (a missing volume has no format) is left out of that side of the diff.
    """
    keys = sorted(set(changed_keys(before, after)) | set(changed_keys(after, before)))
    result = {"changed": bool(actions), "actions": actions, "changes": changes_list(before, after, keys), kind: facts}
    if want_diff:
        diff = build_diff(before, after, keys)
        result["diff"] = dict((side, dict((key, value) for key, value in diff[side].items() if key in spec))
                              for side, spec in (("before", before), ("after", after)))
    return result


def _child(parent, tag):
    """The first ``tag`` child of ``parent``, created when missing."""
    found = parent.find(tag)
    return found if found is not None else ET.SubElement(parent, tag)
