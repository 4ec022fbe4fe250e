"""Time as a value passed in: every component that needs "now" takes a Clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The production clock: an aware datetime in UTC."""
    return datetime.now(timezone.utc)
