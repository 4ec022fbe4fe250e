# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sizes with units, parsed the way libvirt reads them.

Binary units (K, KiB, M, MiB, G, GiB, T, TiB) are powers of 1024; decimal units
(KB, MB, GB, TB) are powers of 1000; a bare number is bytes unless the caller
names another default unit.
"""

from __future__ import annotations

import re

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

_MULTIPLIERS = {
    "": 1, "B": 1, "BYTES": 1,
    "K": 1024, "KIB": 1024, "KB": 1000,
    "M": 1024 ** 2, "MIB": 1024 ** 2, "MB": 1000 ** 2,
    "G": 1024 ** 3, "GIB": 1024 ** 3, "GB": 1000 ** 3,
    "T": 1024 ** 4, "TIB": 1024 ** 4, "TB": 1000 ** 4,
    "P": 1024 ** 5, "PIB": 1024 ** 5, "PB": 1000 ** 5,
}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


def parse_size(field, value, default_unit="B"):
    """Return ``value`` (int or string such as ``'10G'``, ``'512 MiB'``) in bytes.

    Raises InvalidInput naming ``field`` for negative, fractional-byte or unknown-unit values.
    """
    if isinstance(value, bool):
        raise InvalidInput(field, "expected a size such as 10G or 512MiB, got %r" % (value,))
    if isinstance(value, int):
        value = str(value)
    match = _SIZE_RE.match(str(value))
    if not match:
        raise InvalidInput(field, "expected a non-negative size such as 10G or 512MiB, got %r" % (value,))
    number, unit = match.group(1), (match.group(2) or default_unit).upper()
    if unit not in _MULTIPLIERS:
        raise InvalidInput(field, "unknown size unit %r; use B, K/KiB, M/MiB, G/GiB, T/TiB or KB/MB/GB/TB" % (match.group(2),))
    size = float(number) * _MULTIPLIERS[unit]
    if size != int(size):
        raise InvalidInput(field, "%r is not a whole number of bytes" % (value,))
    return int(size)


def format_size(num_bytes):
    """Human-readable binary size for messages and diffs (``10.0 GiB``)."""
    size = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return ("%d %s" % (size, unit)) if unit == "B" else ("%.1f %s" % (size, unit))
        size /= 1024
    return "%d B" % num_bytes  # pragma: no cover - loop always returns
