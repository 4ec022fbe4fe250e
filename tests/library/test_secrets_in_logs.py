"""Passwords and secrets never reach a log record, even with every logger at DEBUG."""

from __future__ import annotations

import logging

import pytest

from stackling.errors import AuthenticationFailed
from stackling.identity.auth import ScopeRequest
from tests.library.helpers import ADMIN_PASSWORD, Cloud


def test_no_secret_is_ever_logged(cloud: Cloud, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")  # every SQL statement too
    identity, auth, admin = cloud.c.identity, cloud.c.auth, cloud.admin
    secrets = ["Alice-first-Secret", "Alice-second-Secret", "Wrong-guess-Secret", ADMIN_PASSWORD, "Boot-again-Secret"]

    cloud.c.bootstrap(ADMIN_PASSWORD)
    cloud.c.bootstrap("Boot-again-Secret")
    web = identity.create_project(admin, "web")
    alice = identity.create_user(admin, "alice", password="Alice-first-Secret")
    identity.assign_role(admin, "member", user=alice.id, project=web.id)
    ctx = cloud.c.tokens.validate(auth.password("alice", "Alice-first-Secret", ScopeRequest(project="web")).token)
    with pytest.raises(AuthenticationFailed) as failed:
        auth.password("alice", "Wrong-guess-Secret", ScopeRequest(project="web"))
    identity.set_password(admin, alice.id, "Alice-second-Secret")
    ctx = cloud.c.tokens.validate(auth.password("alice", "Alice-second-Secret", ScopeRequest(project="web")).token)
    credential = identity.create_application_credential(ctx, "ci")
    secrets.append(credential.secret)
    issued = auth.application_credential(credential.secret, credential_id=credential.credential.id)
    with pytest.raises(AuthenticationFailed):
        auth.application_credential("x" + credential.secret, credential_id=credential.credential.id)

    logged = caplog.text
    assert "changed the password of user %s" % alice.id in logged
    assert "password authentication failed for user 'alice'" in logged
    assert "INSERT INTO users" in logged  # the SQL was logged, its parameters were not
    for secret in secrets:
        assert secret not in logged
        assert secret not in str(failed.value)
    assert issued.token not in logged
