"""Ports: a MAC address plus fixed IPs from the network's subnets.

No address or MAC is ever handed out twice, even to concurrent callers:
- ``ip_allocations`` has the primary key (subnet_id, address) and ``ports.mac_address`` is
  unique, so the database refuses a duplicate whatever the code does;
- a free address is searched under the subnet's pool rows, locked (``FOR UPDATE`` on
  PostgreSQL; SQLite serialises writers), from each pool's cursor: the address at the cursor
  first, then batches checked against ``ip_allocations``; a candidate is taken with
  ``INSERT ... ON CONFLICT DO NOTHING`` (nothing inserted means someone has it: keep
  searching) and the cursor moves past it, so the next search usually succeeds at once and a
  released address is reused only after the pool wraps;
- a MAC is the configured prefix plus three random octets, inserted the same way and drawn
  again when the unique constraint says it is taken (``ipam.mac_retries`` times).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from stackling.allocation_errors import IpAddressExhausted, IpAddressInUse, MacAddressExhausted
from stackling.db.engine import ensure_write_transaction, is_sqlite
from stackling.db.models.base import new_id
from stackling.errors import Conflict, NotFound, ValidationError
from stackling.ipam.mac import normalize_mac, random_mac
from stackling.ipam.networks import IpamBase
from stackling.ipam.pools import (
    Pool,
    address_text,
    address_value,
    batches,
    parse_address,
    parse_cidr,
    scan_order,
    usable_range,
)
from stackling.ipam.types import FixedIp, FixedIpRequest, PortInfo
from stackling.sql import insert_unless_taken, rowcount, table

MAX_SCAN = 1 << 17  # addresses examined per allocation before a pool counts as exhausted
BATCH_SIZES = (16, 256)  # after the cursor's address: a small batch, then large ones
ROUTER_OWNERS = ("network:router_interface", "network:router_gateway")

_net = table("networks")
_subnets = table("subnets")
_pools = table("subnet_allocation_pools")
_ports = table("ports")
_ips = table("ip_allocations")

# Statements of the allocation path, built once (values are bound parameters).
_NETWORK_AND_SUBNETS = (  # one row per subnet (one row of NULLs if none): owner and subnets in one round trip
    select(_net.c.project_id, _subnets.c.id, _subnets.c.ip_version, _subnets.c.cidr, _subnets.c.gateway_ip)
    .select_from(_net.outerjoin(_subnets, _subnets.c.network_id == _net.c.id))
    .where(_net.c.id == bindparam("network_id"))
    .order_by(_subnets.c.created_at, _subnets.c.id)
)
_SUBNETS_OF = (
    select(_subnets.c.id, _subnets.c.ip_version, _subnets.c.cidr, _subnets.c.gateway_ip)
    .where(_subnets.c.network_id == bindparam("network_id"))
    .order_by(_subnets.c.created_at, _subnets.c.id)
)
_POOLS = (
    select(_pools.c.id, _pools.c.first_ip, _pools.c.last_ip, _pools.c.next_ip)
    .where(_pools.c.subnet_id == bindparam("subnet_id"))
    .order_by(_pools.c.id)
)
_POOLS_LOCKED = _POOLS.with_for_update()
_TAKEN = select(_ips.c.address).where(
    _ips.c.subnet_id == bindparam("subnet_id"), _ips.c.address.in_(bindparam("addresses", expanding=True))
)
_ADVANCE = update(_pools).where(_pools.c.id == bindparam("pool_id")).values(next_ip=bindparam("cursor"))


class PortOps(IpamBase):
    def create_port(
        self,
        session: Session,
        network_id: str,
        project_id: str | None = None,
        fixed_ips: Sequence[FixedIpRequest] | None = None,
        mac_address: str | None = None,
        name: str = "",
        device_id: str = "",
        device_owner: str = "",
    ) -> PortInfo:
        """A port with a unique MAC and its fixed IPs. ``fixed_ips`` None: one address from the
        first IPv4 subnet with room and one from the first IPv6 subnet with room; []: none."""
        ensure_write_transaction(session)
        rows = session.connection().execute(_NETWORK_AND_SUBNETS, {"network_id": network_id}).all()
        if not rows:
            raise NotFound("network", network_id)
        subnets = [row[1:] for row in rows if row[1] is not None]
        port: dict[str, Any] = {"id": new_id(), "network_id": network_id, "project_id": project_id or rows[0][0], "name": name,
                                "device_id": device_id, "device_owner": device_owner, "created_at": self._clock()}  # fmt: skip
        port["mac_address"] = self._insert_port(session, port, mac_address)
        allow_gateway = device_owner in ROUTER_OWNERS
        fixed: list[FixedIp] = []
        if fixed_ips is None:
            for version in (4, 6):
                candidates = [s for s in subnets if s[1] == version]
                if candidates:
                    fixed.append(self._allocate_any_of(session, candidates, port["id"]))
        else:
            for wanted in fixed_ips:
                fixed.append(self._allocate_requested(session, subnets, wanted, port["id"], allow_gateway))
        return PortInfo(
            port["id"], network_id, port["project_id"], name, port["mac_address"], device_id, device_owner, tuple(fixed)
        )

    def get_port(self, session: Session, port_id: str) -> PortInfo:
        row = session.connection().execute(select(_ports).where(_ports.c.id == port_id)).first()
        if row is None:
            raise NotFound("port", port_id)
        ips = session.connection().execute(
            select(_ips.c.subnet_id, _ips.c.address)
            .join(_subnets, _subnets.c.id == _ips.c.subnet_id)
            .where(_ips.c.port_id == port_id)
            .order_by(_subnets.c.ip_version, _subnets.c.created_at, _subnets.c.id, _ips.c.address)
        )
        return PortInfo(
            row.id, row.network_id, row.project_id, row.name, row.mac_address, row.device_id, row.device_owner,
            tuple(FixedIp(subnet_id, address) for subnet_id, address in ips),
        )  # fmt: skip

    def delete_port(self, session: Session, port_id: str) -> None:
        """Delete a port: its MAC and addresses are free again."""
        ensure_write_transaction(session)
        session.connection().execute(delete(_ips).where(_ips.c.port_id == port_id))
        if rowcount(session, delete(_ports).where(_ports.c.id == port_id)) != 1:
            raise NotFound("port", port_id)

    def release_ip(self, session: Session, port_id: str, ip_address: str) -> None:
        """Take one fixed IP off a port (the address is free again)."""
        ensure_write_transaction(session)
        address = str(parse_address(ip_address))
        if rowcount(session, delete(_ips).where(_ips.c.port_id == port_id, _ips.c.address == address)) != 1:
            raise NotFound("fixed IP %s of port" % address, port_id)

    def add_fixed_ip(self, session: Session, port_id: str, wanted: FixedIpRequest) -> FixedIp:
        ensure_write_transaction(session)
        port = self.get_port(session, port_id)
        return self._allocate_requested(
            session, _subnets_of(session, port.network_id), wanted, port_id, port.device_owner in ROUTER_OWNERS
        )

    # --- MAC -----------------------------------------------------------------------------------------
    def _insert_port(self, session: Session, port: dict[str, Any], mac_address: str | None) -> str:
        tries = 1 if mac_address is not None else self.config.mac_retries
        for _attempt in range(tries):
            mac = (
                normalize_mac(mac_address) if mac_address is not None else random_mac(self.config.mac_prefix, self.rng)
            )
            if insert_unless_taken(session, "ports", ("mac_address",), {**port, "mac_address": mac}):
                return mac
            if mac_address is not None:
                raise Conflict("MAC address %s is in use" % mac)
        raise MacAddressExhausted(
            "no unused MAC address with prefix %s after %d draws" % (self.config.mac_prefix, tries)
        )

    # --- fixed IPs -----------------------------------------------------------------------------------
    def _allocate_requested(
        self, session: Session, subnets: Sequence[Any], wanted: FixedIpRequest, port_id: str, allow_gateway: bool
    ) -> FixedIp:
        if wanted.subnet_id is not None:
            subnet = next((s for s in subnets if s[0] == wanted.subnet_id), None)
            if subnet is None:
                raise ValidationError("subnet %s is not on the port's network" % wanted.subnet_id)
        elif wanted.ip_address is not None:
            address = parse_address(wanted.ip_address)
            subnet = next((s for s in subnets if address in parse_cidr(s[2])), None)
            if subnet is None:
                raise ValidationError("no subnet of the port's network contains %s" % wanted.ip_address)
        else:
            raise ValidationError("a fixed IP request needs a subnet, an address or both")
        if wanted.ip_address is None:
            return self._allocate_any_of(session, [subnet], port_id)
        return self._allocate_exact(session, subnet, wanted.ip_address, port_id, allow_gateway)

    def _allocate_exact(
        self, session: Session, subnet: Any, ip_address: str, port_id: str, allow_gateway: bool
    ) -> FixedIp:
        subnet_id, version, cidr, gateway = subnet
        network = parse_cidr(cidr)
        address = parse_address(ip_address, version)
        first, last = usable_range(network)
        if address not in network or not first <= int(address) <= last:
            raise ValidationError("%s is not a usable address of %s" % (ip_address, cidr))
        if gateway is not None and str(address) == gateway and not allow_gateway:
            raise IpAddressInUse("%s is the gateway of %s" % (ip_address, cidr))
        self._lock_pools(session, subnet_id)
        if not self._try_insert(session, subnet_id, str(address), port_id):
            raise IpAddressInUse("%s is in use on subnet %s" % (address, cidr))
        return FixedIp(subnet_id, str(address))

    def _allocate_any_of(self, session: Session, subnets: Sequence[Any], port_id: str) -> FixedIp:
        for subnet in subnets:
            found = self._allocate_any(session, subnet, port_id)
            if found is not None:
                return found
        raise IpAddressExhausted(
            "no free address in the allocation pools of %s" % ", ".join(subnet[2] for subnet in subnets)
        )

    def _allocate_any(self, session: Session, subnet: Any, port_id: str) -> FixedIp | None:
        subnet_id, version = subnet[0], subnet[1]
        rows = self._lock_pools(session, subnet_id)
        pools = [Pool(address_value(first), address_value(last), version) for _pool_id, first, last, _next_ip in rows]
        cursors = [address_value(next_ip) for _pool_id, _first, _last, next_ip in rows]
        order = scan_order(pools, cursors)
        first = next(order, None)  # the cursor's address: nearly always free, so no lookup first
        if first is None:
            return None
        if self._try_insert(session, subnet_id, address_text(first, version), port_id):
            self._advance(session, rows, pools, first)
            return FixedIp(subnet_id, address_text(first, version))
        scanned = 1
        for batch in batches(order, BATCH_SIZES):
            texts = [address_text(value, version) for value in batch]
            taken = set(session.connection().execute(_TAKEN, {"subnet_id": subnet_id, "addresses": texts}).scalars())
            for value, text in zip(batch, texts):
                if text not in taken and self._try_insert(session, subnet_id, text, port_id):
                    self._advance(session, rows, pools, value)
                    return FixedIp(subnet_id, text)
            scanned += len(batch)
            if scanned >= MAX_SCAN:
                break
        return None

    def _lock_pools(self, session: Session, subnet_id: str) -> list[Any]:
        query = _POOLS if is_sqlite(session) else _POOLS_LOCKED
        return list(session.connection().execute(query, {"subnet_id": subnet_id}).all())

    def _try_insert(self, session: Session, subnet_id: str, address: str, port_id: str) -> bool:
        values = {"subnet_id": subnet_id, "address": address, "port_id": port_id}
        return insert_unless_taken(session, "ip_allocations", ("subnet_id", "address"), values)

    def _advance(self, session: Session, rows: Sequence[Any], pools: Sequence[Pool], taken: int) -> None:
        for row, pool in zip(rows, pools):
            if taken in pool:
                following = taken + 1 if taken < pool.last else pool.first
                session.connection().execute(
                    _ADVANCE, {"pool_id": row[0], "cursor": address_text(following, pool.version)}
                )
                return


def _subnets_of(session: Session, network_id: str) -> list[Any]:
    """(id, ip_version, cidr, gateway_ip) of the network's subnets, oldest first."""
    return list(session.connection().execute(_SUBNETS_OF, {"network_id": network_id}).all())
