# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NoCloud config drives (cloud-init's "cidata" volume): what files they hold and the commands
that build or read them. No Ansible imports: tools/make-config-drive uses this file too."""

from __future__ import annotations

import json
import os
import re

LABEL = "cidata"
FORMATS = ("vfat", "iso9660")
FILE_NAMES = ("meta-data", "user-data", "network-config")
HOSTNAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
# mformat writes a partition entry spanning the volume into the boot sector, which Linux then shows
# as a second device (vdb1 next to vdb); a config drive is unpartitioned, so those 64 bytes are zeroed.
PARTITION_TABLE = (0x1BE, 64)


class DriveError(ValueError):
    """Bad drive contents; ``field`` names the input to fix."""

    def __init__(self, field, msg):
        super(DriveError, self).__init__(msg)
        self.field = field


def meta_data(instance_id, hostname, ssh_keys):
    """NoCloud meta-data as YAML; every value is a JSON string (a valid YAML scalar)."""
    lines = ["instance-id: %s" % json.dumps(instance_id)]
    if hostname:
        lines.append("local-hostname: %s" % json.dumps(hostname))
    if ssh_keys:
        lines.append("public-keys:")
        lines.extend("  - %s" % json.dumps(key) for key in ssh_keys)
    return "\n".join(lines) + "\n"


def drive_files(instance_id, hostname=None, ssh_keys=(), user_data=None, network_config=None):
    """The files of the drive, name -> bytes; network-config only when given."""
    if not instance_id or any(char.isspace() for char in instance_id):
        raise DriveError("instance_id", "must be a non-empty string without spaces, got %r" % (instance_id,))
    if hostname is not None and not HOSTNAME_RE.match(hostname):
        raise DriveError("hostname", "%r is not a valid host name (labels of letters, digits and -)" % hostname)
    keys = [key.strip() for key in ssh_keys if key.strip()]
    for key in keys:
        if "\n" in key or "\r" in key:
            raise DriveError("ssh_public_keys", "each key must be one line")
    files = {
        "meta-data": meta_data(instance_id, hostname, keys).encode("utf-8"),
        "user-data": (user_data or "").encode("utf-8") if not isinstance(user_data, bytes) else user_data,
    }
    if network_config is not None:
        if isinstance(network_config, bytes):
            files["network-config"] = network_config
        elif isinstance(network_config, str):
            files["network-config"] = network_config.encode("utf-8")
        else:  # a mapping: JSON is valid YAML, and sorted keys make the bytes stable
            files["network-config"] = (json.dumps(network_config, indent=2, sort_keys=True) + "\n").encode("utf-8")
    return files


def vfat_size(files):
    """Image size in bytes: the payload rounded up to whole MiB plus 2 MiB, at least 2 MiB."""
    payload = sum(len(body) for body in files.values())
    return max(2 << 20, ((payload >> 20) + 2) << 20)


def build_commands(fmt, image, stage_dir, files):
    """The commands (argument lists) that turn the staged files into ``image``.

    For vfat the caller first creates ``image`` as a sparse file of vfat_size(files) bytes and
    afterwards zeroes PARTITION_TABLE.
    """
    staged = [os.path.join(stage_dir, name) for name in sorted(files)]
    if fmt == "vfat":
        size = vfat_size(files)
        return [
            ["mformat", "-i", image, "-T", str(size // 512), "-h", "64", "-s", "32", "-v", LABEL, "::"],
            ["mcopy", "-i", image] + staged + ["::"],
        ]
    return [["genisoimage", "-quiet", "-output", image, "-volid", LABEL, "-joliet", "-rock", stage_dir]]


def list_command(fmt, image):
    """The command listing the drive's top-level files, one path per line (fails on another format)."""
    if fmt == "vfat":
        return ["mdir", "-b", "-i", image, "::"]
    return ["isoinfo", "-i", image, "-R", "-f"]


def listed_names(output):
    """File names from list_command's output (``::/meta-data`` or ``/meta-data``)."""
    return sorted(line.rsplit("/", 1)[-1] for line in output.splitlines() if line.strip())


def read_command(fmt, image, name):
    """The command printing file ``name`` of the drive ``image`` on stdout (fails if it is missing)."""
    if fmt == "vfat":
        return ["mtype", "-i", image, "::" + name]
    return ["isoinfo", "-i", image, "-R", "-x", "/" + name]


def zero_partition_table(image):
    offset, length = PARTITION_TABLE
    with open(image, "r+b") as handle:
        handle.seek(offset)
        handle.write(bytes(length))
