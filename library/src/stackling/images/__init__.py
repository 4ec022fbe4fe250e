"""Images (glance's): an on-disk store on the controller, qemu-img format checks, and the
policy-enforced image service (docs/images.md)."""

from stackling.images.inspect import DISK_FORMATS, DiskInfo, inspect_image
from stackling.images.service import ImageService, ImageSpec
from stackling.images.store import ImageStore, StagedFile
from stackling.images.types import VISIBILITIES, Image

__all__ = [
    "DISK_FORMATS",
    "DiskInfo",
    "Image",
    "ImageService",
    "ImageSpec",
    "ImageStore",
    "StagedFile",
    "VISIBILITIES",
    "inspect_image",
]
