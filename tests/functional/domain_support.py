"""Helpers for the libvirt_domain and libvirt_domain_info functional tests.

``tests.support.collection.run_module(name, **params)`` cannot pass a module option called
``name`` (its own first parameter has that name). ``run`` is the same runner with the module
given positionally only; drop it once run_module declares ``name`` positional-only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.support.collection import ensure_collection_link


def run(module: str, /, *, check: bool = False, diff: bool = False, **params: Any) -> dict[str, Any]:
    """Run ``stackling.cloud.<module>`` in its own Python process and return its JSON result."""
    root = ensure_collection_link()
    args = dict(params, _ansible_check_mode=check, _ansible_diff=diff)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ansible_collections.stackling.cloud.plugins.modules." + module, handle.name],
            capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(root)), timeout=600, check=False,
        )
    finally:
        os.unlink(handle.name)
    try:
        result: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError("module %s printed no JSON (rc=%s)\nstdout:\n%s\nstderr:\n%s"
                             % (module, proc.returncode, proc.stdout, proc.stderr)) from exc
    result.setdefault("failed", False)
    return result


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
