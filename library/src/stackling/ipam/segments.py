"""The VXLAN VNI pool: the lowest free VNI of the configured ranges, found by one query per
range (a gap search over the allocated ids), made unique by the ``networks`` unique constraint
(a concurrent taker of the same VNI makes the insert fail and the caller retry)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from stackling.sql import table

VXLAN = "vxlan"
_net = table("networks")


def lowest_free_vni(session: Session, ranges: Sequence[tuple[int, int]]) -> int | None:
    """The lowest VNI inside ``ranges`` that no network uses, or None if all are taken."""
    conn = session.connection()
    for low, high in ranges:
        low_taken = conn.execute(
            select(_net.c.id).where(
                _net.c.network_type == VXLAN, _net.c.physical_network == "", _net.c.segmentation_id == low
            )
        ).first()
        if low_taken is None:
            return low
        after = _net.c.segmentation_id + 1
        other = _net.alias("other")
        gap = conn.execute(
            select(func.min(after)).where(
                _net.c.network_type == VXLAN,
                _net.c.physical_network == "",
                _net.c.segmentation_id >= low,
                _net.c.segmentation_id < high,
                ~exists().where(
                    other.c.network_type == VXLAN, other.c.physical_network == "", other.c.segmentation_id == after
                ),
            )
        ).scalar()
        if gap is not None:
            return int(gap)
    return None
