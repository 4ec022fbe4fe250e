"""The placement engine: providers, inventories, traits, aggregates, candidates and claims.

    placement = PlacementEngine(clock)
    with db.write() as session:
        rp = placement.create_provider(session, "cn1")
        placement.set_inventories(session, rp.uuid, {"VCPU": InventorySpec(16, allocation_ratio=4.0)})
    with db.read() as session:
        found = placement.allocation_candidates(session, AllocationRequest({"VCPU": 2}))
    with db.write() as session:
        placement.claim(session, ConsumerRef(server_id, project_id, user_id), {found[0].uuid: {"VCPU": 2}})

Every method works inside the caller's transaction (``db.read()`` / ``db.write()``), so a
claim can commit together with the quota reservation and the server record.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from stackling.clock import Clock
from stackling.placement.candidates import SUMMARY_CLASSES, allocation_candidates
from stackling.placement.claims import ClaimOps
from stackling.placement.providers import ProviderOps
from stackling.placement.tagging import AggregateOps, TraitOps
from stackling.placement.types import AllocationRequest, Candidate

DEFAULT_CLAIM_RETRIES = 10


class PlacementEngine(ProviderOps, TraitOps, AggregateOps, ClaimOps):
    def __init__(self, clock: Clock, claim_retries: int = DEFAULT_CLAIM_RETRIES) -> None:
        super().__init__(clock, claim_retries)

    def allocation_candidates(
        self, session: Session, request: AllocationRequest, summary_classes: Sequence[str] = SUMMARY_CLASSES
    ) -> list[Candidate]:
        return allocation_candidates(session, request, summary_classes)
