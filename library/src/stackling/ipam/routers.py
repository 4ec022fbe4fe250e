"""Subnet overlap rules: overlapping CIDRs are fine across projects and routers (each router
has its own namespace), but one router cannot route between overlapping subnets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from stackling.allocation_errors import SubnetOverlap
from stackling.ipam.pools import parse_cidr


class SubnetLike(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def cidr(self) -> str: ...


def overlaps(first: str, second: str) -> bool:
    a, b = parse_cidr(first), parse_cidr(second)
    return bool(a.version == b.version and a.first <= b.last and b.first <= a.last)


def check_router_subnets(subnets: Iterable[SubnetLike]) -> None:
    """SubnetOverlap naming the first two overlapping subnets among those one router would
    connect (its interfaces' subnets plus the one being added)."""
    seen: list[SubnetLike] = []
    for subnet in subnets:
        for other in seen:
            if overlaps(subnet.cidr, other.cidr):
                raise SubnetOverlap(
                    "%s (%s)" % (other.id, other.cidr), "%s (%s)" % (subnet.id, subnet.cidr),
                    "a router cannot connect overlapping subnets",
                )  # fmt: skip
        seen.append(subnet)
