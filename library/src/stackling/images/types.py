"""What the image service returns: plain frozen records, never ORM rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

VISIBILITIES = ("private", "shared", "public")


@dataclass(frozen=True)
class Image:
    """An image. ``project_id`` owns it; ``projects`` are the member projects of a shared image
    (kept when the visibility changes, effective only while it is ``shared``)."""

    id: str
    name: str
    project_id: str
    visibility: str
    status: str
    disk_format: str
    size_bytes: int
    virtual_size_bytes: int
    checksum: str  # sha256, hex
    md5: str
    min_disk_gb: int
    min_ram_mb: int
    protected: bool
    properties: Mapping[str, str]
    projects: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
