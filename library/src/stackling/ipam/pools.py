"""Address arithmetic of subnets (pure functions over netaddr; no database).

Rules, as in Neutron:
- a CIDR must be a network address (``10.0.0.5/24`` is refused, ``10.0.0.0/24`` suggested);
- the usable range is network + 1 .. broadcast - 1 for IPv4, network + 1 .. last for IPv6
  (the IPv6 network address is the subnet-router anycast address); subnets of one or two
  addresses (/32 /31, /128 /127) are point-to-point: every address is usable, no default gateway;
- the gateway defaults to the first usable address, must be usable, and is never in a pool;
- allocation pools default to the usable range minus the gateway, must lie inside the
  usable range, and must not overlap each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import netaddr  # type: ignore[import-untyped]  # netaddr 1.3 ships no type hints

from stackling.errors import ValidationError


@dataclass(frozen=True)
class Pool:
    """An inclusive range of addresses, as integers (with the IP version)."""

    first: int
    last: int
    version: int

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def __contains__(self, address: int) -> bool:
        return self.first <= address <= self.last

    def text(self) -> tuple[str, str]:
        return address_text(self.first, self.version), address_text(self.last, self.version)


def address_text(value: int, version: int) -> str:
    return str(netaddr.IPAddress(value, version))


def address_value(text: str) -> int:
    """The integer of an address already validated (e.g. read back from the database)."""
    return int(netaddr.IPAddress(text))


def parse_address(text: str, version: int | None = None, what: str = "address") -> netaddr.IPAddress:
    try:
        address = netaddr.IPAddress(text)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise ValidationError("%s %r is not an IP address" % (what, text)) from None
    if version is not None and address.version != version:
        raise ValidationError("%s %s is not an IPv%d address" % (what, text, version))
    return address


def parse_cidr(text: str, version: int | None = None) -> netaddr.IPNetwork:
    """The network ``text`` names; ValidationError unless it is exactly a network address."""
    try:
        network = netaddr.IPNetwork(text)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise ValidationError("%r is not a CIDR (e.g. 10.0.0.0/24 or 2001:db8::/64)" % (text,)) from None
    if "/" not in str(text):
        raise ValidationError("%r has no prefix length (e.g. %s/24)" % (text, text))
    if network.ip != network.network:
        raise ValidationError("%s is not a network address: %s is" % (text, network.cidr))
    if version is not None and network.version != version:
        raise ValidationError("%s is not an IPv%d network" % (text, version))
    return network.cidr


def usable_range(network: netaddr.IPNetwork) -> tuple[int, int]:
    """(first, last) usable address, as integers."""
    first, last = network.first, network.last
    if last - first <= 1:  # point-to-point
        return first, last
    return first + 1, last - (1 if network.version == 4 else 0)


def check_gateway(network: netaddr.IPNetwork, gateway: str) -> int:
    address = parse_address(gateway, network.version, "gateway")
    usable = usable_range(network)
    if address not in network:
        raise ValidationError("gateway %s is outside %s" % (gateway, network))
    if not usable[0] <= int(address) <= usable[1]:
        raise ValidationError("gateway %s is the network or broadcast address of %s" % (gateway, network))
    return int(address)


def default_gateway(network: netaddr.IPNetwork) -> int | None:
    """The first usable address (None for point-to-point subnets)."""
    if network.last - network.first <= 1:
        return None
    return usable_range(network)[0]


def default_pools(network: netaddr.IPNetwork, gateway: int | None) -> list[Pool]:
    """The usable range minus the gateway (Neutron's generate_pools)."""
    first, last = usable_range(network)
    ranges = [(first, last)]
    if gateway is not None and first <= gateway <= last:
        ranges = [(first, gateway - 1), (gateway + 1, last)]
    return [Pool(a, b, network.version) for a, b in ranges if a <= b]


def check_pools(network: netaddr.IPNetwork, gateway: int | None, ranges: Iterable[tuple[str, str]]) -> list[Pool]:
    """Explicit allocation pools ((start, end) text pairs), validated, in address order."""
    usable = usable_range(network)
    pools: list[Pool] = []
    for start_text, end_text in ranges:
        start = int(parse_address(start_text, network.version, "pool start"))
        end = int(parse_address(end_text, network.version, "pool end"))
        if start > end:
            raise ValidationError("allocation pool %s-%s: start is after end" % (start_text, end_text))
        if start < usable[0] or end > usable[1]:
            raise ValidationError(
                "allocation pool %s-%s is outside the usable addresses of %s" % (start_text, end_text, network)
            )
        if gateway is not None and start <= gateway <= end:
            raise ValidationError(
                "allocation pool %s-%s contains the gateway %s"
                % (start_text, end_text, address_text(gateway, network.version))
            )
        pools.append(Pool(start, end, network.version))
    pools.sort(key=lambda pool: pool.first)
    for before, after in zip(pools, pools[1:]):
        if after.first <= before.last:
            raise ValidationError("allocation pools %s-%s and %s-%s overlap" % (*before.text(), *after.text()))
    return pools


def scan_order(pools: Sequence[Pool], cursors: Sequence[int]) -> Iterator[int]:
    """Every pool address once: each pool from its cursor to its end, then from its start
    up to the cursor; pools in order. The allocator takes the first free one."""
    for pool, cursor in zip(pools, cursors):
        cursor = cursor if cursor in pool else pool.first
        yield from range(cursor, pool.last + 1)
        yield from range(pool.first, cursor)


def batches(addresses: Iterator[int], sizes: Iterable[int]) -> Iterator[list[int]]:
    """Consecutive chunks of ``addresses``, the n-th of length ``sizes[n]`` (the last size repeats)."""
    size = 1
    sizes_iter = iter(sizes)
    while True:
        size = next(sizes_iter, size)
        chunk = [address for _index, address in zip(range(size), addresses)]
        if not chunk:
            return
        yield chunk
