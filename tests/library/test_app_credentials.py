"""Application credentials: hashed secrets, one project, a subset of roles, expiry, deletion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from stackling.db import models as m
from stackling.errors import AuthenticationFailed, PolicyNotAuthorized, TokenInvalid, TokenRevoked, ValidationError
from tests.library.helpers import Cloud


@pytest.fixture()
def alice(cloud: Cloud) -> str:
    web = cloud.project("web")
    cloud.project("db")
    cloud.user("alice", web, role="admin")
    cloud.c.identity.assign_role(cloud.admin, "member", user="alice", project="db")
    return "alice"


def test_a_credential_logs_in_to_its_project_with_its_roles(cloud: Cloud, alice: str) -> None:
    ctx = cloud.login(alice, "web")
    new = cloud.c.identity.create_application_credential(ctx, "ci", roles=["reader"])
    assert new.credential.roles == ("reader",)
    assert new.secret not in repr(new)
    with cloud.c.db.read() as session:
        stored = session.scalars(select(m.ApplicationCredential.secret_hash)).one()
    assert stored.startswith("$argon2id$") and new.secret not in stored
    issued = cloud.c.auth.application_credential(new.secret, credential_id=new.credential.id)
    app_ctx = cloud.c.tokens.validate(issued.token)
    assert (app_ctx.project_id, app_ctx.roles) == (ctx.project_id, {"reader"})
    assert app_ctx.application_credential_id == new.credential.id
    assert app_ctx.methods == ("application_credential",)
    by_name = cloud.c.auth.application_credential(new.secret, name="ci", username=alice)
    assert by_name.project_id == ctx.project_id


def test_the_default_roles_are_the_callers_and_implied_roles_count(cloud: Cloud, alice: str) -> None:
    ctx = cloud.login(alice, "web")
    new = cloud.c.identity.create_application_credential(ctx, "all")
    assert new.credential.roles == ("admin", "member", "reader")
    narrow = cloud.c.identity.create_application_credential(ctx, "member-only", roles=["member"])
    token = cloud.c.auth.application_credential(narrow.secret, credential_id=narrow.credential.id)
    assert cloud.c.tokens.validate(token.token).roles == {"member", "reader"}


def test_roles_beyond_the_callers_are_refused(cloud: Cloud, alice: str) -> None:
    ctx = cloud.login(alice, "db")  # member there, not admin
    with pytest.raises(ValidationError, match="admin"):
        cloud.c.identity.create_application_credential(ctx, "ci", roles=["admin"])


def test_a_wrong_secret_is_refused(cloud: Cloud, alice: str) -> None:
    new = cloud.c.identity.create_application_credential(cloud.login(alice, "web"), "ci")
    with pytest.raises(AuthenticationFailed):
        cloud.c.auth.application_credential(new.secret + "x", credential_id=new.credential.id)
    with pytest.raises(AuthenticationFailed):
        cloud.c.auth.application_credential(new.secret, credential_id="missing")


def test_expiry_ends_logins_and_caps_token_lifetime(cloud: Cloud, alice: str) -> None:
    expires = cloud.clock() + timedelta(minutes=10)
    new = cloud.c.identity.create_application_credential(cloud.login(alice, "web"), "short", expires_at=expires)
    issued = cloud.c.auth.application_credential(new.secret, credential_id=new.credential.id)
    assert issued.expires_at == expires
    cloud.clock.advance(minutes=10)
    with pytest.raises(AuthenticationFailed):
        cloud.c.auth.application_credential(new.secret, credential_id=new.credential.id)
    with pytest.raises(TokenInvalid):
        cloud.c.tokens.validate(issued.token)
    with pytest.raises(ValidationError, match="past"):
        cloud.c.identity.create_application_credential(cloud.login(alice, "web"), "old", expires_at=expires)


def test_deleting_a_credential_revokes_its_tokens(cloud: Cloud, alice: str) -> None:
    ctx = cloud.login(alice, "web")
    new = cloud.c.identity.create_application_credential(ctx, "ci")
    token = cloud.c.auth.application_credential(new.secret, credential_id=new.credential.id).token
    password_token = cloud.token(alice, "web").token
    cloud.c.identity.delete_application_credential(ctx, new.credential.id)
    with pytest.raises(TokenRevoked):
        cloud.c.tokens.validate(token)
    cloud.c.tokens.validate(password_token)
    with pytest.raises(AuthenticationFailed):
        cloud.c.auth.application_credential(new.secret, credential_id=new.credential.id)


def test_losing_a_role_shrinks_the_credentials_roles(cloud: Cloud, alice: str) -> None:
    ctx = cloud.login(alice, "db")
    new = cloud.c.identity.create_application_credential(ctx, "ci")
    cloud.c.identity.assign_role(cloud.admin, "reader", user=alice, project="db")
    cloud.c.identity.unassign_role(cloud.admin, "member", user=alice, project="db")
    token = cloud.c.auth.application_credential(new.secret, credential_id=new.credential.id)
    assert cloud.c.tokens.validate(token.token).roles == {"reader"}


def test_an_application_credential_token_cannot_mint_credentials(cloud: Cloud, alice: str) -> None:
    new = cloud.c.identity.create_application_credential(cloud.login(alice, "web"), "ci")
    app_ctx = cloud.c.tokens.validate(
        cloud.c.auth.application_credential(new.secret, credential_id=new.credential.id).token
    )
    with pytest.raises(PolicyNotAuthorized, match="create_application_credential"):
        cloud.c.identity.create_application_credential(app_ctx, "escalate")


def test_credentials_belong_to_their_user(cloud: Cloud, alice: str) -> None:
    ctx = cloud.login(alice, "web")
    new = cloud.c.identity.create_application_credential(ctx, "ci")
    cloud.user("mallory", cloud.c.identity.get_project(cloud.admin, "web"))
    mallory = cloud.login("mallory", "web")
    with pytest.raises(PolicyNotAuthorized):
        cloud.c.identity.get_application_credential(mallory, new.credential.id)
    with pytest.raises(PolicyNotAuthorized):
        cloud.c.identity.delete_application_credential(mallory, new.credential.id)
    with pytest.raises(PolicyNotAuthorized):
        cloud.c.identity.list_application_credentials(mallory, user_id=ctx.user_id)
    assert cloud.c.identity.list_application_credentials(mallory) == []
    assert [c.name for c in cloud.c.identity.list_application_credentials(ctx)] == ["ci"]
    assert cloud.c.identity.get_application_credential(cloud.admin, new.credential.id).name == "ci"
