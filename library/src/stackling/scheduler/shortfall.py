"""Why a host's inventory cannot take a request: the words of "no valid host" for placement.

    shortfall(placement.inventories(session, host_uuid), {"MEMORY_MB": 512, "VCPU": 1})
    -> "MEMORY_MB: 512 wanted, 256 free of 2048"
"""

from __future__ import annotations

from collections.abc import Mapping

from stackling.placement.capacity import fits, unit_problem
from stackling.placement.types import Inventory

OTHER_CONSTRAINTS = "resources fit; its traits or aggregates do not match"


def shortfall(inventories: Mapping[str, Inventory], wanted: Mapping[str, int]) -> str:
    """Each requested resource class the host lacks, is out of, or can never give in that amount."""
    problems = [_problem(rc, amount, inventories.get(rc)) for rc, amount in sorted(wanted.items())]
    found = [problem for problem in problems if problem]
    return "; ".join(found) if found else OTHER_CONSTRAINTS


def _problem(resource_class: str, amount: int, inventory: Inventory | None) -> str:
    if inventory is None:
        return "no %s inventory" % resource_class
    spec = inventory.spec
    never = unit_problem(amount, spec.min_unit, spec.effective_max_unit, spec.step_size)
    if never:
        return "%s: %s" % (resource_class, never)
    if not fits(spec.total, spec.reserved, spec.allocation_ratio, inventory.used, amount):
        free = max(inventory.capacity - inventory.used, 0)
        return "%s: %d wanted, %d free of %d" % (resource_class, amount, free, inventory.capacity)
    return ""
