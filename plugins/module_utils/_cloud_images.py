# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the image and keypair cloud modules share: their views (plain dicts, never a private
key) and the local checks they make before the library is asked (file checksums, key files)."""

from __future__ import annotations

import hashlib

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import format_time
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

CHUNK = 1024 * 1024


def image_view(image):
    """An image as the modules return and compare it (sizes in bytes, ``projects``: member project ids)."""
    return {"id": image.id, "name": image.name, "project_id": image.project_id, "visibility": image.visibility,
            "status": image.status, "disk_format": image.disk_format, "size": image.size_bytes,
            "virtual_size": image.virtual_size_bytes, "checksum": image.checksum, "md5": image.md5,
            "min_disk": image.min_disk_gb, "min_ram": image.min_ram_mb, "protected": image.protected,
            "properties": dict(image.properties), "projects": sorted(image.projects),
            "created_at": format_time(image.created_at), "updated_at": format_time(image.updated_at)}


def keypair_view(keypair):
    """A keypair without its private key (that one is added to the result of the run that generated it)."""
    return {"id": keypair.id, "name": keypair.name, "user_id": keypair.user_id, "type": keypair.type,
            "public_key": keypair.public_key, "fingerprint": keypair.fingerprint,
            "created_at": format_time(keypair.created_at)}


def file_sha256(field, path):
    """sha256 (hex) and size of the local file ``path``; InvalidInput naming ``field`` when unreadable."""
    digest, size = hashlib.sha256(), 0
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
    except (IOError, OSError) as exc:
        raise InvalidInput(field, "cannot read %s: %s" % (path, exc.strerror or exc)) from None
    return digest.hexdigest(), size


def read_key_file(field, path):
    """The first non-empty line of a public key file."""
    try:
        with open(path) as handle:
            lines = [line.strip() for line in handle if line.strip()]
    except (IOError, OSError) as exc:
        raise InvalidInput(field, "cannot read %s: %s" % (path, exc.strerror or exc)) from None
    if len(lines) != 1:
        raise InvalidInput(field, "%s: expected one public key line, found %d" % (path, len(lines)))
    return lines[0]
