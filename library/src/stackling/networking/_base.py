"""What the networking services share: the store, the policy, the IPAM engine, the quotas, and
the visibility rules (Neutron's): a project's resources are seen by its readers and by cloud
admins; shared and external networks (and their subnets) by anyone with a role. What a caller
may not see does not exist for them (NotFound, never "forbidden"), so ids do not leak."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.compute._base import PolicyService
from stackling.context import Context
from stackling.db import Database
from stackling.db import models as m
from stackling.errors import Conflict, NotFound, ValidationError
from stackling.identity import lookup
from stackling.ipam import Ipam
from stackling.policy import Enforcer
from stackling.quota import QuotaEngine

Row = TypeVar("Row", m.Network, m.Subnet, m.Port, m.Router)
Found = TypeVar("Found")
SHOWN = 5  # users named in an "in use" message
MAX_NAME = 255
# Ports the cloud makes for itself on external networks: shown to cloud admins only.
INTERNAL_OWNERS = ("network:floatingip", "network:router_gateway")
ROUTER_INTERFACE = "network:router_interface"
ROUTER_GATEWAY = "network:router_gateway"


def check_name(kind: str, name: str) -> str:
    if not isinstance(name, str) or len(name) > MAX_NAME:
        raise ValidationError("a %s name must have at most 255 characters" % kind, field="name")
    return name


def describe_port(row: m.Port) -> str:
    """What a port is, for "in use" messages."""
    if row.device_owner == ROUTER_INTERFACE:
        return "interface of router %s (port %s)" % (row.device_id, row.id)
    if row.device_owner == ROUTER_GATEWAY:
        return "gateway of router %s (port %s)" % (row.device_id, row.id)
    if row.device_owner == "network:floatingip":
        return "floating IP %s" % row.device_id
    owner = " of %s %s" % (row.device_owner or "device", row.device_id) if row.device_id else ""
    return "port %s%s" % (row.id, owner)


def describe_users(what: Sequence[str]) -> str:
    more = " and %d more" % (len(what) - SHOWN) if len(what) > SHOWN else ""
    return ", ".join(what[:SHOWN]) + more


@contextmanager
def field_of(name: str) -> Iterator[None]:
    """A ValidationError raised inside (IPAM's do not know the caller's option names) names ``name``."""
    try:
        yield
    except ValidationError as exc:
        if exc.field is not None:
            raise
        raise ValidationError("%s: %s" % (name, exc), field=name) from None


def project_target(project_id: str) -> dict[str, Any]:
    return {"project_id": project_id}


class NetworkingBase(PolicyService):
    def __init__(self, db: Database, enforcer: Enforcer, ipam: Ipam, quotas: QuotaEngine) -> None:
        super().__init__(db, enforcer)
        self.ipam = ipam
        self.quotas = quotas

    # --- who owns what -------------------------------------------------------------------------------
    def _owner(self, ctx: Context, session: Session, project: str | None) -> str:
        """The project a new resource belongs to: the caller's, or ``project`` (name or id; the
        create rule then decides whether the caller may create there)."""
        if project is None:
            if ctx.project_id is None:
                raise ValidationError("networking resources belong to a project: use a project-scoped token")
            return ctx.project_id
        return lookup.project_row(session, project).id

    def _may(self, ctx: Context, action: str, project_id: str) -> bool:
        return self._enforcer.check(action, project_target(project_id), ctx)

    def _network_visible(self, ctx: Context, row: m.Network) -> bool:
        if self._may(ctx, "network:get_network", row.project_id):
            return True
        target = {"project_id": row.project_id, "shared": row.shared, "external": row.external}
        return (row.shared or row.external) and self._enforcer.check("network:get_shared_network", target, ctx)

    def _subnet_visible(self, ctx: Context, session: Session, row: m.Subnet) -> bool:
        if self._may(ctx, "network:get_subnet", row.project_id):
            return True
        network = session.get(m.Network, row.network_id)
        return network is not None and self._network_visible(ctx, network) and (network.shared or network.external)

    def _port_visible(self, ctx: Context, row: m.Port) -> bool:
        if row.device_owner in INTERNAL_OWNERS:
            return self._enforcer.check("network:get_internal_port", project_target(row.project_id), ctx)
        return self._may(ctx, "network:get_port", row.project_id)

    # --- finding by id or name -----------------------------------------------------------------------
    def _lookup(
        self,
        ctx: Context,
        session: Session,
        model: type[Row],
        kind: str,
        ref: str,
        visible: Callable[[Row], bool],
        project_id: str | None = None,
    ) -> Row | None:
        """The ``model`` row with id ``ref``, or the one named ``ref`` among those the caller sees
        (those of ``project_id``, default the caller's project, first); None if there is none."""
        row = session.get(model, ref)
        if row is not None:
            return row if visible(row) else None
        named: Sequence[Row] = session.scalars(
            select(model).where(model.name == ref).order_by(model.created_at, model.id)
        ).all()
        seen = [row for row in named if visible(row)]
        own = [row for row in seen if row.project_id == (project_id or ctx.project_id)]
        candidates = own or seen
        if len(candidates) > 1:
            raise Conflict("several %ss are named %r; use the id" % (kind, ref))
        return candidates[0] if candidates else None

    def _require(self, row: Found | None, kind: str, ref: str) -> Found:
        if row is None:
            raise NotFound(kind, ref)
        return row
