"""Helpers for the libvirt_domain and libvirt_domain_info functional tests.

``run`` is ``tests.support.collection.run_module`` (module name first, then its options).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.support.collection import run_module

run = run_module


def qemu_workdir() -> Path:
    """A fresh directory QEMU (user libvirt-qemu) can reach; the caller removes it.

    Not pytest's tmp_path: pytest keeps /tmp/pytest-of-root at mode 0700 (and resets it whenever
    another pytest run starts), so QEMU could not open images below it.
    """
    path = Path(tempfile.mkdtemp(prefix="stktest-dom-", dir="/tmp"))
    path.chmod(0o711)
    return path


def make_qcow2(path: Path, size: str = "64M") -> Path:
    """An empty qcow2 image (enough for lifecycle tests: the guest need not boot an OS)."""
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), size], check=True, timeout=60)
    return path


def destroy_domain(conn: Any, name: str) -> None:
    """Finalizer: power off and undefine ``name`` if it exists."""
    import libvirt

    try:
        dom = conn.lookupByName(name)
    except libvirt.libvirtError:
        return
    if dom.isActive():
        dom.destroy()
    dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM | libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)


def isolated_network_xml(name: str, bridge: str, third: int) -> str:
    """An isolated libvirt network (no forward) on 10.232.<third>.0/24; it lives in the rig's namespace."""
    import xml.etree.ElementTree as ET

    root = ET.Element("network")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "bridge", name=bridge, stp="off")
    ET.SubElement(root, "ip", address="10.232.%d.1" % third, prefix="24")
    return ET.tostring(root, encoding="unicode")


def destroy_network(conn: Any, name: str) -> None:
    import libvirt

    try:
        net = conn.networkLookupByName(name)
    except libvirt.libvirtError:
        return
    if net.isActive():
        net.destroy()
    net.undefine()
