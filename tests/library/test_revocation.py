"""Every revocation path: token, user disable, password change, grant removal, project disable,
group membership, domain disable; the event log is pruned."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from stackling.db import models as m
from stackling.errors import PolicyNotAuthorized, TokenInvalid, TokenRevoked
from stackling.identity.auth import ScopeRequest
from tests.library.helpers import Cloud


@pytest.fixture()
def alice_on_web(cloud: Cloud) -> str:
    web = cloud.project("web")
    cloud.project("db")
    cloud.user("alice", web)
    cloud.c.identity.assign_role(cloud.admin, "member", user="alice", project="db")
    return cloud.token("alice", "web").token


def test_revoke_one_token_by_its_owner(cloud: Cloud, alice_on_web: str) -> None:
    other = cloud.token("alice", "web").token
    ctx = cloud.c.tokens.validate(alice_on_web)
    cloud.c.tokens.revoke(ctx, alice_on_web)
    with pytest.raises(TokenRevoked):
        cloud.c.tokens.validate(alice_on_web)
    cloud.c.tokens.validate(other)  # another token of the same user lives on


def test_only_the_owner_or_the_cloud_admin_revokes_a_token(cloud: Cloud, alice_on_web: str) -> None:
    cloud.user("mallory", cloud.c.identity.get_project(cloud.admin, "web"))
    with pytest.raises(PolicyNotAuthorized, match="identity:revoke_token"):
        cloud.c.tokens.revoke(cloud.login("mallory", "web"), alice_on_web)
    cloud.c.tokens.revoke(cloud.admin, alice_on_web)
    with pytest.raises(TokenRevoked):
        cloud.c.tokens.validate(alice_on_web)


def test_disabling_a_user_revokes_their_tokens_even_after_reenabling(cloud: Cloud, alice_on_web: str) -> None:
    alice = cloud.c.identity.get_user(cloud.admin, "alice")
    cloud.c.identity.update_user(cloud.admin, alice.id, enabled=False)
    with pytest.raises(TokenInvalid):
        cloud.c.tokens.validate(alice_on_web)
    cloud.c.identity.update_user(cloud.admin, alice.id, enabled=True)
    with pytest.raises(TokenRevoked):
        cloud.c.tokens.validate(alice_on_web)
    cloud.login("alice", "web")  # a new login works


def test_a_password_change_revokes_earlier_tokens(cloud: Cloud, alice_on_web: str) -> None:
    alice = cloud.c.identity.get_user(cloud.admin, "alice")
    cloud.c.identity.set_password(cloud.admin, alice.id, "pw-alice-Secret")  # same text, still a change
    with pytest.raises(TokenRevoked):
        cloud.c.tokens.validate(alice_on_web)
    cloud.login("alice", "web")


def test_removing_a_grant_revokes_the_users_tokens_on_that_scope_only(cloud: Cloud, alice_on_web: str) -> None:
    on_db = cloud.token("alice", "db").token
    cloud.c.identity.assign_role(cloud.admin, "reader", user="alice", project="web")
    cloud.c.identity.unassign_role(cloud.admin, "member", user="alice", project="web")
    with pytest.raises(TokenRevoked):
        cloud.c.tokens.validate(alice_on_web)  # revoked although reader remains
    cloud.c.tokens.validate(on_db)
    assert cloud.login("alice", "web").roles == {"reader"}  # new tokens carry what is left


def test_disabling_a_project_revokes_its_tokens(cloud: Cloud, alice_on_web: str) -> None:
    on_db = cloud.token("alice", "db").token
    web = cloud.c.identity.get_project(cloud.admin, "web")
    cloud.c.identity.update_project(cloud.admin, web.id, enabled=False)
    with pytest.raises(TokenInvalid):
        cloud.c.tokens.validate(alice_on_web)
    cloud.c.identity.update_project(cloud.admin, web.id, enabled=True)
    with pytest.raises(TokenRevoked):
        cloud.c.tokens.validate(alice_on_web)
    cloud.c.tokens.validate(on_db)


def test_deleting_a_project_revokes_its_tokens(cloud: Cloud, alice_on_web: str) -> None:
    web = cloud.c.identity.get_project(cloud.admin, "web")
    cloud.c.identity.delete_project(cloud.admin, web.id)
    with pytest.raises(TokenInvalid):
        cloud.c.tokens.validate(alice_on_web)


def test_leaving_a_group_revokes_the_members_tokens(cloud: Cloud) -> None:
    web = cloud.project("web")
    bob = cloud.user("bob")
    devs = cloud.c.identity.create_group(cloud.admin, "devs")
    cloud.c.identity.add_user_to_group(cloud.admin, bob.id, devs.id)
    cloud.c.identity.assign_role(cloud.admin, "member", group=devs.id, project=web.id)
    token = cloud.token("bob", "web").token
    cloud.c.identity.remove_user_from_group(cloud.admin, bob.id, devs.id)
    with pytest.raises(TokenRevoked):
        cloud.c.tokens.validate(token)


def test_removing_a_group_grant_revokes_the_members_tokens(cloud: Cloud) -> None:
    web = cloud.project("web")
    bob = cloud.user("bob", web, role="reader")
    devs = cloud.c.identity.create_group(cloud.admin, "devs")
    cloud.c.identity.add_user_to_group(cloud.admin, bob.id, devs.id)
    cloud.c.identity.assign_role(cloud.admin, "member", group=devs.id, project=web.id)
    token = cloud.token("bob", "web").token
    cloud.c.identity.unassign_role(cloud.admin, "member", group=devs.id, project=web.id)
    with pytest.raises(TokenRevoked):
        cloud.c.tokens.validate(token)


def test_disabling_a_domain_revokes_its_tokens(cloud: Cloud) -> None:
    eng = cloud.c.identity.create_domain(cloud.admin, "Engineering")
    proj = cloud.project("eng-web", domain=eng.id)
    cloud.user("erin", proj, domain=eng.id)
    token = cloud.c.auth.password(
        "erin", "pw-erin-Secret", ScopeRequest(project=proj.id), user_domain="Engineering"
    ).token
    cloud.c.identity.update_domain(cloud.admin, eng.id, enabled=False)
    cloud.c.identity.update_domain(cloud.admin, eng.id, enabled=True)
    with pytest.raises(TokenRevoked):
        cloud.c.tokens.validate(token)


def test_old_events_are_pruned(cloud: Cloud, alice_on_web: str) -> None:
    alice = cloud.c.identity.get_user(cloud.admin, "alice")
    cloud.c.identity.update_user(cloud.admin, alice.id, enabled=False)
    cloud.clock.advance(seconds=3601)  # every token the event could match has expired
    cloud.c.identity.update_user(cloud.admin, alice.id, enabled=True)
    cloud.c.tokens.revoke(cloud.admin, cloud.token("alice", "web").token)
    with cloud.c.db.read() as session:
        assert session.scalar(select(func.count()).select_from(m.RevocationEvent)) == 1
