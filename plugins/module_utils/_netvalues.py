# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation and normalisation of network values: interface names, MACs and IP addresses.

Each function raises InvalidInput naming the option, and returns the canonical text form
(lower-case MAC with colons, compressed IP addresses) so values compare as the kernel
reports them.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

IFNAME_MAX = 15  # IFNAMSIZ - 1
_MAC_RE = re.compile(r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")


def validate_ifname(field, value):
    """A Linux interface name: 1-15 characters, no '/', ':' or whitespace, not '.' or '..'."""
    if not value:
        raise InvalidInput(field, "must not be empty")
    if len(value) > IFNAME_MAX:
        raise InvalidInput(field, "%r is longer than %d characters, the Linux limit for interface names" % (value, IFNAME_MAX))
    if value in (".", "..") or re.search(r"[/:\s]", value):
        raise InvalidInput(field, "%r is not a valid interface name: no '/', ':' or whitespace, not '.' or '..'" % (value,))
    return value


def normalise_mac(field, value):
    """``02-AB-...`` or ``02:ab:...`` as lower-case colon-separated text."""
    if not isinstance(value, str) or not _MAC_RE.match(value):
        raise InvalidInput(field, "%r is not a MAC address like 02:00:0a:e9:00:01" % (value,))
    return value.lower().replace("-", ":")


def is_group_mac(mac):
    """All-zeros (the VXLAN default destination) or multicast/broadcast: may have several remotes."""
    return mac == "00:00:00:00:00:00" or int(mac.split(":")[0], 16) & 1 == 1


def parse_ip(field, value):
    """An IPv4 or IPv6 address (no prefix) as an ipaddress object."""
    try:
        return ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise InvalidInput(field, "%r is not an IPv4 or IPv6 address" % (value,))


def parse_interface(field, value):
    """An address with its prefix length, e.g. ``10.233.0.1/24`` or ``fd00::1/64``."""
    text = str(value).strip()
    if "/" not in text:
        raise InvalidInput(field, "%r has no prefix length: write it in CIDR notation, e.g. 10.233.0.1/24" % (value,))
    try:
        return ipaddress.ip_interface(text)
    except ValueError:
        raise InvalidInput(field, "%r is not a valid CIDR address such as 10.233.0.1/24 or fd00::1/64" % (value,))


def parse_network(field, value):
    """A destination network; host bits must be zero. A bare address is a host route (/32, /128)."""
    try:
        return ipaddress.ip_network(str(value).strip(), strict=True)
    except ValueError as exc:
        if "has host bits set" in str(exc):
            fixed = ipaddress.ip_network(str(value).strip(), strict=False)
            raise InvalidInput(field, "%r has host bits set; did you mean %s?" % (value, fixed))
        raise InvalidInput(field, "%r is not a valid CIDR network such as 10.233.0.0/24 or 'default'" % (value,))
