#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: config_drive
short_description: Build a NoCloud config drive (cloud-init's cidata volume) for a server
description:
  - Writes a disk image labelled C(cidata) holding C(meta-data) (instance id, host name, SSH public
    keys), C(user-data) and optionally C(network-config), as cloud-init's NoCloud data source and
    Stackling's tiny guest read it.
  - The module reads the files back from an existing image (C(mdir)/C(mtype) for vfat, C(isoinfo)
    for iso9660) and rebuilds the image only when they differ, so a second run changes nothing.
  - The image is built beside O(path) and renamed into place, so a guest never sees a half-written
    drive. The Stackling tiny guest's kernel has no AHCI driver; attach a vfat drive as a virtio disk
    or an iso9660 one as an IDE cdrom.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.check_diff
options:
  path:
    description:
      - Absolute path of the image file. Its directory must exist with O(state=present); with
        O(state=absent) a missing directory means there is nothing to remove.
    type: path
    required: true
  state:
    description:
      - V(present) builds or rebuilds the image; V(absent) removes the file.
    type: str
    choices: [present, absent]
    default: present
  format:
    description:
      - V(vfat) (made with mtools) or V(iso9660) (made with genisoimage).
    type: str
    choices: [vfat, iso9660]
    default: vfat
  instance_id:
    description:
      - The C(instance-id) in meta-data; cloud-init runs its per-instance steps again when it changes.
      - Required with O(state=present).
    type: str
  hostname:
    description:
      - The C(local-hostname) in meta-data.
    type: str
  ssh_public_keys:
    description:
      - Authorized key lines for the guest's default user (meta-data C(public-keys)).
    type: list
    elements: str
    default: []
  user_data:
    description:
      - The C(user-data) file, a C(#!) script or C(#cloud-config) document. Empty when omitted.
      - It may hold secrets, so it is never logged and the diff shows only its SHA-256.
    type: str
  network_config:
    description:
      - The C(network-config) file; a dict is written as YAML (network config version 1 or 2),
        a string as given. Omitted from the drive when not set.
    type: raw
  mode:
    description:
      - Permissions of the image file; QEMU (user libvirt-qemu) must be able to read it.
    type: str
    default: "0644"
requirements:
  - mtools (vfat) or genisoimage (iso9660, also provides isoinfo)
"""

EXAMPLES = r"""
- name: Config drive of server web-1
  stackling.cloud.config_drive:
    path: /var/lib/stackling/instances/3f2a/config-drive.img
    instance_id: 3f2a0c4e-5b1d-4c59-9d0e-6a8f1e2b7c11
    hostname: web-1
    ssh_public_keys:
      - "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7... alice@laptop"
    user_data: |
      #!/bin/sh
      echo hello > /tmp/hello
    network_config:
      version: 1
      config:
        - type: physical
          name: eth0
          subnets:
            - type: dhcp

- name: Remove it with the server
  stackling.cloud.config_drive:
    path: /var/lib/stackling/instances/3f2a/config-drive.img
    state: absent
"""

RETURN = r"""
drive:
  description: The drive after the run (in check mode, as it would be); empty after O(state=absent).
  returned: always
  type: dict
  contains:
    path:
      description: Path of the image file.
      type: str
      sample: /var/lib/stackling/instances/3f2a/config-drive.img
    format:
      description: V(vfat) or V(iso9660).
      type: str
      sample: vfat
    files:
      description: Names of the files on the drive.
      type: list
      elements: str
      sample: [meta-data, network-config, user-data]
commands:
  description: The commands run (in check mode, the commands that would run).
  returned: always
  type: list
  elements: str
  sample: ["/usr/bin/mformat -i /var/lib/stackling/instances/3f2a/.config-drive.img.new -T 4096 -h 64 -s 32 -v cidata ::"]
"""

import hashlib
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackling.cloud.plugins.module_utils import _configdrive
from ansible_collections.stackling.cloud.plugins.module_utils._diff import change_result
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, exit_with_result
from ansible_collections.stackling.cloud.plugins.module_utils._process import Runner

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "format": {"type": "str", "choices": list(_configdrive.FORMATS), "default": "vfat"},
    "instance_id": {"type": "str"},
    "hostname": {"type": "str"},
    "ssh_public_keys": {"type": "list", "elements": "str", "default": [], "no_log": False},
    "user_data": {"type": "str", "no_log": True},
    "network_config": {"type": "raw"},
    "mode": {"type": "str", "default": "0644"},
}


def read_drive(module, path, fmt):
    """The drive's files (name -> bytes), or None when ``path`` is missing or not a ``fmt`` drive."""
    if not os.path.exists(path):
        return None
    listing = _configdrive.list_command(fmt, path)
    rc, out, _err = Runner(module, listing[0]).run(listing[1:], expect_rc=(0, 1))
    if rc != 0:
        return None
    files = {}
    for name in _configdrive.listed_names(out):
        command = _configdrive.read_command(fmt, path, name)
        rc, body, _err = Runner(module, command[0]).run(command[1:], expect_rc=(0, 1))
        files[name] = body.encode("utf-8") if rc == 0 else None
    return files


def build_drive(module, path, fmt, files, mode):
    """Build the image next to ``path`` and rename it into place; returns the commands run."""
    stage = tempfile.mkdtemp(prefix=".config-drive-", dir=os.path.dirname(path))
    image = os.path.join(stage, "drive.img")
    commands = []
    try:
        for name, body in files.items():
            with open(os.path.join(stage, name), "wb") as handle:
                handle.write(body)
        if fmt == "vfat":
            with open(image, "wb") as handle:
                handle.truncate(_configdrive.vfat_size(files))
        for command in _configdrive.build_commands(fmt, image, stage, files):
            runner = Runner(module, command[0])
            runner.run(command[1:])
            commands.append(runner.argv(command[1:]))
        if fmt == "vfat":
            _configdrive.zero_partition_table(image)
        os.chmod(image, mode)
        os.rename(image, path)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return commands


def summary(files):
    """What the diff shows: the readable files as text, user-data only as its SHA-256."""
    if files is None:
        return None
    shown = {}
    for name, body in files.items():
        if name == "user-data":
            shown["user-data sha256"] = hashlib.sha256(body or b"").hexdigest()
        else:
            shown[name] = (body or b"").decode("utf-8", "replace")
    return shown


def parse_mode(text):
    try:
        mode = int(text, 8)
    except ValueError:
        raise InvalidInput("mode", "%r is not an octal mode like 0644" % text)
    if not 0 <= mode <= 0o7777:
        raise InvalidInput("mode", "%r is out of range (0000 to 7777)" % text)
    return mode


def run_present(module, path, fmt):
    params = module.params
    if not params["instance_id"]:
        raise InvalidInput("instance_id", "is required with state=present")
    try:
        files = _configdrive.drive_files(params["instance_id"], params["hostname"], params["ssh_public_keys"],
                                         params["user_data"], params["network_config"])
    except _configdrive.DriveError as exc:
        raise InvalidInput(exc.field, str(exc))
    mode = parse_mode(params["mode"])
    current = read_drive(module, path, fmt)
    commands = []
    if current != files:
        if not module.check_mode:
            commands = build_drive(module, path, fmt, files, mode)
        else:
            commands = [list(command) for command in _configdrive.build_commands(fmt, path, "<staged files>", files)]
    elif os.stat(path).st_mode & 0o7777 != mode:
        commands = [["chmod", "%04o" % mode, path]]
        if not module.check_mode:
            os.chmod(path, mode)
    drive = {"path": path, "format": fmt, "files": sorted(files)}
    return change_result(module, commands, summary(current), summary(files), drive=drive)


def run(module):
    path = module.params["path"]
    if not os.path.isabs(path):
        raise InvalidInput("path", "%r is not an absolute path" % path)
    if module.params["state"] == "present":
        if not os.path.isdir(os.path.dirname(path)):
            raise InvalidInput("path", "directory %s does not exist; create it first" % os.path.dirname(path))
        return run_present(module, path, module.params["format"])
    exists = os.path.lexists(path)
    if exists and not module.check_mode:
        os.unlink(path)
    return change_result(module, [["rm", path]] if exists else [], {"path": path} if exists else None, None, drive={})


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    exit_with_result(module, run)


if __name__ == "__main__":
    main()
