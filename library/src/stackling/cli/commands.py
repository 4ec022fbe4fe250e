"""What each ``stackling-manage`` command does; each returns the exit status."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence

from stackling.controller import Controller
from stackling.db import upgrade
from stackling.errors import ValidationError


class UsageError(Exception):
    """Wrong usage found after parsing (exit status 2)."""


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(header)] + [len(row[i]) for row in cells]) for i, header in enumerate(headers)]
    for row in [list(headers), *cells]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def _password(args: argparse.Namespace, required: bool) -> str | None:
    """From the option, stdin (--password-stdin) or the environment variable, in that order."""
    if args.password is not None:
        return str(args.password)
    if args.password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise UsageError("--password-stdin: no password on stdin")
        return line
    from_env = os.environ.get(args.password_env)
    if from_env:
        return from_env
    if required:
        raise UsageError("a password is required: use --password-stdin or set %s" % args.password_env)
    return None


def db_upgrade(controller: Controller, args: argparse.Namespace) -> int:
    upgrade(controller.config.database.url)
    print("database is at the newest schema revision")
    return 0


def bootstrap(controller: Controller, args: argparse.Namespace) -> int:
    password = _password(args, required=True)
    assert password is not None
    result = controller.bootstrap(password, admin_username=args.admin_username)
    for change in result.changes:
        print(change)
    if not result.changed:
        print("nothing to do: already bootstrapped")
    return 0


def fernet_setup(controller: Controller, args: argparse.Namespace) -> int:
    created = controller.keys.setup()
    print(
        "created keys %s in %s" % (controller.keys.key_indexes(), controller.keys.path)
        if created
        else "key repository %s already has keys %s" % (controller.keys.path, controller.keys.key_indexes())
    )
    return 0


def fernet_rotate(controller: Controller, args: argparse.Namespace) -> int:
    keys = controller.keys.rotate()
    print("rotated: primary key %d, keys now %s" % (keys[0], keys))
    return 0


def project_create(controller: Controller, args: argparse.Namespace) -> int:
    project = controller.identity.create_project(
        controller.operator_context(), args.name, domain_id=args.domain, description=args.description
    )
    print(project.id)
    return 0


def project_list(controller: Controller, args: argparse.Namespace) -> int:
    projects = controller.identity.list_projects(controller.operator_context(), domain=args.domain)
    _table(("ID", "NAME", "DOMAIN", "ENABLED"), ((p.id, p.name, p.domain_id, p.enabled) for p in projects))
    return 0


def project_delete(controller: Controller, args: argparse.Namespace) -> int:
    ctx = controller.operator_context()
    project = controller.identity.get_project(ctx, args.name, args.domain)
    controller.identity.delete_project(ctx, project.id)
    print("deleted project %s (%s)" % (project.name, project.id))
    return 0


def user_create(controller: Controller, args: argparse.Namespace) -> int:
    user = controller.identity.create_user(
        controller.operator_context(), args.name, domain_id=args.domain, password=_password(args, required=False)
    )
    print(user.id)
    return 0


def user_list(controller: Controller, args: argparse.Namespace) -> int:
    users = controller.identity.list_users(controller.operator_context(), domain=args.domain)
    _table(("ID", "NAME", "DOMAIN", "ENABLED"), ((u.id, u.name, u.domain_id, u.enabled) for u in users))
    return 0


def user_set_password(controller: Controller, args: argparse.Namespace) -> int:
    password = _password(args, required=True)
    assert password is not None
    ctx = controller.operator_context()
    user = controller.identity.get_user(ctx, args.name, args.domain)
    controller.identity.set_password(ctx, user.id, password)
    print("password of user %s changed; their tokens are revoked" % user.name)
    return 0


def user_set_enabled(controller: Controller, args: argparse.Namespace) -> int:
    ctx = controller.operator_context()
    user = controller.identity.get_user(ctx, args.name, args.domain)
    controller.identity.update_user(ctx, user.id, enabled=args.enabled)
    print("user %s %s" % (user.name, "enabled" if args.enabled else "disabled"))
    return 0


def _grant_refs(controller: Controller, args: argparse.Namespace) -> dict[str, str | None]:
    ctx = controller.operator_context()
    refs: dict[str, str | None] = {"user": None, "group": None, "project": None, "domain": args.domain}
    if args.user is not None:
        refs["user"] = controller.identity.get_user(ctx, args.user, args.user_domain).id
    if args.group is not None:
        refs["group"] = controller.identity.get_group(ctx, args.group, args.user_domain).id
    if args.project is not None:
        refs["project"] = controller.identity.get_project(ctx, args.project, args.project_domain).id
    return refs


def role_assign(controller: Controller, args: argparse.Namespace) -> int:
    changed = controller.identity.assign_role(controller.operator_context(), args.role, **_grant_refs(controller, args))
    print("granted" if changed else "already granted")
    return 0


def role_unassign(controller: Controller, args: argparse.Namespace) -> int:
    changed = controller.identity.unassign_role(
        controller.operator_context(), args.role, **_grant_refs(controller, args)
    )
    print("revoked" if changed else "was not granted")
    return 0


def role_list(controller: Controller, args: argparse.Namespace) -> int:
    ctx = controller.operator_context()
    if args.project is None and args.user is None:
        roles = controller.identity.list_roles(ctx)
        _table(("ID", "NAME", "IMPLIES"), ((r.id, r.name, ",".join(r.implies)) for r in roles))
        return 0
    grants = controller.identity.list_role_assignments(ctx, user=args.user, project=args.project)
    _table(
        ("ROLE", "USER", "GROUP", "PROJECT", "DOMAIN"),
        ((g.role_name, g.user_id or "", g.group_id or "", g.project_id or "", g.domain_id or "") for g in grants),
    )
    return 0


def quota_show(controller: Controller, args: argparse.Namespace) -> int:
    usage = controller.quotas.get_usage(controller.operator_context(), args.project)
    _table(("RESOURCE", "LIMIT", "IN USE"), ((u.resource, u.limit, u.in_use) for u in usage.values()))
    return 0


def quota_set(controller: Controller, args: argparse.Namespace) -> int:
    limits: dict[str, int] = {}
    for item in args.limits:
        resource, equals, value = item.partition("=")
        try:
            limits[resource] = int(value)
        except ValueError:
            raise ValidationError("%r: expected RESOURCE=LIMIT with an integer limit" % item) from None
        if not equals:
            raise ValidationError("%r: expected RESOURCE=LIMIT" % item)
    controller.quotas.set_limits(controller.operator_context(), args.project, limits)
    print("limits set")
    return 0
