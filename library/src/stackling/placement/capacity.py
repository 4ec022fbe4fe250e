"""Capacity arithmetic, exactly as placement does it (and as the SQL in candidates/claims does).

capacity = int((total - reserved) * allocation_ratio); an amount fits when
used + amount <= capacity, min_unit <= amount <= max_unit and amount % step_size == 0.
The SQL compares ``used + amount <= (total - reserved) * allocation_ratio`` in double
precision, which is the same test (the left side is an integer).
"""

from __future__ import annotations

import math

from stackling.errors import ValidationError


def capacity(total: int, reserved: int, allocation_ratio: float) -> int:
    return int((total - reserved) * allocation_ratio)


def unit_problem(amount: int, min_unit: int, max_unit: int, step_size: int) -> str | None:
    """Why ``amount`` can never be allocated from this inventory, or None."""
    if amount < min_unit:
        return "%d is below min_unit %d" % (amount, min_unit)
    if amount > max_unit:
        return "%d is above max_unit %d" % (amount, max_unit)
    if amount % step_size:
        return "%d is not a multiple of step_size %d" % (amount, step_size)
    return None


def fits(total: int, reserved: int, allocation_ratio: float, used: int, amount: int) -> bool:
    return used + amount <= (total - reserved) * allocation_ratio


def validate_inventory_numbers(
    total: int, reserved: int, min_unit: int, max_unit: int, step_size: int, allocation_ratio: float
) -> None:
    """ValidationError unless the numbers make a usable inventory (placement's schema rules)."""
    for name, value, low in (
        ("total", total, 1),
        ("reserved", reserved, 0),
        ("min_unit", min_unit, 1),
        ("max_unit", max_unit, 1),
        ("step_size", step_size, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValidationError("inventory %s: expected an integer >= %d, got %r" % (name, low, value))
    if reserved > total:
        raise ValidationError("inventory reserved %d exceeds total %d" % (reserved, total))
    if max_unit < min_unit:
        raise ValidationError("inventory max_unit %d is below min_unit %d" % (max_unit, min_unit))
    if isinstance(allocation_ratio, bool) or not isinstance(allocation_ratio, (int, float)):
        raise ValidationError("inventory allocation_ratio: expected a number, got %r" % (allocation_ratio,))
    if not math.isfinite(allocation_ratio) or allocation_ratio <= 0:
        raise ValidationError("inventory allocation_ratio must be > 0, got %r" % (allocation_ratio,))
