# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt domain XML <-> Stackling domain spec, with xml.etree.ElementTree only (no string templates).

``parse_domain`` turns any domain XML into the normalised spec the modules compare and report.
``build_domain`` writes a spec into a domain XML: it starts from the current definition (or a
minimal skeleton) and rewrites only the parts a spec key manages, so elements libvirt added
(controllers, PCI addresses, the uuid, ...) and parts the spec leaves out (None) are kept.
"""

from __future__ import annotations

import hashlib
import os
import stat
import xml.etree.ElementTree as ET

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput
from ansible_collections.stackling.cloud.plugins.module_utils._units import parse_size

METADATA_NS = "http://stackling.dev/xmlns/domain/1.0"
METADATA_PREFIX = "stackling"
METADATA_TAG = "{%s}instance" % METADATA_NS
SOURCE_NS = "http://stackling.dev/xmlns/domain-xml/1.0"
SOURCE_TAG = "{%s}definition" % SOURCE_NS
ET.register_namespace(METADATA_PREFIX, METADATA_NS)
ET.register_namespace("stackling-xml", SOURCE_NS)

DEFAULT_PORTS = {"iscsi": 3260, "nbd": 10809}
_MIB = 1024 * 1024


def from_string(field, xml):
    """Parse XML text or raise InvalidInput naming ``field``."""
    try:
        return ET.fromstring(xml)
    except ET.ParseError as exc:
        raise InvalidInput(field, "is not well-formed XML: %s" % exc)


def _child(parent, tag):
    """``parent``'s first ``tag`` child, or an empty element to read defaults from."""
    found = parent.find(tag) if parent is not None else None
    return found if found is not None else ET.Element(tag)


def _ensure(parent, tag):
    found = parent.find(tag)
    return found if found is not None else ET.SubElement(parent, tag)


def _remove_all(parent, tag):
    for element in parent.findall(tag):
        parent.remove(element)


# ---------------------------------------------------------------- parsing


def _memory_mb(element):
    if element is None or not (element.text or "").strip():
        return None
    return parse_size("memory", element.text.strip() + element.get("unit", "KiB")) // _MIB


def _parse_cpu(element):
    if element is None:
        return None
    model = element.findtext("model")
    return {"mode": element.get("mode", "custom"), "model": model.strip() if model else None}


def _parse_disk(element):
    source, target = element.find("source"), _child(element, "target")
    disk = {
        "device": element.get("device", "disk"), "bus": target.get("bus"), "target": target.get("dev"),
        "format": _child(element, "driver").get("type"), "readonly": element.find("readonly") is not None,
        "file": None, "protocol": None, "host": None, "port": None, "name": None,
    }
    if source is None:
        return disk
    if element.get("type") == "network":
        host = _child(source, "host")
        protocol = source.get("protocol")
        port = host.get("port")
        disk.update(protocol=protocol, name=source.get("name"), host=host.get("name"),
                    port=int(port) if port else DEFAULT_PORTS.get(protocol))
    else:
        disk["file"] = source.get("file") or source.get("dev")
    return disk


def _parse_interface(element):
    source = _child(element, "source")
    kind = element.get("type")
    mac = _child(element, "mac").get("address")
    return {
        "bridge": source.get("bridge") if kind in ("bridge", "network") else None,
        "network": source.get("network") if kind == "network" else None,
        "mac": mac.lower() if mac else None,
        "model": _child(element, "model").get("type"),
        "target": _child(element, "target").get("dev"),
    }


def _parse_console_log(devices):
    for serial in devices.findall("serial"):
        if serial.get("type") == "file":
            return _child(serial, "source").get("path") or ""
    return ""


def _parse_metadata(root):
    instance = _child(root, "metadata").find(METADATA_TAG)
    if instance is None:
        return {}
    prefix = "{%s}" % METADATA_NS
    return dict((child.tag[len(prefix):], child.text or "") for child in instance if child.tag.startswith(prefix))


def parse_domain(xml):
    """The normalised spec of a domain XML (disks sorted by target; interfaces in XML order)."""
    root = from_string("xml", xml) if isinstance(xml, str) else xml
    os_el, devices = _child(root, "os"), _child(root, "devices")
    vcpus = root.findtext("vcpu")
    return {
        "name": root.findtext("name"),
        "uuid": root.findtext("uuid"),
        "virt_type": root.get("type"),
        "vcpus": int(vcpus) if vcpus else None,
        "memory_mb": _memory_mb(root.find("memory")),
        "machine": _child(os_el, "type").get("machine"),
        "cpu": _parse_cpu(root.find("cpu")),
        "disks": sorted((_parse_disk(disk) for disk in devices.findall("disk")), key=lambda d: d["target"] or ""),
        "interfaces": [_parse_interface(nic) for nic in devices.findall("interface")],
        "boot": [boot.get("dev") for boot in os_el.findall("boot")],
        "kernel": os_el.findtext("kernel") or "",
        "initrd": os_el.findtext("initrd") or "",
        "cmdline": os_el.findtext("cmdline") or "",
        "console_log": _parse_console_log(devices),
        "metadata": _parse_metadata(root),
    }


def machine_aliases(capabilities_xml):
    """``{'pc': 'pc-i440fx-7.2', 'q35': ...}`` from libvirt's capabilities XML."""
    root = from_string("capabilities", capabilities_xml)
    return dict((m.text, m.get("canonical")) for m in root.iter("machine") if m.get("canonical") and m.text)


def source_hash(xml):
    """The sha256 of the raw XML this domain was defined from by the ``xml`` option, or None."""
    root = from_string("xml", xml) if isinstance(xml, str) else xml
    stamp = _child(root, "metadata").find(SOURCE_TAG)
    return stamp.get("sha256") if stamp is not None else None


# ---------------------------------------------------------------- building


def _skeleton(name):
    root = ET.Element("domain", type="qemu")
    ET.SubElement(root, "name").text = name
    ET.SubElement(ET.SubElement(root, "os"), "type").text = "hvm"
    features = ET.SubElement(root, "features")
    ET.SubElement(features, "acpi")  # without ACPI a guest cannot be shut down gracefully
    ET.SubElement(features, "apic")
    ET.SubElement(root, "devices")
    return root


def _set_virt_type(root, value):
    root.set("type", value)


def _set_vcpus(root, value):
    vcpu = _ensure(root, "vcpu")
    vcpu.attrib.pop("current", None)
    vcpu.text = str(value)


def _set_memory(root, value):
    memory = _ensure(root, "memory")
    memory.attrib.clear()
    memory.set("unit", "MiB")
    memory.text = str(value)
    _remove_all(root, "currentMemory")  # libvirt sets it to memory again


def _set_machine(root, value):
    _ensure(_ensure(root, "os"), "type").set("machine", value)


def _set_cpu(root, value):
    _remove_all(root, "cpu")
    cpu = ET.SubElement(root, "cpu", mode=value["mode"])
    if value["mode"] == "custom":
        cpu.set("match", "exact")
        ET.SubElement(cpu, "model", fallback="allow").text = value["model"]


def _set_boot(root, value):
    os_el = _ensure(root, "os")
    _remove_all(os_el, "boot")
    for dev in value:
        ET.SubElement(os_el, "boot", dev=dev)


def _os_text_setter(tag):
    def setter(root, value):
        os_el = _ensure(root, "os")
        _remove_all(os_el, tag)
        if value:
            ET.SubElement(os_el, tag).text = value
    return setter


def _is_block_device(path):
    try:
        return stat.S_ISBLK(os.stat(path).st_mode)
    except OSError:
        return False


def _set_disk_source(element, disk):
    _remove_all(element, "source")
    source = ET.SubElement(element, "source")
    if disk["protocol"]:
        element.set("type", "network")
        source.set("protocol", disk["protocol"])
        if disk["name"]:
            source.set("name", disk["name"])
        ET.SubElement(source, "host", name=disk["host"], port=str(disk["port"]))
    elif _is_block_device(disk["file"]):
        element.set("type", "block")
        source.set("dev", disk["file"])
    else:
        element.set("type", "file")
        source.set("file", disk["file"])


def _fill_disk(element, disk):
    target = _ensure(element, "target")
    if target.get("bus") != disk["bus"]:
        _remove_all(element, "address")  # a PCI address does not fit a SATA disk and so on
    element.set("device", disk["device"])
    driver = _ensure(element, "driver")
    driver.set("name", "qemu")
    driver.set("type", disk["format"])
    _set_disk_source(element, disk)
    target.set("dev", disk["target"])
    target.set("bus", disk["bus"])
    _remove_all(element, "readonly")
    if disk["readonly"]:
        ET.SubElement(element, "readonly")


def _set_disks(root, disks):
    devices = _ensure(root, "devices")
    existing = dict((_child(el, "target").get("dev"), el) for el in devices.findall("disk"))
    _remove_all(devices, "disk")
    for disk in disks:
        element = existing.get(disk["target"])
        if element is None:
            element = ET.Element("disk")
        _fill_disk(element, disk)
        devices.append(element)


def _fill_interface(element, nic):
    kind = "network" if nic["network"] else "bridge"
    element.set("type", kind)
    _remove_all(element, "source")
    ET.SubElement(element, "source").set(kind, nic[kind])
    if nic["mac"]:
        _ensure(element, "mac").set("address", nic["mac"])
    _ensure(element, "model").set("type", nic["model"])
    if nic["target"]:
        _ensure(element, "target").set("dev", nic["target"])


def _set_interfaces(root, interfaces):
    """Rewrite interfaces position by position: the n-th keeps its MAC, tap and PCI slot unless given."""
    devices = _ensure(root, "devices")
    existing = devices.findall("interface")
    _remove_all(devices, "interface")
    for index, nic in enumerate(interfaces):
        element = existing[index] if index < len(existing) else ET.Element("interface")
        _fill_interface(element, nic)
        devices.append(element)


def _set_console_log(root, path):
    devices = _ensure(root, "devices")
    for tag in ("serial", "console"):
        for element in devices.findall(tag):
            if path or element.get("type") == "file":
                devices.remove(element)
    if path:
        serial = ET.SubElement(devices, "serial", type="file")
        # append: the log keeps earlier boots across a stop and start (as nova's console log does);
        # QEMU would truncate it each time it opens the file
        ET.SubElement(serial, "source", path=path, append="on")
        ET.SubElement(serial, "target", port="0")  # libvirt adds the matching <console>


def metadata_element(metadata, namespace=METADATA_NS):
    """Our ``<stackling:instance>`` element: one child per key, values as text (escaped by ElementTree)."""
    tag = "{%s}%%s" % namespace if namespace else "%s"
    instance = ET.Element(tag % "instance")
    for key in sorted(metadata):
        ET.SubElement(instance, tag % key).text = metadata[key]
    return instance


def _set_metadata_child(root, tag, element):
    metadata = _ensure(root, "metadata")
    _remove_all(metadata, tag)
    if element is not None:
        metadata.append(element)
    if len(metadata) == 0:
        root.remove(metadata)


def _set_metadata(root, value):
    _set_metadata_child(root, METADATA_TAG, metadata_element(value) if value else None)


_SETTERS = (
    ("virt_type", _set_virt_type), ("vcpus", _set_vcpus), ("memory_mb", _set_memory),
    ("machine", _set_machine), ("cpu", _set_cpu), ("boot", _set_boot),
    ("kernel", _os_text_setter("kernel")), ("initrd", _os_text_setter("initrd")),
    ("cmdline", _os_text_setter("cmdline")), ("disks", _set_disks), ("interfaces", _set_interfaces),
    ("console_log", _set_console_log), ("metadata", _set_metadata),
)


def build_domain(name, spec, current_xml=None):
    """Domain XML with every non-None key of ``spec`` applied to ``current_xml`` (or a new skeleton)."""
    root = from_string("xml", current_xml) if current_xml else _skeleton(name)
    for key, setter in _SETTERS:
        if spec.get(key) is not None:
            setter(root, spec[key])
    return ET.tostring(root, encoding="unicode")


def metadata_xml(metadata):
    """Our metadata element for virDomainSetMetadata, which puts it into the namespace itself."""
    return ET.tostring(metadata_element(metadata, namespace=None), encoding="unicode")


def stamp_raw_xml(name, xml, uuid=None):
    """The ``xml`` option made ready to define: name checked or filled in, the current ``uuid`` kept,
    and the sha256 of the given text stamped in metadata.

    Returns ``(xml, sha256)``; the stamp lets later runs see whether the given XML changed.
    """
    root = from_string("xml", xml)
    if root.tag != "domain":
        raise InvalidInput("xml", "the root element must be <domain>, not <%s>" % root.tag)
    given = root.findtext("name")
    if given is not None and given.strip() != name:
        raise InvalidInput("xml", "<name>%s</name> does not match the name option %r" % (given.strip(), name))
    if given is None:
        ET.SubElement(root, "name").text = name
    if uuid and root.find("uuid") is None:
        ET.SubElement(root, "uuid").text = uuid
    digest = hashlib.sha256(xml.strip().encode("utf-8")).hexdigest()
    _set_metadata_child(root, SOURCE_TAG, ET.Element(SOURCE_TAG, sha256=digest))
    return ET.tostring(root, encoding="unicode"), digest
