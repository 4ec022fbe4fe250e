"""Identity CRUD, password hashing, roles and implied roles, groups, bootstrap."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from stackling.controller import Controller
from stackling.db import models as m
from stackling.errors import AuthenticationFailed, Conflict, NotFound, ValidationError
from stackling.identity.auth import ScopeRequest
from tests.library.helpers import ADMIN_PASSWORD, Cloud, password_of


def stored_hash(controller: Controller, user_id: str) -> str | None:
    with controller.db.read() as session:
        return session.scalars(select(m.User.password_hash).where(m.User.id == user_id)).one()


def test_projects_crud(cloud: Cloud) -> None:
    identity, admin = cloud.c.identity, cloud.admin
    web = identity.create_project(admin, "web", description="front ends")
    assert identity.get_project(admin, "web", "Default") == web
    assert identity.get_project(admin, web.id).description == "front ends"
    assert [p.name for p in identity.list_projects(admin)] == ["admin", "web"]
    with pytest.raises(Conflict, match="already exists"):
        identity.create_project(admin, "web")
    renamed = identity.update_project(admin, web.id, name="www", enabled=False)
    assert (renamed.name, renamed.enabled) == ("www", False)
    identity.delete_project(admin, web.id)
    assert identity.find_project(admin, web.id) is None
    with pytest.raises(NotFound):
        identity.get_project(admin, web.id)
    with pytest.raises(ValidationError):
        identity.create_project(admin, "  ")


def test_same_names_in_two_domains(cloud: Cloud) -> None:
    identity, admin = cloud.c.identity, cloud.admin
    other = identity.create_domain(admin, "Other")
    a = identity.create_project(admin, "shared")
    b = identity.create_project(admin, "shared", domain_id=other.id)
    assert identity.get_project(admin, "shared", "Other") == b
    assert identity.get_project(admin, "shared", "default") == a
    with pytest.raises(Conflict, match="name the domain"):
        identity.get_project(admin, "shared")


def test_domains(cloud: Cloud) -> None:
    identity, admin = cloud.c.identity, cloud.admin
    dom = identity.create_domain(admin, "Engineering")
    assert [d.name for d in identity.list_domains(admin)] == ["Default", "Engineering"]
    identity.create_project(admin, "p", domain_id=dom.id)
    with pytest.raises(Conflict, match="disable"):
        identity.delete_domain(admin, dom.id)
    identity.update_domain(admin, dom.id, enabled=False)
    with pytest.raises(Conflict, match="still holds 1 projects"):
        identity.delete_domain(admin, dom.id)
    identity.delete_project(admin, identity.get_project(admin, "p", dom.id).id)
    identity.delete_domain(admin, dom.id)
    assert [d.name for d in identity.list_domains(admin)] == ["Default"]


def test_users_passwords_are_argon2id_hashes(cloud: Cloud) -> None:
    alice = cloud.user("alice", cloud.project("web"))
    stored = stored_hash(cloud.c, alice.id)
    assert stored is not None and stored.startswith("$argon2id$")
    assert password_of("alice") not in stored
    assert cloud.token("alice", "web").user_id == alice.id
    with pytest.raises(AuthenticationFailed):
        cloud.c.auth.password("alice", "wrong", ScopeRequest(project="web"))
    with pytest.raises(AuthenticationFailed):
        cloud.c.auth.password("nobody", "x", ScopeRequest(project="web"))


def test_set_password_replaces_the_hash(cloud: Cloud) -> None:
    alice = cloud.user("alice", cloud.project("web"))
    before = stored_hash(cloud.c, alice.id)
    cloud.c.identity.set_password(cloud.admin, alice.id, "new-Secret-2")
    assert stored_hash(cloud.c, alice.id) != before
    with pytest.raises(AuthenticationFailed):
        cloud.token("alice", "web")
    cloud.c.auth.password("alice", "new-Secret-2", ScopeRequest(project="web"))


def test_users_crud_and_disable(cloud: Cloud) -> None:
    identity, admin = cloud.c.identity, cloud.admin
    web = cloud.project("web")
    bob = cloud.user("bob", web)
    assert {u.name for u in identity.list_users(admin)} == {"admin", "bob"}
    assert identity.get_user(admin, "bob").has_password
    with pytest.raises(Conflict):
        identity.create_user(admin, "bob")
    identity.update_user(admin, bob.id, enabled=False)
    with pytest.raises(AuthenticationFailed):
        cloud.token("bob", "web")
    identity.update_user(admin, bob.id, enabled=True)
    cloud.token("bob", "web")
    identity.delete_user(admin, bob.id)
    assert identity.find_user(admin, "bob") is None
    assert identity.list_role_assignments(admin, project=web.id) == []


def test_a_user_without_password_cannot_log_in_by_password(cloud: Cloud) -> None:
    web = cloud.project("web")
    svc = cloud.c.identity.create_user(cloud.admin, "svc")
    cloud.c.identity.assign_role(cloud.admin, "member", user=svc.id, project=web.id)
    assert not svc.has_password
    with pytest.raises(AuthenticationFailed):
        cloud.c.auth.password("svc", "", ScopeRequest(project="web"))


def test_default_roles_and_implications(cloud: Cloud) -> None:
    roles = {r.name: r.implies for r in cloud.c.identity.list_roles(cloud.admin)}
    assert roles == {"admin": ("member",), "member": ("reader",), "reader": ()}
    web = cloud.project("web")
    cloud.user("boss", web, role="admin")
    assert cloud.login("boss", "web").roles == {"admin", "member", "reader"}
    cloud.user("viewer", web, role="reader")
    assert cloud.login("viewer", "web").roles == {"reader"}


def test_custom_roles_and_implication_cycles(cloud: Cloud) -> None:
    identity, admin = cloud.c.identity, cloud.admin
    identity.create_role(admin, "operator")
    assert identity.create_implied_role(admin, "operator", "member")
    assert not identity.create_implied_role(admin, "operator", "member")
    with pytest.raises(Conflict, match="cycle"):
        identity.create_implied_role(admin, "reader", "operator")
    web = cloud.project("web")
    cloud.user("op", web, role="operator")
    assert cloud.login("op", "web").roles == {"operator", "member", "reader"}
    identity.delete_role(admin, "operator")
    with pytest.raises(AuthenticationFailed):  # no role left on the project
        cloud.token("op", "web")


def test_grants_are_idempotent_and_validated(cloud: Cloud) -> None:
    identity, admin = cloud.c.identity, cloud.admin
    web = cloud.project("web")
    alice = cloud.user("alice")
    assert identity.assign_role(admin, "member", user=alice.id, project=web.id)
    assert not identity.assign_role(admin, "member", user="alice", project="web")
    grants = identity.list_role_assignments(admin, user=alice.id)
    assert [(g.role_name, g.project_id) for g in grants] == [("member", web.id)]
    with pytest.raises(ValidationError):
        identity.assign_role(admin, "member", user=alice.id)
    with pytest.raises(ValidationError):
        identity.assign_role(admin, "member", project=web.id)
    with pytest.raises(NotFound):
        identity.assign_role(admin, "ghost", user=alice.id, project=web.id)
    assert identity.unassign_role(admin, "member", user=alice.id, project=web.id)
    assert not identity.unassign_role(admin, "member", user=alice.id, project=web.id)


def test_group_grants_give_roles_to_members(cloud: Cloud) -> None:
    identity, admin = cloud.c.identity, cloud.admin
    web = cloud.project("web")
    carol = cloud.user("carol")
    devs = identity.create_group(admin, "devs")
    identity.assign_role(admin, "member", group=devs.id, project=web.id)
    with pytest.raises(AuthenticationFailed):
        cloud.token("carol", "web")
    assert identity.add_user_to_group(admin, carol.id, devs.id)
    assert not identity.add_user_to_group(admin, carol.id, devs.id)
    assert [u.name for u in identity.list_group_users(admin, devs.id)] == ["carol"]
    assert cloud.login("carol", "web").roles == {"member", "reader"}
    assert [g.name for g in identity.list_groups(admin)] == ["devs"]
    identity.delete_group(admin, devs.id)
    with pytest.raises(AuthenticationFailed):
        cloud.token("carol", "web")


def test_domain_scoped_tokens_and_domain_admins(cloud: Cloud) -> None:
    identity, admin = cloud.c.identity, cloud.admin
    eng = identity.create_domain(admin, "Engineering")
    dana = identity.create_user(admin, "dana", domain_id=eng.id, password=password_of("dana"))
    identity.assign_role(admin, "admin", user=dana.id, domain=eng.id)
    token = cloud.c.auth.password(
        "dana", password_of("dana"), ScopeRequest(domain="Engineering"), user_domain="Engineering"
    )
    ctx = cloud.c.tokens.validate(token.token)
    assert (ctx.domain_id, ctx.project_id, ctx.is_admin_project) == (eng.id, None, False)
    project = identity.create_project(ctx, "eng-web", domain_id=eng.id)
    assert [p.name for p in identity.list_projects(ctx)] == ["eng-web"]
    assert identity.get_project(ctx, project.id) == project
    from stackling.errors import PolicyNotAuthorized

    with pytest.raises(PolicyNotAuthorized):
        identity.create_project(ctx, "sneaky")  # the default domain is not theirs
    with pytest.raises(PolicyNotAuthorized):
        identity.get_project(ctx, "admin", "default")


def test_bootstrap_is_idempotent(controller: Controller) -> None:
    first = controller.bootstrap(ADMIN_PASSWORD)
    assert first.changed
    assert "created user admin" in first.changes
    admin_hash = stored_hash(controller, first.admin_user_id)
    again = controller.bootstrap(ADMIN_PASSWORD)
    assert again.changes == []
    assert (again.admin_user_id, again.admin_project_id) == (first.admin_user_id, first.admin_project_id)
    assert stored_hash(controller, first.admin_user_id) == admin_hash
    token = controller.auth.password("admin", ADMIN_PASSWORD, ScopeRequest(project="admin", project_domain="Default"))
    ctx = controller.tokens.validate(token.token)
    assert ctx.is_admin_project and ctx.roles == {"admin", "member", "reader"}
    with controller.db.read() as session:
        assert session.scalar(select(m.Domain.id).where(m.Domain.name == "Default")) == "default"


def test_bootstrap_with_a_new_password_resets_it_and_reenables_the_admin(controller: Controller) -> None:
    first = controller.bootstrap(ADMIN_PASSWORD)
    old = controller.auth.password("admin", ADMIN_PASSWORD, ScopeRequest(project="admin"))
    with controller.db.write() as session:
        user = session.get(m.User, first.admin_user_id)
        assert user is not None
        user.enabled = False
    result = controller.bootstrap("another-Secret-3")
    assert result.changes == ["enabled user admin", "reset the password of user admin"]
    with pytest.raises(AuthenticationFailed):
        controller.auth.password("admin", ADMIN_PASSWORD, ScopeRequest(project="admin"))
    controller.auth.password("admin", "another-Secret-3", ScopeRequest(project="admin"))
    from stackling.errors import TokenRevoked

    with pytest.raises(TokenRevoked):
        controller.tokens.validate(old.token)


def test_passwords_are_rehashed_when_the_parameters_change(cloud: Cloud, config: object) -> None:
    from dataclasses import replace

    from stackling.config import ControllerConfig, PasswordHashingConfig

    assert isinstance(config, ControllerConfig)
    cloud.user("alice", cloud.project("web"))
    alice = cloud.c.identity.get_user(cloud.admin, "alice")
    stronger = replace(config, password_hashing=PasswordHashingConfig(time_cost=2, memory_cost=128, parallelism=1))
    other = Controller.from_config(stronger, clock=cloud.clock)
    try:
        other.auth.password("alice", password_of("alice"), ScopeRequest(project="web"))
        stored = stored_hash(other, alice.id)
        assert stored is not None and "m=128,t=2,p=1" in stored
    finally:
        other.close()
