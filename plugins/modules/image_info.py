#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_info
short_description: List the Stackling images the caller may see
description:
  - Returns the public images, the images of the caller's project and the shared images the
    caller's project is a member of (a cloud admin sees every image).
  - An image the caller may not see is not shown (as in glance, it does not exist for the caller).
  - Reads only; never changes anything.
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
attributes:
  check_mode:
    description: The module only reads, so check mode changes nothing either.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
options:
  name:
    description:
      - Only this image (name or id). The caller's project's own image wins over others of that
        name. An image that does not exist (or is not visible) gives an empty list.
    type: str
  visibility:
    description:
      - Only images of this visibility.
    type: str
    choices: [private, shared, public]
"""

EXAMPLES = r"""
- name: Images I may boot
  stackling.cloud.image_info:
    cloud: web-member
  register: images

- name: The public images
  stackling.cloud.image_info:
    cloud: web-member
    visibility: public
"""

RETURN = r"""
images:
  description: The images, sorted by name (then id).
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Image id.", type: str}
    name: {description: "Image name.", type: str}
    project_id: {description: "Owner project id.", type: str}
    visibility: {description: "private, shared or public.", type: str}
    status: {description: "active once uploaded.", type: str}
    disk_format: {description: "qcow2 or raw.", type: str}
    size: {description: "File size in bytes.", type: int}
    virtual_size: {description: "Disk size in bytes.", type: int}
    checksum: {description: "sha256 of the file, hex.", type: str}
    md5: {description: "md5 of the file, hex.", type: str}
    min_disk: {description: "Minimum root disk in GiB.", type: int}
    min_ram: {description: "Minimum memory in MiB.", type: int}
    protected: {description: "Whether deleting is refused.", type: bool}
    properties: {description: "Properties.", type: dict}
    projects: {description: "Ids of the member projects.", type: list, elements: str}
    created_at: {description: "Creation time, ISO 8601 UTC.", type: str}
    updated_at: {description: "Last change, ISO 8601 UTC.", type: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_images import image_view
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import run_info_module

ARGUMENT_SPEC = {
    "name": {"type": "str"},
    "visibility": {"type": "str", "choices": ["private", "shared", "public"]},
}


def main():
    run_info_module(ARGUMENT_SPEC, "images", view=image_view, service=lambda cloud: cloud.controller.images,
                    keep=lambda params, image: params["visibility"] in (None, image.visibility))


if __name__ == "__main__":
    main()
