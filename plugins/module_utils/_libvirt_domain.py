# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The libvirt_domain spec: module options -> validated, normalised spec; start errors -> the option at fault.

A spec value of None means "not managed": build_domain keeps what the definition has. The XML
side lives in _libvirt_domain_xml.py, the run-state side in _libvirt_lifecycle.py.
"""

from __future__ import annotations

import errno
import os
import re

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, StacklingError
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt import call
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt_domain_xml import DEFAULT_PORTS, parse_domain
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt_lifecycle import state_name
from ansible_collections.stackling.cloud.plugins.module_utils._names import validate_name

# Spec keys written into the XML, in the order the diff and changes list show them.
XML_KEYS = ("virt_type", "vcpus", "memory_mb", "machine", "cpu", "boot", "kernel", "initrd", "cmdline",
            "disks", "interfaces", "console_log", "metadata")
# Keys a running domain takes without a restart.
LIVE_KEYS = ("metadata", "autostart")

_BUS_PREFIX = {"virtio": "vd", "sata": "sd", "scsi": "sd", "ide": "hd"}
_TARGET_RE = re.compile(r"^(vd|sd|hd)[a-z]{1,2}$")
_MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_XML_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
# Characters XML 1.0 cannot carry at all, even escaped.
_XML_INVALID_RE = re.compile(u"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# libvirt drops tap names with these prefixes from the persistent definition (it assigns them itself).
_RESERVED_TAP_PREFIXES = ("vnet", "vif", "macvtap", "macvlan")


def _positive(field, value):
    if value is not None and value < 1:
        raise InvalidInput(field, "must be a positive integer, got %r" % (value,))
    return value


def _absolute_path(field, value):
    if value and not os.path.isabs(value):
        raise InvalidInput(field, "must be an absolute path, got %r" % (value,))
    return os.path.normpath(value) if value else value


def _normalise_cpu(cpu):
    if cpu is None:
        return None
    if cpu["mode"] == "custom" and not cpu.get("model"):
        raise InvalidInput("cpu.model", "is required when cpu.mode is custom")
    if cpu["mode"] != "custom" and cpu.get("model"):
        raise InvalidInput("cpu.model", "can only be given with cpu.mode custom")
    return {"mode": cpu["mode"], "model": cpu.get("model") if cpu["mode"] == "custom" else None}


def _normalise_disk_source(field, disk):
    if bool(disk.get("file")) == bool(disk.get("protocol")):
        raise InvalidInput(field, "give exactly one of file (a local path) or protocol (iscsi or nbd with host)")
    if disk.get("file"):
        for key in ("host", "port", "name"):
            if disk.get(key) is not None:
                raise InvalidInput("%s.%s" % (field, key), "only applies to a network disk (protocol)")
        return {"file": _absolute_path(field + ".file", disk["file"]), "protocol": None, "host": None,
                "port": None, "name": None}
    if not disk.get("host"):
        raise InvalidInput(field + ".host", "is required with protocol %s" % disk["protocol"])
    if disk["protocol"] == "iscsi" and not disk.get("name"):
        raise InvalidInput(field + ".name", "is required with protocol iscsi (target IQN and LUN, e.g. iqn.2024-01.dev.stackling:vol1/1)")
    port = disk.get("port") or DEFAULT_PORTS[disk["protocol"]]
    if not 0 < port < 65536:
        raise InvalidInput(field + ".port", "must be between 1 and 65535, got %r" % (port,))
    return {"file": None, "protocol": disk["protocol"], "host": disk["host"], "port": port, "name": disk.get("name")}


def _normalise_disk(index, disk):
    field = "disks[%d]" % index
    device = disk.get("device") or "disk"
    bus = disk.get("bus") or ("sata" if device == "cdrom" else "virtio")
    if device == "cdrom" and bus == "virtio":
        raise InvalidInput(field + ".bus", "a cdrom cannot be on the virtio bus; use sata, scsi or ide")
    target = disk.get("target")
    if target and not (_TARGET_RE.match(target) and target.startswith(_BUS_PREFIX[bus])):
        raise InvalidInput(field + ".target", "%r does not fit bus %s: use %sa, %sb, ..." % (target, bus, _BUS_PREFIX[bus], _BUS_PREFIX[bus]))
    normalised = {"device": device, "bus": bus, "target": target, "format": disk.get("format") or "raw",
                  "readonly": bool(disk.get("readonly")) or device == "cdrom"}
    normalised.update(_normalise_disk_source(field, disk))
    return normalised


def _assign_targets(disks):
    """Fill missing targets with the first free name for the bus (vda, vdb, ... / sda, ... / hda, ...)."""
    taken = set(disk["target"] for disk in disks if disk["target"])
    for index, disk in enumerate(disks):
        if disk["target"]:
            continue
        prefix = _BUS_PREFIX[disk["bus"]]
        free = [prefix + letter for letter in "abcdefghijklmnopqrstuvwxyz" if prefix + letter not in taken]
        if not free:
            raise InvalidInput("disks[%d].target" % index, "no free %sX name left; give target explicitly" % prefix)
        disk["target"] = free[0]
        taken.add(free[0])


def normalise_disks(disks):
    if disks is None:
        return None
    normalised = [_normalise_disk(index, disk) for index, disk in enumerate(disks)]
    seen = {}
    for index, disk in enumerate(normalised):
        if disk["target"] and disk["target"] in seen:
            raise InvalidInput("disks[%d].target" % index, "%r is also used by disks[%d]" % (disk["target"], seen[disk["target"]]))
        seen[disk["target"]] = index
    _assign_targets(normalised)
    return sorted(normalised, key=lambda disk: disk["target"])


def _normalise_interface(index, nic):
    field = "interfaces[%d]" % index
    if bool(nic.get("bridge")) == bool(nic.get("network")):
        raise InvalidInput(field, "give exactly one of bridge (a host bridge) or network (a libvirt network)")
    if nic.get("bridge"):
        validate_name(field + ".bridge", nic["bridge"], max_length=15)
    else:
        validate_name(field + ".network", nic["network"])
    mac = nic.get("mac").lower() if nic.get("mac") else None
    if mac and not _MAC_RE.match(mac):
        raise InvalidInput(field + ".mac", "%r is not a MAC address like 52:54:00:12:34:56" % (nic["mac"],))
    target = nic.get("target")
    if target:
        validate_name(field + ".target", target, max_length=15)
        if target.startswith(_RESERVED_TAP_PREFIXES):
            raise InvalidInput(field + ".target", "%r uses a prefix libvirt reserves (%s)" % (target, ", ".join(_RESERVED_TAP_PREFIXES)))
    return {"bridge": nic.get("bridge"), "network": nic.get("network"), "mac": mac,
            "model": nic.get("model") or "virtio", "target": target}


def normalise_interfaces(interfaces):
    if interfaces is None:
        return None
    return [_normalise_interface(index, nic) for index, nic in enumerate(interfaces)]


def normalise_metadata(metadata):
    """Keys must be XML element names; values become text (ElementTree escapes them, never parsed)."""
    if metadata is None:
        return None
    normalised = {}
    for key, value in metadata.items():
        if not _XML_NAME_RE.match(key) or key.lower().startswith("xml"):
            raise InvalidInput("metadata.%s" % key, "%r is not a valid XML element name: use letters, digits and "
                               "_ . - , starting with a letter or _, and not starting with 'xml'" % (key,))
        text = "" if value is None else str(value)
        if _XML_INVALID_RE.search(text):
            raise InvalidInput("metadata.%s" % key, "the value holds control characters XML cannot store")
        normalised[key] = text
    return normalised


def _normalise_direct_boot(params):
    kernel = _absolute_path("kernel", params.get("kernel"))
    initrd = _absolute_path("initrd", params.get("initrd"))
    cmdline = params.get("cmdline")
    if not kernel and (initrd or cmdline):
        raise InvalidInput("initrd" if initrd else "cmdline", "needs kernel")
    if kernel is None:
        return {"kernel": None, "initrd": None, "cmdline": None}
    return {"kernel": kernel, "initrd": initrd or "", "cmdline": cmdline or ""}


def desired_spec(params):
    """The validated, normalised spec the module options ask for (None = leave as it is)."""
    spec = {
        "virt_type": params.get("virt_type"),
        "vcpus": _positive("vcpus", params.get("vcpus")),
        "memory_mb": _positive("memory_mb", params.get("memory_mb")),
        "machine": params.get("machine"),
        "cpu": _normalise_cpu(params.get("cpu")),
        "boot": params.get("boot"),
        "disks": normalise_disks(params.get("disks")),
        "interfaces": normalise_interfaces(params.get("interfaces")),
        "console_log": _absolute_path("console_log", params.get("console_log")),
        "metadata": normalise_metadata(params.get("metadata")),
    }
    spec.update(_normalise_direct_boot(params))
    return spec


def check_paths(params):
    """Files the spec points at must exist on this host (where libvirtd opens them)."""
    for index, disk in enumerate(params.get("disks") or []):
        path = disk.get("file")
        if path and not os.path.exists(path):
            raise InvalidInput("disks[%d].file" % index, "%s does not exist" % path)
    for field in ("kernel", "initrd"):
        if params.get(field) and not os.path.isfile(params[field]):
            raise InvalidInput(field, "%s does not exist" % params[field])
    log = params.get("console_log")
    if log and not os.path.isdir(os.path.dirname(os.path.abspath(log))):
        raise InvalidInput("console_log", "directory %s does not exist" % os.path.dirname(os.path.abspath(log)))


def creation_defaults(spec):
    """A new domain needs memory; vcpus default to 1 and boot from the first disk."""
    if spec["memory_mb"] is None:
        raise InvalidInput("memory_mb", "is required to define a new domain")
    spec = dict(spec)
    spec["vcpus"] = spec["vcpus"] or 1
    spec["virt_type"] = spec["virt_type"] or "qemu"
    return spec


def start_error_field(message, interfaces):
    """The ``interfaces[i].bridge|network`` option a libvirt start error points at, or None.

    libvirt checks bridges and networks only when the guest starts, inside libvirtd's network
    namespace: a missing bridge fails with "Cannot get interface MTU on 'br0': No such device",
    a missing or stopped network with "... network 'net0' ...".
    """
    for index, nic in enumerate(interfaces or []):
        kind = "network" if nic.get("network") else "bridge"
        mentioned = nic.get(kind) and "'%s'" % nic[kind] in message
        if mentioned and ("No such device" in message if kind == "bridge" else "etwork" in message):
            hint = ("does not exist in libvirtd's network namespace" if kind == "bridge"
                    else "does not exist or is not active")
            return "interfaces[%d].%s" % (index, kind), "%s %r %s" % (kind, nic[kind], hint)
    return None


def console_tail(path, size):
    """The last ``size`` bytes of the console file ``path`` as text (invalid UTF-8 replaced), '' if there is none.

    QEMU writes the file as root; a guest may print anything, so bytes are decoded leniently."""
    if not path:
        return ""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - size))
            data = handle.read(size)
    except (IOError, OSError) as exc:
        if getattr(exc, "errno", None) == errno.ENOENT:
            return ""
        raise StacklingError("reading console file %s failed: %s" % (path, exc), path=path)
    return data.decode("utf-8", "replace")


def read_definition(dom):
    """The persistent (inactive) definition: what a restart would run."""
    return call("reading the definition of domain %s" % dom.name(), dom.XMLDesc, 2)  # VIR_DOMAIN_XML_INACTIVE


def domain_facts(dom):
    """What the _info module and libvirt_domain return: the spec of the running definition when it runs
    (so tap names and assigned MACs show), of the persistent one otherwise, plus uuid, state, autostart."""
    name = dom.name()
    facts = parse_domain(call("reading domain %s" % name, dom.XMLDesc, 0))
    persistent = bool(call("checking whether domain %s is persistent" % name, dom.isPersistent))
    facts.update(
        state=state_name(dom), persistent=persistent,
        autostart=bool(call("reading autostart of domain %s" % name, dom.autostart)) if persistent else False,
    )
    return facts
