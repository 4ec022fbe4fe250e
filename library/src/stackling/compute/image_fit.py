"""Whether an image fits a server's size: its minimums and its virtual size against the flavor's."""

from __future__ import annotations

from stackling.errors import ValidationError
from stackling.images.types import Image

GIB = 1 << 30


def check_image_fits(image: Image, flavor: str, ram_mb: int, disk_gb: int, field: str) -> None:
    """ValidationError naming ``field`` when ``image`` needs more than flavor ``flavor`` (its ram_mb,
    and its root disk ``disk_gb``; 0 is the image's own size) gives: min_disk, min_ram, or a virtual
    size larger than the root disk."""
    if disk_gb:
        if image.min_disk_gb > disk_gb:
            raise ValidationError("flavor %s has a %d GiB root disk; image %s needs at least %d GiB (min_disk)"
                                  % (flavor, disk_gb, image.name, image.min_disk_gb), field=field)  # fmt: skip
        image_gb = -(-image.virtual_size_bytes // GIB)
        if image_gb > disk_gb:
            raise ValidationError("flavor %s has a %d GiB root disk; image %s is %d GiB (virtual size)"
                                  % (flavor, disk_gb, image.name, image_gb), field=field)  # fmt: skip
    if image.min_ram_mb > ram_mb:
        raise ValidationError("flavor %s has %d MiB of RAM; image %s needs at least %d MiB (min_ram)"
                              % (flavor, ram_mb, image.name, image.min_ram_mb), field=field)  # fmt: skip
