"""Security groups (Neutron's) through the policy: per-project groups of allow rules that the
compute hosts enforce on each port with nftables (stackling.networking.port_filter).

    web = cloud.networking.security_groups.create(ctx, "web")          # allows all egress only
    cloud.networking.security_groups.add_rule(ctx, "web", RuleRequest(protocol="tcp",
                                              port_range_min=22, port_range_max=22))
    cloud.networking.security_groups.add_rule(ctx, "web", RuleRequest(protocol="icmp"))

Each project has a ``default`` group, made on first need (listing, or a server booted without
groups): all egress, and ingress from members of the same group. A port in several groups
allows what any of them allows; ingress not allowed is dropped; replies of allowed traffic
pass (stateful). Groups and rules count in the ``security_groups`` and ``security_group_rules``
quotas. A group used by a port cannot be deleted. ``on_change`` (set by the controller) is
called with the ids of the groups whose rules changed, once the change is committed.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import netaddr  # type: ignore[import-untyped]  # netaddr 1.3 ships no type hints
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stackling.context import Context
from stackling.db import models as m
from stackling.db.models.security_group import DIRECTIONS, ETHERTYPES, PROTOCOLS
from stackling.errors import Conflict, NotFound, ValidationError
from stackling.identity import lookup
from stackling.networking._base import NetworkingBase, check_name, describe_users, project_target
from stackling.networking.networks import NetworkService

LOG = logging.getLogger(__name__)
DEFAULT = "default"
MAX_DESCRIPTION = 255


@dataclass(frozen=True)
class RuleRequest:
    """One allow rule. ``port_range_min``/``max``: a tcp/udp destination port range; for icmp the
    type and code (as Neutron). ``remote_ip_prefix`` (a CIDR) or ``remote_group`` (id or name of a
    group of the same project): where ingress may come from / egress may go to (default anywhere)."""

    direction: str = "ingress"
    ethertype: str = "IPv4"
    protocol: str = "any"
    port_range_min: int | None = None
    port_range_max: int | None = None
    remote_ip_prefix: str | None = None
    remote_group: str | None = None
    description: str = ""


@dataclass(frozen=True)
class SecurityGroupRule:
    id: str
    security_group_id: str
    project_id: str
    direction: str
    ethertype: str
    protocol: str
    port_range_min: int | None
    port_range_max: int | None
    remote_ip_prefix: str | None
    remote_group_id: str | None
    description: str


@dataclass(frozen=True)
class SecurityGroup:
    id: str
    project_id: str
    name: str
    description: str
    rules: tuple[SecurityGroupRule, ...]  # in creation order


# --- validation (pure) -----------------------------------------------------------------------------
def _check_choice(field: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValidationError("%s: expected one of %s, got %r" % (field, ", ".join(choices), value), field=field)
    return value


def _check_int(field: str, value: int | None, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError("%s: expected a number from %d to %d, got %r" % (field, low, high, value), field=field)
    return value


def check_ports(protocol: str, low: int | None, high: int | None) -> tuple[int | None, int | None]:
    """The rule's port range (tcp/udp) or icmp type and code, checked; a lone minimum means one port."""
    if protocol in ("tcp", "udp"):
        low = _check_int("port_range_min", low, 1, 65535)
        high = _check_int("port_range_max", high, 1, 65535)
        if high is not None and low is None:
            raise ValidationError("port_range_max needs port_range_min", field="port_range_min")
        if low is not None and high is None:
            high = low
        if low is not None and high is not None and low > high:
            raise ValidationError("port_range_min (%d) is above port_range_max (%d)" % (low, high),
                                  field="port_range_min")  # fmt: skip
        return low, high
    if protocol == "icmp":
        low = _check_int("port_range_min", low, 0, 255)  # the ICMP type
        high = _check_int("port_range_max", high, 0, 255)  # the ICMP code
        if high is not None and low is None:
            raise ValidationError("an icmp code (port_range_max) needs a type (port_range_min)", field="port_range_max")
        return low, high
    if low is not None or high is not None:
        raise ValidationError("a port range is for tcp and udp rules (icmp: type and code); protocol is %s"
                              % protocol, field="port_range_min")  # fmt: skip
    return None, None


def check_prefix(ethertype: str, prefix: str | None) -> str | None:
    """The CIDR in canonical form (host bits cleared), of the rule's ethertype."""
    if prefix is None:
        return None
    try:
        net = netaddr.IPNetwork(prefix)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise ValidationError("remote_ip_prefix: %r is not a CIDR" % (prefix,), field="remote_ip_prefix") from None
    if "IPv%d" % net.version != ethertype:
        raise ValidationError("remote_ip_prefix %s is IPv%d but the rule's ethertype is %s"
                              % (prefix, net.version, ethertype), field="remote_ip_prefix")  # fmt: skip
    return str(net.cidr)


def normalize_rule(request: RuleRequest) -> RuleRequest:
    """The request checked and in canonical form (so two equal rules compare equal)."""
    _check_choice("direction", request.direction, DIRECTIONS)
    _check_choice("ethertype", request.ethertype, ETHERTYPES)
    protocol = "any" if request.protocol in (None, "", "any") else str(request.protocol).lower()
    _check_choice("protocol", protocol, PROTOCOLS)
    low, high = check_ports(protocol, request.port_range_min, request.port_range_max)
    prefix = check_prefix(request.ethertype, request.remote_ip_prefix)
    if prefix is not None and request.remote_group is not None:
        raise ValidationError("give remote_ip_prefix or remote_group, not both", field="remote_group")
    if prefix in ("0.0.0.0/0", "::/0"):
        prefix = None  # anywhere, as no prefix
    if not isinstance(request.description, str) or len(request.description) > MAX_DESCRIPTION:
        raise ValidationError("description: at most %d characters" % MAX_DESCRIPTION, field="description")
    return RuleRequest(request.direction, request.ethertype, protocol, low, high, prefix, request.remote_group,
                       request.description)  # fmt: skip


def default_rules(group_id: str, default: bool) -> list[RuleRequest]:
    """A new group's rules: all egress; the default group also all ingress from its own members."""
    rules = [RuleRequest("egress", ethertype) for ethertype in ETHERTYPES]
    if default:
        rules += [RuleRequest("ingress", ethertype, remote_group=group_id) for ethertype in ETHERTYPES]
    return rules


# --- the service -----------------------------------------------------------------------------------
class SecurityGroupService(NetworkingBase):
    def __init__(self, networks: NetworkService) -> None:
        super().__init__(networks._db, networks._enforcer, networks.ipam, networks.quotas)
        self.on_change: Callable[[frozenset[str]], None] | None = None

    # --- reading -------------------------------------------------------------------------------------
    def find(self, ctx: Context, ref: str, *, project: str | None = None) -> SecurityGroup | None:
        self._enforce(ctx, "network:list_security_groups")
        if ref == DEFAULT:
            self._ensure_default_for(ctx, project)
        with self._db.read() as session:
            row = self._find_row(ctx, session, ref, project)
            return None if row is None else _view(session, row)

    def get(self, ctx: Context, ref: str, *, project: str | None = None) -> SecurityGroup:
        return self._require(self.find(ctx, ref, project=project), "security group", ref)

    def list(self, ctx: Context, *, all_projects: bool = False) -> builtins.list[SecurityGroup]:
        """The caller's project's groups (its default group made if missing) by name;
        ``all_projects``: every group the caller may see."""
        self._enforce(ctx, "network:list_security_groups")
        self._ensure_default_for(ctx, None)
        with self._db.read() as session:
            query = select(m.SecurityGroup).order_by(m.SecurityGroup.name, m.SecurityGroup.project_id)
            if not all_projects:
                query = query.where(m.SecurityGroup.project_id == ctx.project_id)
            return [_view(session, row) for row in session.scalars(query) if self._group_visible(ctx, row)]

    def _group_visible(self, ctx: Context, row: m.SecurityGroup) -> bool:
        return self._may(ctx, "network:get_security_group", row.project_id)

    def _find_row(self, ctx: Context, session: Session, ref: str, project: str | None = None) -> m.SecurityGroup | None:
        """By id, or by name in ``project`` (default the caller's): names are unique per project only."""
        row = session.get(m.SecurityGroup, ref)
        if row is None:
            project_id = ctx.project_id if project is None else lookup_project(session, project)
            row = session.scalars(
                select(m.SecurityGroup).where(m.SecurityGroup.project_id == project_id, m.SecurityGroup.name == ref)
            ).first()
        return row if row is not None and self._group_visible(ctx, row) else None

    # --- groups --------------------------------------------------------------------------------------
    def create(self, ctx: Context, name: str, *, description: str = "", project: str | None = None) -> SecurityGroup:
        """A group allowing all egress and no ingress. The name is unique in the project."""
        if not check_name("security group", name).strip():
            raise ValidationError("a security group needs a name", field="name")
        _check_description(description)
        try:
            with self._db.write() as session:
                project_id = self._owner(ctx, session, project)
                self._enforce(ctx, "network:create_security_group", project_target(project_id))
                if name != DEFAULT:
                    self._ensure_default(session, project_id)
                self._check_name_free(session, project_id, name)
                row = self._insert_group(session, project_id, name, description)
                return _view(session, row)
        except IntegrityError:
            raise Conflict("project already has a security group named %r" % name) from None

    def update(self, ctx: Context, ref: str, *, name: str | None = None, description: str | None = None
               ) -> SecurityGroup:  # fmt: skip
        with self._db.write() as session:
            row = self._require(self._find_row(ctx, session, ref), "security group", ref)
            self._enforce(ctx, "network:update_security_group", project_target(row.project_id))
            if name is not None and name != row.name:
                if row.name == DEFAULT:
                    raise Conflict("the default security group cannot be renamed")
                check_name("security group", name)
                self._check_name_free(session, row.project_id, name)
                row.name = name
            if description is not None:
                row.description = _check_description(description)
            session.flush()
            return _view(session, row)

    def delete(self, ctx: Context, ref: str) -> None:
        """Delete a group no port uses (with its rules, and the rules of other groups naming it as
        remote group, as Neutron does)."""
        with self._db.write() as session:
            row = self._require(self._find_row(ctx, session, ref), "security group", ref)
            self._enforce(ctx, "network:delete_security_group", project_target(row.project_id))
            if row.name == DEFAULT:
                self._enforce(ctx, "network:delete_default_security_group", project_target(row.project_id))
            ports = session.scalars(
                select(m.PortSecurityGroup.port_id).where(m.PortSecurityGroup.security_group_id == row.id)
            ).all()
            if ports:
                raise Conflict("security group %s (%s) is used by port %s; remove it from those ports (or delete "
                               "their servers) first" % (row.name, row.id, describe_users(list(ports))))  # fmt: skip
            own_rules = session.scalar(select(func.count()).select_from(m.SecurityGroupRule)
                                       .where(m.SecurityGroupRule.security_group_id == row.id))  # fmt: skip
            referring = session.scalars(select(m.SecurityGroupRule).where(
                m.SecurityGroupRule.remote_group_id == row.id, m.SecurityGroupRule.security_group_id != row.id
            )).all()  # fmt: skip
            touched = frozenset(rule.security_group_id for rule in referring)
            for rule in referring:
                self.quotas.release(session, rule.project_id, security_group_rules=1)
                session.delete(rule)
            session.flush()
            session.delete(row)  # its own rules go with it (CASCADE)
            self.quotas.release(session, row.project_id, security_groups=1, security_group_rules=int(own_rules or 0))
            LOG.info("deleted security group %s", row.id)
        self._changed(touched)

    # --- rules ---------------------------------------------------------------------------------------
    def find_rule(self, ctx: Context, group: str, request: RuleRequest) -> SecurityGroupRule | None:
        """The rule of ``group`` equal to ``request`` (its description aside), or None."""
        wanted = normalize_rule(request)
        with self._db.read() as session:
            row = self._require(self._find_row(ctx, session, group), "security group", group)
            remote = self._remote_group(ctx, session, row, wanted.remote_group)
            for rule in _rule_rows(session, row.id):
                if _key(_rule(rule)) == _request_key(wanted, remote):
                    return _rule(rule)
            return None

    def add_rule(self, ctx: Context, group: str, request: RuleRequest) -> SecurityGroupRule:
        """Add an allow rule; an equal rule already in the group is a Conflict (as Neutron)."""
        wanted = normalize_rule(request)
        with self._db.write() as session:
            row = self._require(self._find_row(ctx, session, group), "security group", group)
            self._enforce(ctx, "network:create_security_group_rule", project_target(row.project_id))
            remote = self._remote_group(ctx, session, row, wanted.remote_group)
            if any(_key(_rule(r)) == _request_key(wanted, remote) for r in _rule_rows(session, row.id)):
                raise Conflict("security group %s already has this rule" % row.name)
            made = self._insert_rule(session, row, wanted, remote)
            LOG.info("security group %s: added rule %s", row.id, made.id)
        self._changed(frozenset({row.id}))
        return made

    def delete_rule(self, ctx: Context, rule_id: str) -> None:
        with self._db.write() as session:
            rule = session.get(m.SecurityGroupRule, rule_id)
            group = None if rule is None else session.get(m.SecurityGroup, rule.security_group_id)
            if rule is None or group is None or not self._group_visible(ctx, group):
                raise NotFound("security group rule", rule_id)
            self._enforce(ctx, "network:delete_security_group_rule", project_target(group.project_id))
            session.delete(rule)
            self.quotas.release(session, group.project_id, security_group_rules=1)
            LOG.info("security group %s: deleted rule %s", group.id, rule_id)
        self._changed(frozenset({group.id}))

    # --- ports (for the servers) ---------------------------------------------------------------------
    def resolve(self, ctx: Context, refs: Iterable[str]) -> builtins.list[str]:
        """Ids of the caller's project's groups named by ``refs`` (ids or names); none: the default group."""
        wanted = list(dict.fromkeys(refs)) or [DEFAULT]
        if DEFAULT in wanted:
            self._ensure_default_for(ctx, None)
        ids = []
        with self._db.read() as session:
            for ref in wanted:
                row = self._find_row(ctx, session, ref)
                if row is None or row.project_id != ctx.project_id:
                    raise NotFound("security group", ref)
                ids.append(row.id)
        return list(dict.fromkeys(ids))

    @staticmethod
    def bind(session: Session, port_id: str, group_ids: Iterable[str]) -> None:
        """Put a port in the groups (in the caller's transaction)."""
        for group_id in dict.fromkeys(group_ids):
            session.add(m.PortSecurityGroup(port_id=port_id, security_group_id=group_id))
        session.flush()

    # --- helpers -------------------------------------------------------------------------------------
    def _changed(self, group_ids: frozenset[str]) -> None:
        if group_ids and self.on_change is not None:
            self.on_change(group_ids)

    def _ensure_default_for(self, ctx: Context, project: str | None) -> None:
        if project is None and ctx.project_id is None:
            return
        with self._db.read() as session:
            project_id = ctx.project_id if project is None else lookup_project(session, project)
            if project_id is None or _default_row(session, project_id) is not None:
                return
            if not self._may(ctx, "network:get_security_group", project_id):
                return
        try:
            with self._db.write() as session:
                self._ensure_default(session, project_id)
        except IntegrityError:
            pass  # made by a concurrent caller

    def _ensure_default(self, session: Session, project_id: str) -> str:
        row = _default_row(session, project_id)
        if row is None:
            row = self._insert_group(session, project_id, DEFAULT, "Default security group")
            LOG.info("made the default security group %s of project %s", row.id, project_id)
        return row.id

    def _insert_group(self, session: Session, project_id: str, name: str, description: str) -> m.SecurityGroup:
        rules = default_rules("", name == DEFAULT)
        with self.quotas.reserve(session, project_id, security_groups=1, security_group_rules=len(rules)):
            row = m.SecurityGroup(id=m.new_id(), project_id=project_id, name=name, description=description,
                                  created_at=self.ipam._clock())  # fmt: skip
            session.add(row)
            session.flush()
            for rule in default_rules(row.id, name == DEFAULT):
                self._insert_rule(session, row, rule, rule.remote_group, counted=False)
        return row

    def _insert_rule(self, session: Session, group: m.SecurityGroup, rule: RuleRequest, remote: str | None,
                     counted: bool = True) -> SecurityGroupRule:  # fmt: skip
        row = m.SecurityGroupRule(
            id=m.new_id(), security_group_id=group.id, project_id=group.project_id, direction=rule.direction,
            ethertype=rule.ethertype, protocol=rule.protocol, port_range_min=rule.port_range_min,
            port_range_max=rule.port_range_max, remote_ip_prefix=rule.remote_ip_prefix, remote_group_id=remote,
            description=rule.description, created_at=self.ipam._clock(),
        )  # fmt: skip
        if counted:
            with self.quotas.reserve(session, group.project_id, security_group_rules=1):
                session.add(row)
                session.flush()
        else:
            session.add(row)
            session.flush()
        return _rule(row)

    def _remote_group(self, ctx: Context, session: Session, group: m.SecurityGroup, ref: str | None) -> str | None:
        if ref is None:
            return None
        if ref in (group.id, group.name):
            return group.id
        remote = self._find_row(ctx, session, ref, project=group.project_id)
        if remote is None or remote.project_id != group.project_id:
            raise ValidationError("remote_group: no security group %r in the rule's project" % ref,
                                  field="remote_group")  # fmt: skip
        return remote.id

    @staticmethod
    def _check_name_free(session: Session, project_id: str, name: str) -> None:
        taken = session.scalars(
            select(m.SecurityGroup.id).where(m.SecurityGroup.project_id == project_id, m.SecurityGroup.name == name)
        ).first()
        if taken is not None:
            raise Conflict("project already has a security group named %r" % name)


def lookup_project(session: Session, ref: str) -> str:
    return lookup.project_row(session, ref).id


def _check_description(description: str) -> str:
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise ValidationError("description: at most %d characters" % MAX_DESCRIPTION, field="description")
    return description


def _default_row(session: Session, project_id: str) -> m.SecurityGroup | None:
    return session.scalars(
        select(m.SecurityGroup).where(m.SecurityGroup.project_id == project_id, m.SecurityGroup.name == DEFAULT)
    ).first()


def _rule_rows(session: Session, group_id: str) -> Sequence[m.SecurityGroupRule]:
    return session.scalars(
        select(m.SecurityGroupRule)
        .where(m.SecurityGroupRule.security_group_id == group_id)
        .order_by(m.SecurityGroupRule.created_at, m.SecurityGroupRule.id)
    ).all()


def _rule(row: m.SecurityGroupRule) -> SecurityGroupRule:
    return SecurityGroupRule(
        id=row.id, security_group_id=row.security_group_id, project_id=row.project_id, direction=row.direction,
        ethertype=row.ethertype, protocol=row.protocol, port_range_min=row.port_range_min,
        port_range_max=row.port_range_max, remote_ip_prefix=row.remote_ip_prefix,
        remote_group_id=row.remote_group_id, description=row.description,
    )  # fmt: skip


RuleKey = tuple[str, str, str, "int | None", "int | None", "str | None", "str | None"]


def _key(rule: SecurityGroupRule) -> RuleKey:
    return (rule.direction, rule.ethertype, rule.protocol, rule.port_range_min, rule.port_range_max,
            rule.remote_ip_prefix, rule.remote_group_id)  # fmt: skip


def _request_key(rule: RuleRequest, remote_group_id: str | None) -> RuleKey:
    return (rule.direction, rule.ethertype, rule.protocol, rule.port_range_min, rule.port_range_max,
            rule.remote_ip_prefix, remote_group_id)  # fmt: skip


def _view(session: Session, row: m.SecurityGroup) -> SecurityGroup:
    return SecurityGroup(id=row.id, project_id=row.project_id, name=row.name, description=row.description,
                         rules=tuple(_rule(rule) for rule in _rule_rows(session, row.id)))  # fmt: skip
