"""The argparse tree of ``stackling-manage``; each leaf sets ``handler`` (see commands.py)."""

from __future__ import annotations

import argparse
import os

from pathlib import Path

# Literal copies, so `--help` and usage errors need not import the library (checked by the tests).
DEFAULT_CONFIG_PATH = Path("/etc/stackling/controller.yaml")
RESOURCES = (
    "instances",
    "cores",
    "ram_mb",
    "volumes",
    "gigabytes",
    "snapshots",
    "networks",
    "subnets",
    "ports",
    "routers",
    "floating_ips",
    "security_groups",
    "security_group_rules",
    "keypairs",
)

DESCRIPTION = """\
Manage a Stackling controller: database schema, identity bootstrap, Fernet token keys,
projects, users, role grants and quotas. Acts as the cloud admin (the policy still
applies). Exit status: 0 success, 1 error (one line on stderr), 2 wrong usage."""

PASSWORD_HELP = "the password (visible in the process list: prefer --password-stdin or the environment variable %s)"


def _password_options(parser: argparse.ArgumentParser, env: str, flag: str = "--password") -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(flag, dest="password", help=PASSWORD_HELP % env)
    group.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")


def _grant_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("role", help="role name or id")
    actor = parser.add_mutually_exclusive_group(required=True)
    actor.add_argument("--user", help="user name or id")
    actor.add_argument("--group", help="group name or id")
    parser.add_argument(
        "--user-domain", default="default", help="domain of --user/--group given by name (default: default)"
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--project", help="project name or id")
    target.add_argument("--domain", help="domain name or id")
    parser.add_argument(
        "--project-domain", default="default", help="domain of --project given by name (default: default)"
    )


def _db(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="action", required=True, metavar="ACTION")
    db.add_parser("upgrade", help="apply the migrations (idempotent)").set_defaults(handler="db_upgrade")


def _bootstrap(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    boot = sub.add_parser(
        "bootstrap",
        help="create the default domain, roles, admin project and admin user (idempotent)",
        description="Like keystone-manage bootstrap. Re-running with another password resets the admin password "
        "and re-enables a disabled admin user.",
    )
    _password_options(boot, "STACKLING_BOOTSTRAP_PASSWORD", flag="--admin-password")
    boot.add_argument("--admin-username", default="admin", help="name of the admin user (default: admin)")
    boot.set_defaults(handler="bootstrap", password_env="STACKLING_BOOTSTRAP_PASSWORD")


def _fernet(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fernet = sub.add_parser("fernet", help="Fernet token keys").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    fernet.add_parser("setup", help="create the key repository with keys 0 and 1 (no-op if keys exist)").set_defaults(
        handler="fernet_setup"
    )
    fernet.add_parser("rotate", help="promote the staged key, stage a new one, prune old ones").set_defaults(
        handler="fernet_rotate"
    )


def _project(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    project = sub.add_parser("project", help="projects").add_subparsers(dest="action", required=True, metavar="ACTION")
    create = project.add_parser("create", help="create a project")
    create.add_argument("name")
    create.add_argument("--domain", default="default", help="domain name or id (default: default)")
    create.add_argument("--description", default="")
    create.set_defaults(handler="project_create")
    listing = project.add_parser("list", help="list projects")
    listing.add_argument("--domain", help="only this domain")
    listing.set_defaults(handler="project_list")
    delete = project.add_parser("delete", help="delete a project that holds no resources")
    delete.add_argument("name", help="project name or id")
    delete.add_argument("--domain", help="domain of a project given by name")
    delete.set_defaults(handler="project_delete")


def _user(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = sub.add_parser("user", help="users").add_subparsers(dest="action", required=True, metavar="ACTION")
    create = user.add_parser("create", help="create a local user (password optional)")
    create.add_argument("name")
    create.add_argument("--domain", default="default", help="domain name or id (default: default)")
    _password_options(create, "STACKLING_USER_PASSWORD")
    create.set_defaults(handler="user_create", password_env="STACKLING_USER_PASSWORD")
    listing = user.add_parser("list", help="list users")
    listing.add_argument("--domain", help="only this domain")
    listing.set_defaults(handler="user_list")
    set_password = user.add_parser("set-password", help="replace a user's password (revokes their tokens)")
    set_password.add_argument("name", help="user name or id")
    set_password.add_argument("--domain", default="default", help="domain of a user given by name (default: default)")
    _password_options(set_password, "STACKLING_USER_PASSWORD")
    set_password.set_defaults(handler="user_set_password", password_env="STACKLING_USER_PASSWORD")
    for action, enabled, summary in (
        ("disable", False, "disable a user (revokes their tokens)"),
        ("enable", True, "enable a user"),
    ):
        toggle = user.add_parser(action, help=summary)
        toggle.add_argument("name", help="user name or id")
        toggle.add_argument("--domain", default="default", help="domain of a user given by name (default: default)")
        toggle.set_defaults(handler="user_set_enabled", enabled=enabled)


def _role(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    role = sub.add_parser("role", help="roles and grants").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    assign = role.add_parser("assign", help="grant a role to a user or group on a project or domain")
    _grant_options(assign)
    assign.set_defaults(handler="role_assign")
    unassign = role.add_parser("unassign", help="remove a grant (revokes the affected tokens)")
    _grant_options(unassign)
    unassign.set_defaults(handler="role_unassign")
    listing = role.add_parser("list", help="list roles, or with --project/--user the grants")
    listing.add_argument("--project", help="grants on this project (name or id)")
    listing.add_argument("--user", help="grants of this user (name or id)")
    listing.set_defaults(handler="role_list")


def _quota(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    quota = sub.add_parser("quota", help="project quotas").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    show = quota.add_parser("show", help="limits and usage of a project")
    show.add_argument("project", help="project name or id")
    show.set_defaults(handler="quota_show")
    update = quota.add_parser("set", help="override limits of a project (-1: unlimited)")
    update.add_argument("project", help="project name or id")
    update.add_argument("limits", nargs="+", metavar="RESOURCE=LIMIT", help="resources: " + ", ".join(RESOURCES))
    update.set_defaults(handler="quota_set")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stackling-manage", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--config",
        default=os.environ.get("STACKLING_CONFIG", str(DEFAULT_CONFIG_PATH)),
        help="controller configuration file (default: $STACKLING_CONFIG or %s)" % DEFAULT_CONFIG_PATH,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what is done to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_db, _bootstrap, _fernet, _project, _user, _role, _quota):
        add(sub)
    return parser
