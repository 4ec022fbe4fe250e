"""Property-based tests (hypothesis) of address pools: inside the subnet, never the gateway,
network or broadcast address, complete, disjoint; allocation exhausts exactly the pools."""

from __future__ import annotations

import random
from collections.abc import Iterator

import netaddr  # type: ignore[import-untyped]  # netaddr 1.3 ships no type hints
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from stackling.allocation_errors import IpAddressExhausted
from stackling.clock import utcnow
from stackling.db import Database, upgrade
from stackling.db.models import Base
from stackling.errors import ValidationError
from stackling.ipam import FixedIpRequest, Ipam, IpamConfig
from stackling.ipam.pools import (
    Pool,
    address_text,
    check_pools,
    default_gateway,
    default_pools,
    scan_order,
    usable_range,
)


@st.composite
def networks(
    draw: st.DrawFn, v4_prefixes: tuple[int, int] = (8, 30), v6_prefixes: tuple[int, int] = (64, 126)
) -> netaddr.IPNetwork:
    if draw(st.booleans()):
        prefix = draw(st.integers(*v4_prefixes))
        value = draw(st.integers(0, 2**32 - 1))
        return netaddr.IPNetwork((value, prefix), version=4).cidr
    prefix = draw(st.integers(*v6_prefixes))
    value = draw(st.integers(0, 2**128 - 1))
    return netaddr.IPNetwork((value, prefix), version=6).cidr


@st.composite
def networks_and_gateways(draw: st.DrawFn) -> tuple[netaddr.IPNetwork, int | None]:
    network = draw(networks())
    first, last = usable_range(network)
    gateway = draw(st.one_of(st.none(), st.just(default_gateway(network)), st.integers(first, last)))
    return network, gateway


def forbidden(network: netaddr.IPNetwork, gateway: int | None) -> set[int]:
    out = {network.first} | ({gateway} if gateway is not None else set())
    if network.version == 4:
        out.add(network.last)
    return out


@given(networks_and_gateways())
def test_default_pools_are_the_usable_range_minus_the_gateway(case: tuple[netaddr.IPNetwork, int | None]) -> None:
    network, gateway = case
    pools = default_pools(network, gateway)
    for pool in pools:
        assert network.first <= pool.first <= pool.last <= network.last
        assert not forbidden(network, gateway) & {pool.first, pool.last}
        assert gateway is None or gateway not in pool
    for before, after in zip(pools, pools[1:]):
        assert before.last < after.first
    first, last = usable_range(network)
    expected = last - first + 1 - (1 if gateway is not None else 0)
    assert sum(pool.size for pool in pools) == expected


@given(networks_and_gateways(), st.data())
def test_explicit_pools_are_accepted_inside_and_refused_outside(
    case: tuple[netaddr.IPNetwork, int | None], data: st.DataObject
) -> None:
    network, gateway = case
    first, last = usable_range(network)
    start = data.draw(st.integers(first, last))
    end = data.draw(st.integers(start, min(last, start + 2**20)))
    text = (address_text(start, network.version), address_text(end, network.version))
    if gateway is not None and start <= gateway <= end:
        with pytest.raises(ValidationError, match="gateway"):
            check_pools(network, gateway, [text])
    else:
        assert check_pools(network, gateway, [text]) == [Pool(start, end, network.version)]
    outside = network.first if network.version == 4 else network.first  # network address (v4 and v6)
    with pytest.raises(ValidationError):
        check_pools(network, None, [(address_text(outside, network.version), text[1])])
    if network.version == 4:  # the broadcast address
        with pytest.raises(ValidationError):
            check_pools(network, None, [(text[0], address_text(network.last, 4))])


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 20)), min_size=1, max_size=5), st.data())
def test_scan_order_visits_every_pool_address_once(spans: list[tuple[int, int]], data: st.DataObject) -> None:
    pools, start = [], 0
    for gap, length in spans:
        pools.append(Pool(start + gap, start + gap + length, 4))
        start += gap + length + 1
    cursors = [data.draw(st.integers(p.first - 2, p.last + 2)) for p in pools]  # may be outside: reset to start
    visited = list(scan_order(pools, cursors))
    assert sorted(visited) == [a for p in pools for a in range(p.first, p.last + 1)]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    url = "sqlite:///%s" % (tmp_path_factory.mktemp("ipam") / "ipam.db")
    upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    network=networks(v4_prefixes=(27, 30), v6_prefixes=(123, 126)), auto_gateway=st.booleans(), seed=st.integers(0, 99)
)
def test_allocation_hands_out_each_pool_address_once_then_says_exhausted(
    store: Database, network: netaddr.IPNetwork, auto_gateway: bool, seed: int
) -> None:
    ipam = Ipam(IpamConfig(), utcnow, random.Random(seed))
    with store.write() as session:
        for table in reversed(Base.metadata.sorted_tables):  # a fresh store per example
            session.execute(table.delete())
        net = ipam.create_network(session, "p", "n")
        subnet = ipam.create_subnet(session, net.id, str(network), gateway_ip="auto" if auto_gateway else None)
    gateway = None if subnet.gateway_ip is None else int(netaddr.IPAddress(subnet.gateway_ip))
    pool_size = sum(pool.size for pool in default_pools(network, gateway))
    assume(pool_size > 0)
    taken = []
    request = [FixedIpRequest(subnet_id=subnet.id)]
    with store.write() as session:
        for _ in range(pool_size):
            taken.append(
                int(netaddr.IPAddress(ipam.create_port(session, net.id, fixed_ips=request).fixed_ips[0].ip_address))
            )
        with pytest.raises(IpAddressExhausted):
            ipam.create_port(session, net.id, fixed_ips=request)
    assert len(set(taken)) == pool_size
    assert all(network.first <= a <= network.last for a in taken)
    assert not set(taken) & forbidden(network, gateway)
