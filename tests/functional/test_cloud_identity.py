"""The identity cloud modules against a real controller (SQLite, Fernet keys, bootstrap), run as processes.

Each test checks create / re-run unchanged / check mode / diff of one module; the policy
tests check that the library's refusals come back as clear 403 failures, the error test
that failures name the option to fix. Every result is scanned for the rig's passwords,
secrets and tokens (CloudRig.run). Independent runs go side by side (CloudRig.run_all)
to keep the suite short: each run is a Python process importing the library.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackling.errors import AuthenticationFailed
from stackling.identity.auth import ScopeRequest
from tests.functional.cloud_support import CloudRig, cloud_rig, new_secret, unique  # noqa: F401  (fixture)
from tests.support.collection import ensure_collection_link, run_module


def assert_ok(result: dict[str, Any], changed: bool) -> None:
    assert not result["failed"], result
    assert result["changed"] is changed, result


def assert_refused(result: dict[str, Any], action: str) -> None:
    assert result["failed"], result
    assert result["error_code"] == "policy_not_authorized" and result["policy_action"] == action, result
    assert result["msg"].startswith("403 Forbidden: policy does not allow %s" % action), result["msg"]
    assert "the caller is user" in result["msg"], result["msg"]


def test_project_create_rerun_check_diff_delete(cloud_rig: CloudRig) -> None:
    name, find = unique("proj"), cloud_rig.controller.identity.find_project
    planned = cloud_rig.run("project", check=True, diff=True, name=name, description="Web")
    assert_ok(planned, True)
    assert planned["diff"] == {"before": {}, "after": {
        "id": None, "name": name, "domain_id": "default", "description": "Web", "enabled": True}}
    assert find(cloud_rig.admin, name) is None, "check mode created the project"

    created = cloud_rig.run("project", diff=True, name=name, description="Web")
    assert_ok(created, True)
    project = find(cloud_rig.admin, name)
    assert project is not None and created["project"]["id"] == project.id and project.description == "Web"

    again = cloud_rig.run("project", diff=True, name=name, description="Web")
    assert_ok(again, False)
    assert again["diff"] == {"before": {}, "after": {}} and again["project"] == created["project"]

    disabled = cloud_rig.run("project", diff=True, name=name, enabled=False, description="Web")
    assert_ok(disabled, True)
    assert disabled["diff"] == {"before": {"enabled": True}, "after": {"enabled": False}}
    assert disabled["project"]["enabled"] is False and not getattr(find(cloud_rig.admin, name), "enabled")

    deleted = cloud_rig.run("project", diff=True, name=name, state="absent")
    assert_ok(deleted, True)
    assert deleted["diff"]["after"] == {} and deleted["diff"]["before"]["id"] == project.id
    assert find(cloud_rig.admin, name) is None


def test_user_password_on_create_or_always(cloud_rig: CloudRig) -> None:
    name, first, second = unique("user"), new_secret("first"), new_secret("second")
    cloud_rig.secrets_seen.update((first, second))
    identity, admin = cloud_rig.controller.identity, cloud_rig.admin
    planned = cloud_rig.run("user", check=True, diff=True, name=name, password=first)
    assert_ok(planned, True)
    assert planned["diff"]["after"] == {
        "id": None, "name": name, "domain_id": "default", "enabled": True, "has_password": True}
    assert identity.find_user(admin, name) is None

    created = cloud_rig.run("user", name=name, password=first)
    assert_ok(created, True)
    assert created["user"]["has_password"] and created["user"]["id"]
    identity.assign_role(admin, "reader", user=name, project=cloud_rig.projects["a"])

    def logs_in(password: str) -> bool:
        try:
            cloud_rig.controller.auth.password(name, password, ScopeRequest(project=cloud_rig.projects["a"]))
        except AuthenticationFailed:
            return False
        return True

    assert_ok(cloud_rig.run("user", name=name, password=second), False)  # on_create: kept
    assert logs_in(first) and not logs_in(second)

    changed = cloud_rig.run("user", diff=True, name=name, password=second, update_password="always", enabled=False)
    assert_ok(changed, True)
    assert changed["diff"] == {"before": {"password": "(hidden)", "enabled": True},
                               "after": {"password": "(hidden, replaced)", "enabled": False}}
    assert "password" not in changed["user"] and not getattr(identity.find_user(admin, name), "enabled")
    identity.update_user(admin, name, enabled=True)
    assert logs_in(second) and not logs_in(first)

    assert_ok(cloud_rig.run("user", name=name, state="absent"), True)
    assert identity.find_user(admin, name) is None


def test_group_members(cloud_rig: CloudRig) -> None:
    name, identity, admin = unique("group"), cloud_rig.controller.identity, cloud_rig.admin

    def members() -> list[str]:
        return [user.name for user in identity.list_group_users(admin, identity.get_group(admin, name).id)]

    planned = cloud_rig.run("group", check=True, diff=True, name=name, description="Ops", members=["alice"])
    assert_ok(planned, True)
    assert planned["diff"]["after"]["members"] == ["alice"] and planned["group"]["description"] == "Ops"
    assert not [g for g in identity.list_groups(admin) if g.name == name], "check mode created the group"

    created = cloud_rig.run("group", name=name, description="Ops", members=["alice"])
    assert_ok(created, True)
    assert created["group"]["members"] == ["alice"] and members() == ["alice"]
    results = cloud_rig.run_all({
        "again": ("group", {"name": name, "description": "Ops", "members": ["alice"]}),
        "other_description": ("group", {"name": name, "description": "Other"}),
    })
    assert_ok(results["again"], False)
    refused = results["other_description"]
    assert refused["failed"] and refused["field"] == "description", refused
    assert refused["msg"].startswith("description: group %s exists with the description 'Ops'" % name)

    swapped = cloud_rig.run("group", diff=True, name=name, members=["bob", "rita"])
    assert_ok(swapped, True)
    assert swapped["diff"] == {"before": {"members": ["alice"]}, "after": {"members": ["bob", "rita"]}}
    assert members() == ["bob", "rita"]

    assert_ok(cloud_rig.run("group", name=name, state="absent"), True)
    assert not [g for g in identity.list_groups(admin) if g.name == name]


def test_role_assignment_user_on_project_and_group_on_domain(cloud_rig: CloudRig) -> None:
    identity, admin = cloud_rig.controller.identity, cloud_rig.admin
    user, group = unique("granted"), unique("readers")
    identity.create_user(admin, user)
    identity.create_group(admin, group)
    grant: dict[str, Any] = {"role": "member", "user": user, "project": cloud_rig.projects["a"], "project_domain": "Default"}

    def grants() -> list[str]:
        return [g.role_name for g in identity.list_role_assignments(admin, user=user)]

    planned = cloud_rig.run("role_assignment", check=True, diff=True, **grant)
    assert_ok(planned, True)
    assert planned["diff"]["before"] == {} and planned["diff"]["after"]["role_name"] == "member"
    assert grants() == []
    made = cloud_rig.run("role_assignment", diff=True, **grant)
    assert_ok(made, True)
    assert grants() == ["member"] and made["role_assignment"]["project_id"] == cloud_rig.project_id("a")
    assert_ok(cloud_rig.run("role_assignment", **grant), False)

    results = cloud_rig.run_all({
        "on_domain": ("role_assignment", {"role": "reader", "group": group, "domain": "Default"}),
        "listed": ("role_assignment_info", {"user": user}),
    })
    on_domain, listed = results["on_domain"], results["listed"]
    assert_ok(on_domain, True)
    assert on_domain["role_assignment"]["domain_id"] == "default" and on_domain["role_assignment"]["group_id"]
    assert [g.role_name for g in identity.list_role_assignments(admin, group=group, domain="default")] == ["reader"]
    assert_ok(listed, False)
    assert [(g["role_name"], g["project_id"]) for g in listed["role_assignments"]] == [
        ("member", cloud_rig.project_id("a"))]

    revoked = cloud_rig.run("role_assignment", diff=True, state="absent", **grant)
    assert_ok(revoked, True)
    assert revoked["diff"]["after"] == {} and revoked["diff"]["before"]["role_name"] == "member"
    assert grants() == []


def test_quota_limits(cloud_rig: CloudRig) -> None:
    project = unique("quota")
    cloud_rig.controller.identity.create_project(cloud_rig.admin, project)

    def limits() -> dict[str, int]:
        return cloud_rig.controller.quotas.get_limits(cloud_rig.admin, project)

    planned = cloud_rig.run("quota", check=True, diff=True, project=project, instances=3, ports=-1, cores=20)
    assert_ok(planned, True)
    assert planned["diff"] == {"before": {"instances": 10, "ports": 500}, "after": {"instances": 3, "ports": -1}}
    assert limits()["instances"] == 10
    done = cloud_rig.run("quota", project=project, instances=3, ports=-1, cores=20)
    assert_ok(done, True)
    assert done["quotas"]["instances"] == 3 and limits()["ports"] == -1 and limits()["cores"] == 20
    assert_ok(cloud_rig.run("quota", project=project, instances=3, ports=-1), False)


def test_member_of_a_cannot_see_or_change_b_and_reader_cannot_write(cloud_rig: CloudRig) -> None:
    a, b = cloud_rig.projects["a"], cloud_rig.projects["b"]
    alice: dict[str, Any] = {"as_user": "alice", "scope": "a"}
    rita: dict[str, Any] = {"as_user": "rita", "scope": "a"}
    results = cloud_rig.run_all({
        "alice_sees_b": ("project_info", dict(alice, name=b)),
        "alice_changes_b": ("project", dict(alice, name=b, description="mine now")),
        "rita_reads_quota": ("quota_info", dict(rita, project=a)),
        "rita_sets_quota": ("quota", dict(rita, project=a, instances=100)),
        "rita_creates_user": ("user", dict(rita, check=True, name=unique("intruder"))),
        "rita_sees_herself": ("user_info", dict(rita, name="rita")),
    })
    assert_refused(results["alice_sees_b"], "identity:get_project")
    assert_refused(results["alice_changes_b"], "identity:get_project")
    assert_ok(results["rita_reads_quota"], False)
    assert results["rita_reads_quota"]["usage"]["instances"] == {"limit": 10, "in_use": 0}
    assert_refused(results["rita_sets_quota"], "quota:update")
    assert_refused(results["rita_creates_user"], "identity:create_user")
    assert [user["name"] for user in results["rita_sees_herself"]["users"]] == ["rita"]
    assert cloud_rig.controller.identity.get_project(cloud_rig.admin, b).description == ""
    assert cloud_rig.controller.quotas.get_limits(cloud_rig.admin, a)["instances"] == 10


def test_errors_name_the_option_to_fix(cloud_rig: CloudRig, tmp_path: Path) -> None:
    results = cloud_rig.run_all({
        "wrong_password": ("project_info", {"auth": dict(cloud_rig.auth("alice", "a"), password="not-it")}),
        "bad_token": ("project_info", {"token": "not-a-token"}),
        "no_config": ("project_info", {"config": str(tmp_path / "missing.yaml")}),
        "unknown_member": ("group", {"name": unique("group"), "members": ["nobody"]}),
    })
    expected = {
        "wrong_password": ("auth", "auth: 401 Unauthorized: the request you have made requires authentication"),
        "bad_token": ("token", "token: 401 Unauthorized"),
        "no_config": ("config", "config: config file %s not found" % (tmp_path / "missing.yaml")),
        "unknown_member": ("members", "members: 404 Not Found: user 'nobody' not found"),
    }
    for label, (field, message) in expected.items():
        result = results[label]
        assert result["failed"] and result["field"] == field and result["msg"].startswith(message), (label, result)


def test_auth_returns_a_token_the_other_modules_accept(cloud_rig: CloudRig) -> None:
    login = cloud_rig.run("auth", as_user="alice", scope="a", allowed=("token",))
    assert_ok(login, False)
    token = login["token"]
    cloud_rig.secrets_seen.add(token)
    assert login["roles"] == ["member", "reader"] and login["project_id"] == cloud_rig.project_id("a")
    assert login["expires_at"].endswith("Z") and not login["is_admin_project"]

    results = cloud_rig.run_all({
        "with_token": ("project_info", {"token": token}),
        "list_users": ("user_info", {"token": token}),
    })
    assert [p["name"] for p in results["with_token"]["projects"]] == [cloud_rig.projects["a"]]
    assert_refused(results["list_users"], "identity:list_users")


def test_application_credential_secret_once_renew_and_login(cloud_rig: CloudRig) -> None:
    name = unique("deploy")
    alice: dict[str, Any] = {"as_user": "alice", "scope": "a"}
    options: dict[str, Any] = dict(alice, name=name, roles=["reader"], description="CI", expires_at="2099-01-01T00:00:00Z")
    planned = cloud_rig.run("application_credential", check=True, diff=True, **options)
    assert_ok(planned, True)
    assert planned["secret"] is None and planned["diff"]["after"]["roles"] == ["reader"]

    created = cloud_rig.run("application_credential", **options)
    assert_ok(created, True)
    secret = created["secret"]
    cloud_rig.secrets_seen.add(secret)
    cloud_rig.assert_no_secret(created, allowed=("secret",))
    credential = created["application_credential"]
    assert credential["roles"] == ["reader"] and credential["expires_at"] == "2099-01-01T00:00:00Z"
    assert credential["project_id"] == cloud_rig.project_id("a")

    with_credential = {"username": "alice", "application_credential_name": name,
                       "application_credential_secret": secret}
    results = cloud_rig.run_all({
        "again": ("application_credential", dict(options)),
        "differs": ("application_credential", dict(options, check=True, roles=["member"])),
        "login": ("auth", {"auth": with_credential}),
        "nested": ("application_credential", {"auth": with_credential, "name": unique("nested")}),
    })
    assert_ok(results["again"], False)
    assert results["again"]["secret"] is None
    assert results["differs"]["failed"] and results["differs"]["msg"].startswith("renew: "), results["differs"]
    assert results["login"]["roles"] == ["reader"] and results["login"]["project_id"] == credential["project_id"]
    cloud_rig.secrets_seen.add(results["login"]["token"])
    assert_refused(results["nested"], "identity:create_application_credential")

    renewed = cloud_rig.run("application_credential", diff=True, allowed=("secret",),
                            **dict(options, roles=["member", "reader"], renew=True))
    assert_ok(renewed, True)
    cloud_rig.secrets_seen.add(renewed["secret"])
    assert renewed["secret"] != secret and renewed["application_credential"]["id"] != credential["id"]
    assert renewed["diff"] == {"before": {"roles": ["reader"]}, "after": {"roles": ["member", "reader"]}}
    gone = cloud_rig.run("application_credential", name=name, state="absent", **alice)
    assert_ok(gone, True)
    assert gone["application_credential"] is None


def test_group_info_lists_groups_with_members_and_refuses_project_members(cloud_rig: CloudRig) -> None:
    name, identity, admin = unique("group"), cloud_rig.controller.identity, cloud_rig.admin
    group = identity.create_group(admin, name, description="Ops")
    identity.add_user_to_group(admin, identity.get_user(admin, "rita").id, group.id)
    identity.add_user_to_group(admin, identity.get_user(admin, "alice").id, group.id)
    try:
        results = cloud_rig.run_all({
            "all": ("group_info", {}),
            "one": ("group_info", {"name": name, "domain": "Default"}),
            "missing": ("group_info", {"name": unique("nogroup")}),
            "bob_lists": ("group_info", {"as_user": "bob", "scope": "b"}),
            "bob_sees_one": ("group_info", {"as_user": "bob", "scope": "b", "name": group.id}),
        })
        for label in ("all", "one", "missing"):
            assert_ok(results[label], False)
        expected = {"id": group.id, "name": name, "domain_id": "default", "description": "Ops",
                    "members": ["alice", "rita"]}
        assert [g for g in results["all"]["groups"] if g["name"] == name] == [expected]
        assert results["one"]["groups"] == [expected]
        assert results["missing"]["groups"] == []
        assert_refused(results["bob_lists"], "identity:list_groups")
        assert_refused(results["bob_sees_one"], "identity:get_group")
    finally:
        identity.delete_group(admin, group.id)


def test_application_credential_info_lists_own_credentials_without_secrets(cloud_rig: CloudRig) -> None:
    name = unique("info")
    alice: dict[str, Any] = {"as_user": "alice", "scope": "a"}
    created = cloud_rig.run("application_credential", allowed=("secret",), name=name, roles=["reader"],
                            description="CI", **alice)
    assert_ok(created, True)
    secret = created["secret"]
    assert secret
    cloud_rig.secrets_seen.add(secret)
    credential = created["application_credential"]
    try:
        results = cloud_rig.run_all({
            "mine": ("application_credential_info", dict(alice)),
            "by_name": ("application_credential_info", dict(alice, name=name)),
            "by_admin": ("application_credential_info", {"user": "alice", "name": credential["id"]}),
            "bob_lists_alice": ("application_credential_info", {"as_user": "bob", "scope": "b", "user": "alice"}),
            "bob_lists_his": ("application_credential_info", {"as_user": "bob", "scope": "b"}),
        })
        for label in ("mine", "by_name", "by_admin", "bob_lists_his"):
            assert_ok(results[label], False)
            assert secret not in json.dumps(results[label]), label
            for shown in results[label]["application_credentials"]:
                assert "secret" not in shown, (label, shown)
        assert credential in results["mine"]["application_credentials"]
        assert results["by_name"]["application_credentials"] == [credential]
        assert results["by_admin"]["application_credentials"] == [credential]
        assert results["by_name"]["application_credentials"][0]["roles"] == ["reader"]
        assert not [c for c in results["bob_lists_his"]["application_credentials"] if c["name"] == name]
        assert_refused(results["bob_lists_alice"], "identity:list_application_credentials")
    finally:
        assert_ok(cloud_rig.run("application_credential", name=name, state="absent", **alice), True)


def test_cloud_entry_from_clouds_yaml(cloud_rig: CloudRig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    clouds = tmp_path / ".config" / "stackling" / "clouds.yaml"
    clouds.parent.mkdir(parents=True)
    auth = dict(cloud_rig.auth("alice", "a"), user_domain_name="Default")  # OpenStack's spelling is an alias
    clouds.write_text(yaml.safe_dump({"clouds": {"alice": {"config": str(cloud_rig.config), "auth": auth}}}))
    found = run_module("project_info", cloud="alice")
    assert not found["failed"], found
    assert [p["name"] for p in found["projects"]] == [cloud_rig.projects["a"]]
    cloud_rig.assert_no_secret(found)


def test_without_the_library_the_module_says_where_to_run(tmp_path: Path) -> None:
    shadow = tmp_path / "stackling"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise ImportError('no stackling on this Python')\n")
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"name": "web", "token": "not-a-real-token"}}))
    proc = subprocess.run(
        [sys.executable, "-m", "ansible_collections.stackling.cloud.plugins.modules.project", str(args)],
        capture_output=True, text=True, check=False,
        env=dict(os.environ, PYTHONPATH="%s:%s" % (tmp_path, ensure_collection_link())))
    result = json.loads(proc.stdout)
    assert result["failed"] and "Failed to import the required Python library (stackling" in result["msg"]
    assert "ansible_python_interpreter" in result["msg"] and "venv" in result["msg"]
