"""Users and groups (Keystone's "identity" backend), policy-enforced."""

from __future__ import annotations

import logging

from sqlalchemy import delete, select

from stackling.context import Context
from stackling.db import models as m
from stackling.db.models import AssignmentType
from stackling.identity import lookup
from stackling.identity._base import ServiceBase, check_name, missing_as_none
from stackling.identity.types import Group, User

LOG = logging.getLogger(__name__)


def _user_target(row: m.User) -> dict[str, str]:
    return {"user_id": row.id, "domain_id": row.domain_id}


def _group_target(row: m.Group) -> dict[str, str]:
    return {"group_id": row.id, "domain_id": row.domain_id}


class UserOps(ServiceBase):
    # --- users -------------------------------------------------------------------------------
    def create_user(
        self, ctx: Context, name: str, domain_id: str = "default", password: str | None = None, enabled: bool = True
    ) -> User:
        """A local user; the password is stored as an argon2id hash only (None: no password login)."""
        name = check_name("user", name)
        password_hash = self._hasher.hash(password) if password is not None else None
        with self._writing("a user named %r already exists in that domain" % name) as session:
            domain = lookup.domain_row(session, domain_id)
            self._enforce(ctx, "identity:create_user", {"domain_id": domain.id})
            now = self._clock()
            row = m.User(
                id=m.new_id(),
                domain_id=domain.id,
                name=name,
                password_hash=password_hash,
                enabled=enabled,
                created_at=now,
                password_changed_at=now if password_hash else None,
            )
            session.add(row)
            session.flush()
            LOG.info("created user %s (%s) in domain %s", row.id, name, domain.id)
            return User.of(row)

    def get_user(self, ctx: Context, name_or_id: str, domain: str | None = None) -> User:
        with self._db.read() as session:
            row = lookup.user_row(session, name_or_id, domain)
            self._enforce(ctx, "identity:get_user", _user_target(row))
            return User.of(row)

    def find_user(
        self, ctx: Context, name_or_id: str, domain: str | None = None, ignore_missing: bool = True
    ) -> User | None:
        return missing_as_none(lambda: self.get_user(ctx, name_or_id, domain), ignore_missing)

    def list_users(self, ctx: Context, domain: str | None = None) -> list[User]:
        return self._list_in_domain(ctx, m.User, "user", User.of, _user_target, domain)

    def update_user(self, ctx: Context, user_id: str, *, enabled: bool | None = None, name: str | None = None) -> User:
        """Rename, enable or disable a user; disabling revokes all the user's tokens."""
        with self._writing("a user named %r already exists in that domain" % name) as session:
            row = lookup.user_row(session, user_id)
            self._enforce(ctx, "identity:update_user", _user_target(row))
            if name is not None:
                row.name = check_name("user", name)
            if enabled is not None and enabled != row.enabled:
                row.enabled = enabled
                if not enabled:
                    self._revocations.revoke(session, user_id=row.id)
                LOG.info("%s user %s", "enabled" if enabled else "disabled", row.id)
            session.flush()
            return User.of(row)

    def set_password(self, ctx: Context, user_id: str, password: str) -> None:
        """Replace the user's password (argon2id hash) and revoke every token issued to them so far."""
        password_hash = self._hasher.hash(password)
        with self._db.write() as session:
            row = lookup.user_row(session, user_id)
            self._enforce(ctx, "identity:update_user", _user_target(row))
            row.password_hash = password_hash
            row.password_changed_at = self._clock()
            self._revocations.revoke(session, user_id=row.id)
            LOG.info("changed the password of user %s", row.id)

    def delete_user(self, ctx: Context, user_id: str) -> None:
        with self._db.write() as session:
            row = lookup.user_row(session, user_id)
            self._enforce(ctx, "identity:delete_user", _user_target(row))
            session.execute(
                delete(m.RoleAssignment).where(
                    m.RoleAssignment.actor_id == row.id,
                    m.RoleAssignment.type.in_((AssignmentType.USER_PROJECT, AssignmentType.USER_DOMAIN)),
                )
            )
            self._revocations.revoke(session, user_id=row.id)
            session.delete(row)
            LOG.info("deleted user %s (%s)", row.id, row.name)

    # --- groups ------------------------------------------------------------------------------
    def create_group(self, ctx: Context, name: str, domain_id: str = "default", description: str = "") -> Group:
        name = check_name("group", name)
        with self._writing("a group named %r already exists in that domain" % name) as session:
            domain = lookup.domain_row(session, domain_id)
            self._enforce(ctx, "identity:create_group", {"domain_id": domain.id})
            row = m.Group(id=m.new_id(), domain_id=domain.id, name=name, description=description)
            session.add(row)
            session.flush()
            LOG.info("created group %s (%s) in domain %s", row.id, name, domain.id)
            return Group.of(row)

    def get_group(self, ctx: Context, name_or_id: str, domain: str | None = None) -> Group:
        with self._db.read() as session:
            row = lookup.group_row(session, name_or_id, domain)
            self._enforce(ctx, "identity:get_group", _group_target(row))
            return Group.of(row)

    def list_groups(self, ctx: Context, domain: str | None = None) -> list[Group]:
        return self._list_in_domain(ctx, m.Group, "group", Group.of, _group_target, domain)

    def list_group_users(self, ctx: Context, group_id: str) -> list[User]:
        with self._db.read() as session:
            group = lookup.group_row(session, group_id)
            self._enforce(ctx, "identity:get_group", _group_target(group))
            query = (
                select(m.User)
                .join(m.GroupMembership, m.GroupMembership.user_id == m.User.id)
                .where(m.GroupMembership.group_id == group.id)
                .order_by(m.User.name)
            )
            return [User.of(row) for row in session.scalars(query)]

    def add_user_to_group(self, ctx: Context, user_id: str, group_id: str) -> bool:
        """Make the user a member; False if already one."""
        with self._writing("the same membership was being added concurrently") as session:
            group = lookup.group_row(session, group_id)
            self._enforce(ctx, "identity:update_group", _group_target(group))
            user = lookup.user_row(session, user_id)
            if session.get(m.GroupMembership, (group.id, user.id)) is not None:
                return False
            session.add(m.GroupMembership(group_id=group.id, user_id=user.id))
            LOG.info("added user %s to group %s", user.id, group.id)
            return True

    def remove_user_from_group(self, ctx: Context, user_id: str, group_id: str) -> bool:
        """End a membership and revoke the user's tokens; False if not a member."""
        with self._db.write() as session:
            group = lookup.group_row(session, group_id)
            self._enforce(ctx, "identity:update_group", _group_target(group))
            user = lookup.user_row(session, user_id)
            membership = session.get(m.GroupMembership, (group.id, user.id))
            if membership is None:
                return False
            session.delete(membership)
            self._revocations.revoke(session, user_id=user.id)
            LOG.info("removed user %s from group %s", user.id, group.id)
            return True

    def delete_group(self, ctx: Context, group_id: str) -> None:
        """Delete a group, its grants and memberships; its members' tokens are revoked."""
        with self._db.write() as session:
            row = lookup.group_row(session, group_id)
            self._enforce(ctx, "identity:delete_group", _group_target(row))
            members = list(
                session.scalars(select(m.GroupMembership.user_id).where(m.GroupMembership.group_id == row.id))
            )
            session.execute(
                delete(m.RoleAssignment).where(
                    m.RoleAssignment.actor_id == row.id,
                    m.RoleAssignment.type.in_((AssignmentType.GROUP_PROJECT, AssignmentType.GROUP_DOMAIN)),
                )
            )
            for member in members:
                self._revocations.revoke(session, user_id=member)
            session.delete(row)
            LOG.info("deleted group %s (%s)", row.id, row.name)
