"""Server metadata as nova keeps it: a flat mapping of string keys (1-255 characters) to string
values (at most 255), 128 items at most (nova's metadata_items quota default)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from stackling.errors import ValidationError

MAX_ITEMS = 128
MAX_LENGTH = 255


def checked_metadata(value: Mapping[str, Any] | None) -> dict[str, str]:
    """``value`` as a plain dict of strings; ValidationError naming ``metadata`` otherwise."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError("metadata: expected a mapping of strings, got %r" % (value,), field="metadata")
    if len(value) > MAX_ITEMS:
        raise ValidationError("metadata: at most %d items, got %d" % (MAX_ITEMS, len(value)), field="metadata")
    checked: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_LENGTH:
            raise ValidationError("metadata: keys are strings of 1 to %d characters, got %r" % (MAX_LENGTH, key),
                                  field="metadata")  # fmt: skip
        if not isinstance(item, str) or len(item) > MAX_LENGTH:
            raise ValidationError("metadata %s: values are strings of at most %d characters, got %r"
                                  % (key, MAX_LENGTH, item), field="metadata")  # fmt: skip
        checked[key] = item
    return checked


def dump_metadata(value: Mapping[str, str]) -> str:
    return json.dumps(dict(value), sort_keys=True)


def load_metadata(text: str | None) -> dict[str, str]:
    loaded = json.loads(text or "{}")
    return {str(key): str(item) for key, item in loaded.items()}
