"""No duplicate IP or MAC across 10,000 port allocations made by 8 concurrent callers,
on SQLite and on PostgreSQL (one port, one MAC and one address per write transaction)."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import event, func, select

from stackling.clock import utcnow
from stackling.db import Database
from stackling.db import models as m
from stackling.ipam import Ipam, IpamConfig, PortInfo

THREADS = 8
PORTS = 10_000


@pytest.fixture()
def store(database: Database) -> Iterator[Database]:
    """The test database through an engine of its own; SQLite commits with synchronous=NORMAL
    (safe in WAL mode) so 10,000 transactions stay quick."""
    db = Database(database.url)
    if db.engine.dialect.name == "sqlite":

        @event.listens_for(db.engine, "connect")
        def _normal_sync(dbapi_connection: object, record: object) -> None:
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")  # type: ignore[attr-defined]

    yield db
    db.dispose()


def test_ten_thousand_concurrent_allocations_never_repeat_an_address_or_a_mac(store: Database) -> None:
    # 10,000 MACs from 24 random bits: a few collisions are expected (birthday bound) and retried.
    ipam = Ipam(IpamConfig(mac_retries=64), utcnow, random.Random(1234))
    with store.write() as session:
        net = ipam.create_network(session, "p", "big")
        ipam.create_subnet(session, net.id, "10.128.0.0/18")  # 16,381 addresses in the pool
    results: list[PortInfo] = []
    errors: list[BaseException] = []

    def caller(count: int) -> None:
        try:
            for _ in range(count):
                with store.write() as session:
                    results.append(ipam.create_port(session, net.id))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=caller, args=(PORTS // THREADS,)) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(results) == PORTS
    addresses = [port.fixed_ips[0].ip_address for port in results]
    assert len(set(addresses)) == PORTS
    assert len({port.mac_address for port in results}) == PORTS
    assert all(address.startswith("10.128.") and address not in ("10.128.0.0", "10.128.0.1") for address in addresses)
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(m.IpAllocation)) == PORTS
        assert session.scalar(select(func.count(func.distinct(m.Port.mac_address)))) == PORTS
