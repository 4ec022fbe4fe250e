#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image
short_description: Upload, update or delete a Stackling image
description:
  - Ensures an image of the caller's project exists (uploaded from a file on the controller or a
    URL the controller can reach) with the given visibility, properties, minimums, protection and
    member projects, or does not exist.
  - The file is checked before the image exists, with C(qemu-img info) on the controller. The
    format qemu-img reads must be O(disk_format); a qcow2 with a backing file or an external data
    file is refused (they name files of the host). A failed upload leaves nothing behind.
  - Images are immutable, as in glance. A re-run with the same file changes nothing (the file's
    sha256 is compared with the image's). Another file, or another O(disk_format), for an existing
    name fails naming the option, unless O(replace=true) uploads it as a new image (a new id) under
    that name and deletes the old one.
  - With O(server), the image is a snapshot of that server's root disk (nova's C(createImage)); an
    existing image of that name is kept (it is not taken again).
  - With O(url), the file is known only by O(checksum). Without O(checksum), an existing image of
    that name is taken as the same file and the URL is not fetched again.
  - O(name) matches the caller's project's own images; an id matches any image the caller may see.
  - Project members manage their project's images; readers only see them. Only cloud admins make
    an image public. See docs/images.md.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name (or id) of the image; names are unique within a project.
    type: str
    required: true
  state:
    description:
      - V(present) uploads the image or updates what may change; V(absent) deletes it (and its file).
    type: str
    choices: [present, absent]
    default: present
  filename:
    description:
      - Path of the image file on the controller (where the module runs). Read by the module's process.
    type: path
  server:
    description:
      - Name or id of a server of the caller's (an C(ACTIVE) or C(SHUTOFF) one) whose root disk becomes the
        image, flattened into one qcow2 file on its compute host (a running guest is paused while it is
        copied). Policy C(compute:create_image) as well as C(image:create_image).
      - The image has C(image_type=snapshot), C(instance_uuid), C(base_image_ref) and the base image's
        other properties, RV(image.min_disk) the server's root disk and RV(image.min_ram) the base image's;
        O(properties), O(min_disk) and the other options are applied on top.
      - O(disk_format) is V(qcow2) (the default here).
    type: str
  url:
    description:
      - V(http), V(https) or V(file) URL the controller downloads the image from (redirects only to
        http and https).
    type: str
  disk_format:
    description:
      - Format of the file. Required to upload. Must be what qemu-img reads in the file.
    type: str
    choices: [qcow2, raw]
  checksum:
    description:
      - Expected sha256 of the file (64 hex digits). A file with another sha256 fails naming this
        option and nothing is stored.
    type: str
  visibility:
    description:
      - V(private) (the project only), V(shared) (also the O(projects)) or V(public) (everyone;
        cloud admins only). V(private) for a new image when omitted; left as it is otherwise.
    type: str
    choices: [private, shared, public]
  properties:
    description:
      - Properties merged into the current ones; a key whose value is V(null) is removed. Values are
        strings. V(architecture) is one of aarch64, armv7l, i686, ppc64le, riscv64, s390x, x86_64;
        V(hypervisor_type) one of kvm, qemu; other keys are free-form.
    type: dict
  min_disk:
    description:
      - Smallest root disk (GiB) a server booted from the image needs.
    type: int
  min_ram:
    description:
      - Smallest memory (MiB) a server booted from the image needs.
    type: int
  protected:
    description:
      - A protected image cannot be deleted (or replaced) until this is V(false) again.
    type: bool
  projects:
    description:
      - Projects (names or ids) a shared image is shared with; set to exactly this list. Only with
        O(visibility=shared) (or an image already shared). Left as it is when omitted.
    type: list
    elements: str
  replace:
    description:
      - When the file (or O(disk_format)) differs from the existing image's, upload it as a new
        image under the same name (keeping the old one's visibility, properties, minimums and member
        projects unless given) and delete the old one. Without it, such a run fails.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Upload a cloud image, checked against its published sha256
  stackling.cloud.image:
    cloud: web-member
    name: debian-12
    filename: /srv/images/debian-12-genericcloud-amd64.qcow2
    disk_format: qcow2
    checksum: "{{ debian_sha256 }}"
    min_disk: 2
    properties:
      architecture: x86_64
      hypervisor_type: kvm
      os_distro: debian

- name: Share it with another project
  stackling.cloud.image:
    cloud: web-member
    name: debian-12
    visibility: shared
    projects: [batch]

- name: A public image from a URL (cloud admins only)
  stackling.cloud.image:
    cloud: admin
    name: cirros
    url: https://download.cirros-cloud.net/0.6.2/cirros-0.6.2-x86_64-disk.img
    disk_format: qcow2
    visibility: public
"""

RETURN = r"""
image:
  description: The image after the run (in check mode, as it would be; what is known only after the upload is null).
  returned: when O(state=present)
  type: dict
  contains:
    id: {description: "Image id.", type: str}
    name: {description: "Image name.", type: str, sample: debian-12}
    project_id: {description: "Owner project id.", type: str}
    visibility: {description: "private, shared or public.", type: str}
    status: {description: "active once uploaded.", type: str}
    disk_format: {description: "qcow2 or raw.", type: str}
    size: {description: "File size in bytes.", type: int}
    virtual_size: {description: "Disk size in bytes, as qemu-img reads it.", type: int}
    checksum: {description: "sha256 of the file, hex.", type: str}
    md5: {description: "md5 of the file, hex (glance's legacy checksum).", type: str}
    min_disk: {description: "Minimum root disk in GiB.", type: int}
    min_ram: {description: "Minimum memory in MiB.", type: int}
    protected: {description: "Whether deleting is refused.", type: bool}
    properties: {description: "Properties.", type: dict, sample: {architecture: x86_64}}
    projects: {description: "Ids of the member projects (effective while shared), sorted.", type: list, elements: str}
    created_at: {description: "Creation time, ISO 8601 UTC.", type: str}
    updated_at: {description: "Last change, ISO 8601 UTC.", type: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_images import file_sha256, image_view
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import (
    STATE_SPEC,
    Plan,
    plan,
    state_result,
    string_values,
    wanted,
)
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

try:
    from stackling.images import ImageSpec
except ImportError:  # run_cloud_module() fails first, saying the library is missing
    ImageSpec = None

# What a replacing upload keeps from the image it replaces, unless asked otherwise.
KEPT_ON_REPLACE = ("visibility", "properties", "min_disk", "min_ram", "projects")
ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": STATE_SPEC,
    "filename": {"type": "path"},
    "url": {"type": "str"},
    "server": {"type": "str"},
    "disk_format": {"type": "str", "choices": ["qcow2", "raw"]},
    "checksum": {"type": "str"},
    "visibility": {"type": "str", "choices": ["private", "shared", "public"]},
    "properties": {"type": "dict"},
    "min_disk": {"type": "int"},
    "min_ram": {"type": "int"},
    "protected": {"type": "bool"},
    "projects": {"type": "list", "elements": "str"},
    "replace": {"type": "bool", "default": False},
}


def source_of(params):
    """What is known of the file to upload: ``{field, checksum, size}`` (None without a source)."""
    expected = params["checksum"].lower() if params["checksum"] else None
    if params["filename"]:
        checksum, size = file_sha256("filename", params["filename"])
        if expected is not None and expected != checksum:
            raise InvalidInput("checksum", "the sha256 of %s is %s, not %s" % (params["filename"], checksum, expected))
        return {"field": "filename", "checksum": checksum, "size": size}
    if params["url"]:
        return {"field": "checksum" if expected else "url", "checksum": expected, "size": None}
    if params["server"]:
        if params["disk_format"] not in (None, "qcow2"):
            raise InvalidInput("disk_format", "a server's snapshot is qcow2, not %s" % params["disk_format"])
        return {"field": "server", "checksum": None, "size": None, "disk_format": "qcow2"}
    return None


def immutable_difference(current, params, source):
    """The option asking for another file or format than the existing image has, with the message."""
    if source is not None and source["checksum"] is not None and source["checksum"] != current["checksum"]:
        return source["field"], "image %s holds a file with sha256 %s, not %s" % (
            current["name"], current["checksum"], source["checksum"])
    if params["disk_format"] is not None and params["disk_format"] != current["disk_format"]:
        return "disk_format", "image %s is %s, not %s" % (current["name"], current["disk_format"], params["disk_format"])
    return None


def desired_fields(cloud, params, current):
    props = string_values("properties", params["properties"], allow_null=True)
    merged = dict((current or {}).get("properties") or {})
    merged.update(props)
    desired = wanted(visibility=params["visibility"], min_disk=params["min_disk"], min_ram=params["min_ram"],
                     protected=params["protected"])
    if params["properties"] is not None:
        desired["properties"] = dict((key, value) for key, value in merged.items() if value is not None)
    if params["projects"] is not None:
        desired["projects"] = sorted(set(
            cloud.resolve("project", ref, field="projects")["id"] for ref in params["projects"]))
    visibility = desired.get("visibility") or (current or {}).get("visibility") or "private"
    if desired.get("projects") and visibility != "shared":
        raise InvalidInput("projects", "member projects are for shared images (visibility: shared)")
    return desired


def new_image(cloud, params, source, disk_format=None):
    disk_format = params["disk_format"] or (source or {}).get("disk_format") or disk_format
    if disk_format is None:
        raise InvalidInput("disk_format", "required to upload a new image (qcow2 or raw)")
    if source is None:
        raise InvalidInput("filename", "a new image needs its file: filename, url or server")
    return {"id": None, "name": params["name"], "project_id": cloud.ctx.project_id, "visibility": "private",
            "status": None, "disk_format": disk_format, "size": source["size"], "virtual_size": None,
            "checksum": source["checksum"], "md5": None, "min_disk": 0, "min_ram": 0, "protected": False,
            "properties": {}, "projects": [], "created_at": None, "updated_at": None}


def planned(cloud, params, current):
    if params["state"] == "absent":
        if current is not None and current["protected"]:
            raise InvalidInput("protected", "image %s is protected: set protected: false before deleting it"
                               % current["name"])
        return plan(current, {}, "absent")
    source = source_of(params)
    desired = desired_fields(cloud, params, current)
    if current is None:
        return plan(None, desired, "present", dict(new_image(cloud, params, source), **desired))
    difference = immutable_difference(current, params, source)
    if difference is None:
        return plan(current, desired, "present")
    if not params["replace"]:
        raise InvalidInput(difference[0], "%s; images are immutable (as in glance): set replace: true to upload it "
                           "as a new image under this name, or use another name" % difference[1])
    if current["protected"]:
        raise InvalidInput("protected", "image %s is protected: set protected: false before replacing it"
                           % current["name"])
    if current["project_id"] != cloud.ctx.project_id:
        raise InvalidInput("replace", "image %s belongs to project %s: only your project's images are replaced"
                           % (current["name"], current["project_id"]))
    new = new_image(cloud, params, source, current["disk_format"])
    new.update((key, current[key]) for key in KEPT_ON_REPLACE + ("name",))
    if desired.get("visibility", new["visibility"]) != "shared":
        new["projects"] = []  # members count only on shared images; a new image starts without idle ones
    return Plan("replace", current, dict(new, **desired))


def authorize(cloud, params, change):
    owner = (change.before or {}).get("project_id") or cloud.ctx.project_id
    target = {"project_id": owner, "visibility": (change.before or change.after)["visibility"]}
    actions = {"create": ["create"], "replace": ["create", "delete"], "update": ["update"], "delete": ["delete"]}
    for action in actions[change.action]:
        cloud.authorize("image:%s_image" % action, target)
    if change.action == "create" and params["server"]:
        cloud.authorize("compute:create_image", {"project_id": owner})
    public_before = change.action == "update" and change.before["visibility"] == "public"
    if change.after is not None and change.after["visibility"] == "public" and not public_before:
        cloud.authorize("image:publicize_image", target)


def run(module, cloud):
    params = module.params
    found = cloud.controller.images.find(cloud.ctx, params["name"], own=True)
    change = planned(cloud, params, image_view(found) if found else None)
    view = change.after
    if change.changed:
        authorize(cloud, params, change)
        if not module.check_mode:
            view = apply(cloud, params, change)
    return state_result(module, change, "image", view)


def apply(cloud, params, change):
    images, after, before = cloud.controller.images, change.after, change.before
    if change.action == "create" and params["server"]:
        return snapshot(cloud, params, change)
    if change.action in ("create", "replace"):
        spec = ImageSpec(visibility=after["visibility"], properties=after["properties"], min_disk_gb=after["min_disk"],
                         min_ram_mb=after["min_ram"], protected=after["protected"], projects=after["projects"])
        made = images.create(cloud.ctx, after["name"], disk_format=after["disk_format"], filename=params["filename"],
                             url=params["url"], checksum=after["checksum"], spec=spec,
                             replace=change.action == "replace")
        return image_view(made)
    if change.action == "delete":
        images.delete(cloud.ctx, before["id"])
        return None
    props = dict((key, None) for key in before["properties"] if key not in after["properties"])
    props.update((k, v) for k, v in after["properties"].items() if before["properties"].get(k) != v)
    keys = change.keys
    updated = images.update(
        cloud.ctx, before["id"], visibility=after["visibility"] if "visibility" in keys else None, properties=props,
        min_disk_gb=after["min_disk"] if "min_disk" in keys else None,
        min_ram_mb=after["min_ram"] if "min_ram" in keys else None,
        protected=after["protected"] if "protected" in keys else None,
        add_projects=sorted(set(after["projects"]) - set(before["projects"])),
        remove_projects=sorted(set(before["projects"]) - set(after["projects"])))
    return image_view(updated)


def snapshot(cloud, params, change):
    """The server's snapshot as the image, then what the options ask on top of what it came with."""
    made = image_view(cloud.controller.servers.snapshot(cloud.ctx, params["server"], params["name"]))
    follow_up = planned(cloud, dict(params, server=None, filename=None, url=None), made)
    if not follow_up.changed:
        return made
    return apply(cloud, dict(params, server=None), follow_up)


def main():
    module = cloud_module(ARGUMENT_SPEC, mutually_exclusive=[["filename", "url", "server"]])
    run_cloud_module(module, run)


if __name__ == "__main__":
    main()
