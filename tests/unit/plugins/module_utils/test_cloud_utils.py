"""The cloud modules' shared pieces, in process: the state plan and diff, times, the auth options,
clouds.yaml lookup and how library errors become module failures."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from ansible_collections.stackling.cloud.plugins.module_utils import _cloud
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import (
    format_time,
    parse_time,
    plan,
    plan_diff,
    state_result,
    wanted,
)
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput
from ansible_collections.stackling.cloud.plugins.modules.quota import RESOURCES, desired_limits
from stackling import errors
from stackling.quota.resources import RESOURCES as LIBRARY_RESOURCES

CURRENT = {"id": "p1", "name": "web", "description": "old", "enabled": True}


def test_wanted_drops_options_not_given() -> None:
    assert wanted(description=None, enabled=False, roles=[]) == {"enabled": False, "roles": []}


def test_plan_create_update_delete_and_nothing() -> None:
    create = plan(None, {"description": "d"}, "present", {"id": None, "name": "web", "description": "d"})
    assert create.action == "create" and create.after == {"id": None, "name": "web", "description": "d"}
    assert plan_diff(create) == {"before": {}, "after": {"id": None, "name": "web", "description": "d"}}

    update = plan(CURRENT, {"description": "new", "enabled": True}, "present")
    assert update.action == "update" and update.keys == ["description"]
    assert update.after == dict(CURRENT, description="new")
    assert plan_diff(update) == {"before": {"description": "old"}, "after": {"description": "new"}}

    delete = plan(CURRENT, {"description": "new"}, "absent")
    assert delete.action == "delete" and plan_diff(delete) == {"before": CURRENT, "after": {}}

    for nothing in (plan(CURRENT, {"enabled": True}, "present"), plan(None, {}, "absent")):
        assert not nothing.changed and plan_diff(nothing) == {"before": {}, "after": {}}


def test_state_result_has_a_diff_only_in_diff_mode() -> None:
    change = plan(CURRENT, {"enabled": False}, "present")
    quiet = state_result(SimpleNamespace(_diff=False), change, "project", change.after)
    assert quiet == {"changed": True, "project": dict(CURRENT, enabled=False)}
    loud = state_result(SimpleNamespace(_diff=True), change, "project", change.after, extra=1)
    assert loud["diff"] == {"before": {"enabled": True}, "after": {"enabled": False}} and loud["extra"] == 1


@pytest.mark.parametrize("text, expected", [
    ("2030-01-31T12:00:00Z", "2030-01-31T12:00:00Z"),
    ("2030-01-31T12:00:00", "2030-01-31T12:00:00Z"),
    ("2030-01-31T14:00:00+02:00", "2030-01-31T12:00:00Z"),
    (" 2030-01-31T12:00:00.250000z ", "2030-01-31T12:00:00.250000Z"),
])
def test_times_are_utc_with_a_z(text: str, expected: str) -> None:
    assert format_time(parse_time("expires_at", text)) == expected


def test_bad_time_names_the_option() -> None:
    assert parse_time("expires_at", None) is None and format_time(None) is None
    assert format_time(datetime(2030, 1, 1)) == "2030-01-01T00:00:00Z"
    with pytest.raises(InvalidInput, match="^expires_at: expected an ISO 8601 time"):
        parse_time("expires_at", "next tuesday")


def test_quota_module_knows_the_librarys_resources() -> None:
    assert tuple(RESOURCES) == tuple(LIBRARY_RESOURCES)


def test_quota_limits_are_minus_one_or_more() -> None:
    params = dict((resource, None) for resource in RESOURCES)
    assert desired_limits(dict(params, cores=0, ports=-1)) == {"cores": 0, "ports": -1}
    with pytest.raises(InvalidInput, match=r"^cores: a limit is -1 \(unlimited\) or a number >= 0, got -5$"):
        desired_limits(dict(params, cores=-5))


@pytest.mark.parametrize("auth, field", [
    ({"username": "a", "password": "p"}, "auth.project"),
    ({"application_credential_secret": "s"}, "auth.application_credential_id"),
])
def test_check_auth_wants_a_scope_or_a_credential(auth: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        _cloud.check_auth("auth", auth)
    assert raised.value.field == field
    _cloud.check_auth("auth", {"username": "a", "password": "p", "domain": "Default"})
    _cloud.check_auth("auth", {"application_credential_secret": "s", "application_credential_id": "c"})


def _module() -> SimpleNamespace:
    return SimpleNamespace(no_log_values=set())


def test_clouds_yaml_entry_is_validated_like_the_auth_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    clouds = tmp_path / ".config" / "stackling" / "clouds.yaml"
    clouds.parent.mkdir(parents=True)
    auth = {"username": "alice", "password": "s3cret-pw", "project_name": "web"}
    clouds.write_text(yaml.safe_dump({"clouds": {"web": {"auth": auth, "config": "controller.yaml"},
                                                 "odd": {"auth": {"username": "x"}, "region_name": "r1"}}}))
    module = _module()
    path, entry = _cloud.find_cloud("web")
    validated = _cloud.validate_cloud_auth(module, "web", path, entry["auth"])
    assert validated["project"] == "web" and validated["user_domain"] == "default"
    assert "s3cret-pw" in module.no_log_values, "a password read from clouds.yaml must be hidden like an option"
    assert _cloud._entry_config(path, entry["config"]) == str(clouds.parent / "controller.yaml")

    with pytest.raises(InvalidInput, match=r"^cloud: no cloud named 'nope' in .*clouds.yaml \(odd, web\)"):
        _cloud.find_cloud("nope")
    with pytest.raises(InvalidInput, match="unknown key.* region_name"):
        _cloud.find_cloud("odd")
    with pytest.raises(InvalidInput, match="^cloud: .*one of the following is required"):
        _cloud.validate_cloud_auth(_module(), "odd", path, {"username": "x"})


def test_library_errors_become_one_message_naming_the_option() -> None:
    missing = _cloud.library_error(errors.NotFound("user", "bob"), "members")
    assert missing.msg == "members: 404 Not Found: user 'bob' not found"
    assert missing.details == {"error_code": "not_found", "field": "members"}

    ctx = SimpleNamespace(user_id="u1", roles=frozenset({"reader"}), project_id="p1", domain_id=None,
                          application_credential_id=None)
    cloud = _cloud.Cloud(SimpleNamespace(identity=None, quotas=None), ctx)
    refused = _cloud.library_error(errors.PolicyNotAuthorized("identity:create_user"), None, cloud)
    assert refused.msg == ("403 Forbidden: policy does not allow identity:create_user to be performed; "
                           "the caller is user u1 with roles [reader] on project p1")
    assert refused.details == {"error_code": "policy_not_authorized", "policy_action": "identity:create_user"}

    assert _cloud.library_error(errors.TokenExpired("token has expired"), "token").msg == (
        "token: 401 Unauthorized (token expired): token has expired")
    assert _cloud.library_error(errors.ConfigError("token.expiration: bad"), "config").msg == (
        "config: token.expiration: bad")


def test_auth_returns_a_token_it_issued_never_one_it_was_given() -> None:
    from ansible_collections.stackling.cloud.plugins.modules import auth

    ctx = SimpleNamespace(user_id="u1", roles=frozenset({"member", "reader"}), project_id="p1", domain_id=None,
                          is_admin_project=False, expires_at=datetime(2030, 1, 1, 13, tzinfo=timezone.utc))
    cloud = SimpleNamespace(ctx=ctx, token="issued-token")
    logged_in = auth.run(SimpleNamespace(params={"token": None}), cloud)
    assert logged_in == {"changed": False, "token": "issued-token", "expires_at": "2030-01-01T13:00:00Z",
                         "user_id": "u1", "project_id": "p1", "domain_id": None, "roles": ["member", "reader"],
                         "is_admin_project": False}
    assert auth.run(SimpleNamespace(params={"token": "given"}), cloud)["token"] is None
