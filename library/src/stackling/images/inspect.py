"""What an image file really is, before it becomes an image: qemu-img's own reading.

``qemu-img info --output=json`` (probing, then again with the declared format) under a CPU and
memory limit, like glance and nova do. Refused: a file whose probed format is not the declared
one (a "raw" file that is really qcow2 would let a guest reach host files through its header),
a qcow2 with a backing file or an external data file (both name host paths), an encrypted
qcow2, and anything qemu-img cannot read. The qcow2 header is also read here in Python first,
so a backing file or data file is refused before qemu-img opens the file at all.
"""

from __future__ import annotations

import json
import resource
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackling.errors import ValidationError

DISK_FORMATS = ("qcow2", "raw")
QCOW2_MAGIC = b"QFI\xfb"
QCOW2_INCOMPAT_DATA_FILE = 1 << 2
QEMU_IMG_TIMEOUT = 60  # seconds
QEMU_IMG_CPU_SECONDS = 30
QEMU_IMG_ADDRESS_SPACE = 1024**3  # bytes, as oslo's prlimit for qemu-img in nova and glance


@dataclass(frozen=True)
class DiskInfo:
    disk_format: str
    virtual_size_bytes: int


def check_disk_format(value: str, field: str = "disk_format") -> str:
    if value not in DISK_FORMATS:
        raise ValidationError("expected one of %s, got %r" % (", ".join(DISK_FORMATS), value), field=field)
    return value


def inspect_image(path: Path, declared: str, field: str = "disk_format", qemu_img: str | None = None) -> DiskInfo:
    """The file's format and virtual size if it is a safe ``declared`` image; ValidationError naming ``field`` else."""
    check_disk_format(declared, field)
    _check_qcow2_header(path, field)
    probed = _qemu_img_info(path, None, field, qemu_img)
    if probed.get("format") != declared:
        raise ValidationError(
            "declared %s but qemu-img reads the file as %s; declare the format the file has"
            % (declared, probed.get("format")),
            field=field,
        )
    info = _qemu_img_info(path, declared, field, qemu_img)
    _check_info(info, field)
    size = info.get("virtual-size")
    if not isinstance(size, int) or size < 0:
        raise ValidationError("qemu-img reports no virtual size for the file", field=field)
    return DiskInfo(declared, size)


def _check_qcow2_header(path: Path, field: str) -> None:
    with path.open("rb") as handle:
        header = handle.read(104)
    if not header.startswith(QCOW2_MAGIC) or len(header) < 32:
        return
    version, backing_offset = struct.unpack(">IQ", header[4:16])
    if backing_offset:
        raise ValidationError("the qcow2 file has a backing file; upload a standalone image "
                              "(qemu-img convert -O qcow2 in.qcow2 out.qcow2)", field=field)  # fmt: skip
    if version >= 3 and len(header) >= 80:
        (incompatible,) = struct.unpack(">Q", header[72:80])
        if incompatible & QCOW2_INCOMPAT_DATA_FILE:
            raise ValidationError("the qcow2 file has an external data file; upload a standalone image", field=field)


def _check_info(info: dict[str, Any], field: str) -> None:
    if info.get("backing-filename") or info.get("full-backing-filename"):
        raise ValidationError("the qcow2 file has a backing file (%s); upload a standalone image"
                              % info.get("backing-filename"), field=field)  # fmt: skip
    specific = info.get("format-specific")
    data = specific.get("data") if isinstance(specific, dict) else None
    if isinstance(data, dict) and data.get("data-file"):
        raise ValidationError("the qcow2 file has an external data file; upload a standalone image", field=field)
    if info.get("encrypted"):
        raise ValidationError("encrypted images are not supported", field=field)


def _limits() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_CPU, (QEMU_IMG_CPU_SECONDS, QEMU_IMG_CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (QEMU_IMG_ADDRESS_SPACE, QEMU_IMG_ADDRESS_SPACE))


def _qemu_img_info(path: Path, fmt: str | None, field: str, qemu_img: str | None) -> dict[str, Any]:
    binary = qemu_img or shutil.which("qemu-img")
    if binary is None:
        raise ValidationError("qemu-img is not installed on the controller (package qemu-utils)", field=field)
    argv = [binary, "info", "--output=json", *(["-f", fmt] if fmt else []), "--", str(path)]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=QEMU_IMG_TIMEOUT, check=False,
                              preexec_fn=_limits)  # fmt: skip
    except subprocess.TimeoutExpired:
        raise ValidationError("qemu-img info took longer than %d s on the file" % QEMU_IMG_TIMEOUT, field=field) from None
    if proc.returncode != 0:
        message = proc.stderr.strip().replace(str(path), "<image>") or "rc=%d" % proc.returncode
        raise ValidationError("qemu-img cannot read the file as %s: %s" % (fmt or "an image", message), field=field)
    try:
        info = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise ValidationError("qemu-img info printed no JSON", field=field) from None
    if not isinstance(info, dict):
        raise ValidationError("qemu-img info printed no JSON object", field=field)
    return info
