# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of object names that end up in file paths, device names and XML."""

from __future__ import annotations

import re

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

# Letters, digits and . _ : + - ; no leading dot or dash. This keeps names safe as
# file names (no "/"), as XML text (no < & or quotes) and as command arguments.
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:+-]*$")


def validate_name(field, value, max_length=64):
    """Raise InvalidInput naming ``field`` unless ``value`` is a safe object name."""
    if not value:
        raise InvalidInput(field, "must not be empty")
    if len(value) > max_length:
        raise InvalidInput(field, "%r is longer than %d characters" % (value, max_length))
    if not _NAME_RE.match(value):
        raise InvalidInput(
            field,
            "%r is not a valid name: use letters, digits and . _ : + - only "
            "(no '/', spaces, '<', '&' or quotes), not starting with '.' or '-'" % (value,),
        )
    return value
