"""Parallel claims never oversubscribe: 1,000 claims from 16 threads on 100 providers, on
SQLite and on PostgreSQL, end with every provider within (total - reserved) x ratio and the
recorded usage equal to the sum of the allocations."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import event, func, select

from stackling.allocation_errors import CapacityExceeded
from stackling.clock import utcnow
from stackling.db import Database
from stackling.db import models as m
from stackling.placement import ConsumerRef, InventorySpec, PlacementEngine
from stackling.placement.types import ProviderSpec

THREADS = 16
CLAIMS = 1000
PROVIDERS = 100
# capacity (4 - 0) x 2.0 = 8 VCPU and (4096 - 512) x 1.0 = 3584 MB: 1,000 claims of 1 VCPU and
# 256 MB cannot all fit in 100 x 8 = 800 VCPU, so the cloud fills up while threads race.
INVENTORY = {
    "VCPU": InventorySpec(4, allocation_ratio=2.0, max_unit=8),
    "MEMORY_MB": InventorySpec(4096, reserved=512),
}
CLAIM = {"VCPU": 1, "MEMORY_MB": 256}


@pytest.fixture()
def store(database: Database) -> Iterator[Database]:
    """The test database through an engine of its own; SQLite commits with synchronous=NORMAL
    (safe in WAL mode: a power cut may lose the last commits, never corrupt) to keep this fast."""
    db = Database(database.url)
    if db.engine.dialect.name == "sqlite":

        @event.listens_for(db.engine, "connect")
        def _normal_sync(dbapi_connection: object, record: object) -> None:
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")  # type: ignore[attr-defined]

    yield db
    db.dispose()


def test_parallel_claims_never_oversubscribe(store: Database) -> None:
    placement = PlacementEngine(utcnow)
    with store.write() as session:
        providers = placement.create_providers(
            session, [ProviderSpec("cn%03d" % i, INVENTORY) for i in range(PROVIDERS)]
        )
    uuids = [provider.uuid for provider in providers]
    claimed: list[int] = []
    refused: list[int] = []
    errors: list[BaseException] = []
    counter = iter(range(CLAIMS))
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            try:
                with store.write() as session:
                    placement.claim(session, ConsumerRef("vm%04d" % index, "p", "u"), {rng.choice(uuids): CLAIM})
                claimed.append(index)
            except CapacityExceeded:
                refused.append(index)
            except BaseException as exc:  # any other failure fails the test below
                errors.append(exc)
                return

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(claimed) + len(refused) == CLAIMS
    assert refused, "the cloud should have filled up"
    with store.read() as session:
        rows = session.execute(
            select(m.Inventory.resource_class, m.Inventory.used, m.Inventory.total, m.Inventory.reserved,
                   m.Inventory.allocation_ratio)
        ).all()  # fmt: skip
        for resource_class, used, total, reserved, ratio in rows:
            assert used <= (total - reserved) * ratio, resource_class
        assert placement.verify_usages(session) == []
        allocated = session.scalar(
            select(func.count()).select_from(m.Allocation).where(m.Allocation.resource_class == "VCPU")
        )
        total_vcpu = session.scalar(select(func.sum(m.Inventory.used)).where(m.Inventory.resource_class == "VCPU"))
    assert allocated == len(claimed) == total_vcpu
