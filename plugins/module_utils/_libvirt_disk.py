# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One disk of a libvirt domain, hot-plugged: its XML, where it is (the running domain, the
persistent definition) and the attach/detach calls. Used by libvirt_disk."""

from __future__ import annotations

import os
import stat
import time
import xml.etree.ElementTree as ET

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, StacklingError
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt import call

AFFECT_LIVE = 1  # VIR_DOMAIN_AFFECT_LIVE
AFFECT_CONFIG = 2  # VIR_DOMAIN_AFFECT_CONFIG
XML_INACTIVE = 2  # VIR_DOMAIN_XML_INACTIVE
SERIAL_MAX = 20  # virtio-blk serials are cut to 20 bytes by the guest


def disk_source(params):
    """The comparable source of the wanted disk: ``{'file': path}``, ``{'dev': path}`` or the iSCSI LUN."""
    if params["protocol"] == "iscsi":
        for field in ("host", "name"):
            if not params[field]:
                raise InvalidInput(field, "is required with protocol=iscsi")
        return {"protocol": "iscsi", "name": params["name"], "host": params["host"], "port": params["port"] or 3260}
    path = params["path"]
    if not path:
        raise InvalidInput("path", "give the disk's file or block device (or protocol=iscsi with host and name)")
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InvalidInput("path", "%s cannot be used: %s" % (path, exc.strerror))
    return {"dev": path} if stat.S_ISBLK(mode) else {"file": path}


def build_disk(params, source):
    """The <disk> element libvirt attaches."""
    kind = "network" if "protocol" in source else ("block" if "dev" in source else "file")
    disk = ET.Element("disk", type=kind, device="disk")
    ET.SubElement(disk, "driver", name="qemu", type=params["format"])
    if kind == "network":
        src = ET.SubElement(disk, "source", protocol="iscsi", name=source["name"])
        ET.SubElement(src, "host", name=source["host"], port=str(source["port"]))
        if params["initiator"]:
            ET.SubElement(ET.SubElement(src, "initiator"), "iqn", name=params["initiator"])
    else:
        ET.SubElement(disk, "source", **source)
    ET.SubElement(disk, "target", dev=params["target"], bus="virtio")
    if params["serial"]:
        ET.SubElement(disk, "serial").text = params["serial"][:SERIAL_MAX]
    if params["readonly"]:
        ET.SubElement(disk, "readonly")
    return ET.tostring(disk, encoding="unicode")


def parse_source(disk):
    source = disk.find("source")
    if source is None:
        return {}
    if disk.get("type") == "network":
        host = source.find("host")
        port = host.get("port") if host is not None else None
        return {"protocol": source.get("protocol"), "name": source.get("name"),
                "host": host.get("name") if host is not None else None, "port": int(port) if port else 3260}
    if source.get("dev"):
        return {"dev": source.get("dev")}
    return {"file": source.get("file")}


def find_disk(xml, target):
    """``(element, source)`` of the disk with guest name ``target`` in a domain XML, or None."""
    for disk in ET.fromstring(xml).iter("disk"):
        found = disk.find("target")
        if found is not None and found.get("dev") == target:
            return disk, parse_source(disk)
    return None


def locations(dom, target):
    """Where the disk is now: ``{'live': source or None, 'config': source or None}`` (live only when running)."""
    name = dom.name()
    config = find_disk(call("reading domain %s" % name, dom.XMLDesc, XML_INACTIVE), target)
    where = {"config": config[1] if config else None, "live": None}
    if call("reading the state of domain %s" % name, dom.isActive):
        live = find_disk(call("reading domain %s" % name, dom.XMLDesc, 0), target)
        where["live"] = live[1] if live else None
    return where


def attach(dom, xml, flags):
    call("attaching a disk to domain %s" % dom.name(), dom.attachDeviceFlags, xml, flags)


def detach(dom, target, flags, timeout):
    """Detach ``target``; a live detach waits until the guest let the device go (PCI hot-unplug)."""
    name = dom.name()
    xml_flag = 0 if flags & AFFECT_LIVE else XML_INACTIVE
    found = find_disk(call("reading domain %s" % name, dom.XMLDesc, xml_flag), target)
    if found is None:
        return
    xml = ET.tostring(found[0], encoding="unicode")
    call("detaching disk %s from domain %s" % (target, name), dom.detachDeviceFlags, xml, flags)
    if not flags & AFFECT_LIVE:
        return
    deadline = time.monotonic() + timeout
    while find_disk(call("reading domain %s" % name, dom.XMLDesc, 0), target) is not None:
        if time.monotonic() > deadline:
            raise StacklingError("the guest of domain %s did not release disk %s within %d s (it needs PCI "
                                 "hot-unplug support); it is gone from the definition, and from the guest at its "
                                 "next restart. Raise detach_timeout to wait longer" % (name, target, timeout),
                                 target=target)
        time.sleep(0.5)
