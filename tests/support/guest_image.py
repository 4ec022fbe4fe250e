"""Stackling's tiny test guest image (tools/build-guest-image) and NoCloud config drives, for tests.

    from tests.support.guest_image import tiny_image, make_config_drive
    base = tiny_image()                       # builds once, then reuses the cache
    cidata = make_config_drive(tmp_path / "cidata.img", hostname="web-1", user_data=b"#!/bin/sh\\n...")

The image's console lines (STACKLING-GUEST-READY ...) are described in docs/guest-image.md;
READY_RE and CONFIG_RE parse them.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tests.support.collection import REPO

BUILD_SCRIPT = REPO / "tools" / "build-guest-image"
CONFIG_DRIVE_SCRIPT = REPO / "tools" / "make-config-drive"

READY_RE = re.compile(r"^STACKLING-GUEST-READY (?P<fields>.*)$", re.MULTILINE)
CONFIG_RE = re.compile(r"^STACKLING-GUEST-CONFIG (?P<fields>.*)$", re.MULTILINE)
USER_DATA_PREFIX = "STACKLING-GUEST-USER-DATA: "


def cache_dir() -> Path:
    return Path(os.environ.get("STACKLING_CACHE") or "/var/cache/stackling")


@functools.lru_cache(maxsize=None)
def tiny_image() -> Path:
    """Build (or reuse the cached) tiny guest image and return the qcow2 path. Never modify it:
    boot it through a qcow2 overlay (``qemu-img create -f qcow2 -F qcow2 -b BASE overlay``)."""
    proc = subprocess.run([str(BUILD_SCRIPT)], capture_output=True, text=True, check=False, timeout=1200)
    if proc.returncode != 0:
        raise RuntimeError("tools/build-guest-image failed (rc=%d):\n%s%s"
                           % (proc.returncode, proc.stdout, proc.stderr))
    path = Path(proc.stdout.strip().splitlines()[-1])
    if not path.is_file():
        raise RuntimeError("tools/build-guest-image printed %s, which is not a file" % path)
    return path


def kernel_and_initrd() -> tuple[Path, Path]:
    """The image's vmlinuz and initrd.img (for -kernel/-initrd boots), built with the image."""
    base = tiny_image().parent
    return base / "vmlinuz", base / "initrd.img"


def make_config_drive(out: Path, *, fmt: str = "vfat", hostname: str | None = None,
                      instance_id: str | None = None, ssh_keys: Sequence[str] = (),
                      user_data: bytes | None = None, network_config: bytes | None = None) -> Path:
    """Run tools/make-config-drive and return the image path (vfat or iso9660, label cidata)."""
    out = Path(out)
    argv = [str(CONFIG_DRIVE_SCRIPT), "-o", str(out), "--format", fmt]
    if hostname:
        argv += ["--hostname", hostname]
    if instance_id:
        argv += ["--instance-id", instance_id]
    for key in ssh_keys:
        argv += ["--ssh-key", key]
    extra: list[Path] = []
    if user_data is not None:
        path = out.with_name(out.name + ".user-data")
        path.write_bytes(user_data)
        argv += ["--user-data", str(path)]
        extra.append(path)
    if network_config is not None:
        path = out.with_name(out.name + ".network-config")
        path.write_bytes(network_config)
        argv += ["--network-config", str(path)]
        extra.append(path)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    finally:
        for path in extra:
            path.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise RuntimeError("tools/make-config-drive failed: %s%s" % (proc.stdout, proc.stderr))
    return out


def parse_fields(fields: str) -> dict[str, str]:
    """'a=1 b=2' -> {'a': '1', 'b': '2'} (values never contain spaces)."""
    return dict(item.split("=", 1) for item in fields.split() if "=" in item)


def ready_line(console: str) -> dict[str, str] | None:
    """The fields of the last STACKLING-GUEST-READY line in a console log, or None."""
    matches = READY_RE.findall(console.replace("\r", ""))
    return parse_fields(matches[-1]) if matches else None


def config_line(console: str) -> dict[str, str] | None:
    matches = CONFIG_RE.findall(console.replace("\r", ""))
    return parse_fields(matches[-1]) if matches else None


def user_data_output(console: str) -> list[str]:
    return [line[len(USER_DATA_PREFIX):] for line in console.replace("\r", "").splitlines()
            if line.startswith(USER_DATA_PREFIX)]
