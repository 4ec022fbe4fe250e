"""MAC addresses: generated ones are the configured prefix (Neutron's ``fa:16:3e``) plus three
random octets; uniqueness is the ``ports.mac_address`` unique constraint's job."""

from __future__ import annotations

import random
import re

from stackling.errors import ValidationError

_MAC = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")


def random_mac(prefix: str, rng: random.Random) -> str:
    return "%s:%02x:%02x:%02x" % (prefix, rng.randrange(256), rng.randrange(256), rng.randrange(256))


def normalize_mac(text: str) -> str:
    """Lowercase colon form; ValidationError for anything else, a multicast or the zero address."""
    mac = text.strip().lower().replace("-", ":")
    if not _MAC.match(mac):
        raise ValidationError("%r is not a MAC address (like fa:16:3e:12:34:56)" % (text,))
    if int(mac[:2], 16) & 1:
        raise ValidationError("%s is a multicast MAC address" % mac)
    if mac == "00:00:00:00:00:00":
        raise ValidationError("00:00:00:00:00:00 is not a usable MAC address")
    return mac
