"""The policy engine: the rule language, the shipped defaults (secure by default), operator overrides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from stackling.context import Context
from stackling.errors import PolicyInvalid, PolicyNotAuthorized
from stackling.policy import Enforcer, compile_rules, default_rules, parse_rule


class Creds:
    def __init__(self, **credentials: Any) -> None:
        self.credentials = credentials

    def policy_credentials(self) -> dict[str, Any]:
        return self.credentials


def allowed(rule: str, target: dict[str, Any] | None = None, **credentials: Any) -> bool:
    enforcer = Enforcer(defaults={"action": rule, "is_admin": "role:admin", "nobody": "!"})
    return enforcer.check("action", target or {}, Creds(**credentials))


# --- the language ---------------------------------------------------------------------------------
def test_role_checks_are_case_insensitive() -> None:
    assert allowed("role:admin", roles=["Admin"])
    assert not allowed("role:admin", roles=["member"])


def test_and_binds_tighter_than_or_and_not_tighter_than_and() -> None:
    rule = "role:a or role:b and role:c"
    assert allowed(rule, roles=["a"])
    assert not allowed(rule, roles=["b"])
    assert allowed(rule, roles=["b", "c"])
    assert allowed("not role:a and role:b", roles=["b"])
    assert not allowed("not (role:a or role:b)", roles=["b"])
    assert allowed("(role:a or role:b) and role:c", roles=["b", "c"])
    assert str(parse_rule("role:a or role:b and not role:c")) == "(role:a or (role:b and not role:c))"


def test_always_and_never() -> None:
    assert allowed("@")
    assert not allowed("!")
    assert allowed("! or @")
    assert not allowed("not @")


def test_rule_references() -> None:
    assert allowed("rule:is_admin", roles=["admin"])
    assert not allowed("rule:is_admin or rule:nobody", roles=["reader"])


def test_generic_checks_against_the_target_and_literals() -> None:
    rule = "role:member and project_id:%(target.project_id)s"
    assert allowed(rule, {"project_id": "p1"}, roles=["member"], project_id="p1")
    assert not allowed(rule, {"project_id": "p2"}, roles=["member"], project_id="p1")
    assert allowed("is_admin_project:True", is_admin_project=True)
    assert not allowed("is_admin_project:True", is_admin_project=False)
    assert allowed("user_id:'u1'", user_id="u1")
    assert allowed("domain_id:%(target.project.domain_id)s", {"project": {"domain_id": "d"}}, domain_id="d")


def test_a_missing_or_null_value_never_matches() -> None:
    rule = "project_id:%(target.project_id)s"
    assert not allowed(rule, {}, project_id="p1")
    assert not allowed(rule, {"project_id": None}, project_id=None)
    assert not allowed(rule, {"project_id": "p1"})
    assert not allowed("project_id:%(project_id)s", {"project_id": "p1"}, project_id="p1")  # only target.* is looked up


@pytest.mark.parametrize(
    "bad", ["", "   ", "role:a and", "(role:a", "role:a)", "or role:a", "admin", "role:", "role:a role:b", "not"]
)
def test_malformed_rules_are_refused(bad: str) -> None:
    with pytest.raises(PolicyInvalid):
        parse_rule(bad)


def test_undefined_references_and_cycles_are_refused() -> None:
    with pytest.raises(PolicyInvalid, match="undefined rule 'ghost'"):
        compile_rules({"a": "rule:ghost"})
    with pytest.raises(PolicyInvalid, match="cycle"):
        compile_rules({"a": "rule:b", "b": "role:x or rule:a"})


# --- the shipped policy -----------------------------------------------------------------------------
def persona(kind: str, project: str = "A") -> Context:
    roles = {"reader": {"reader"}, "member": {"member", "reader"}, "admin": {"admin", "member", "reader"}}
    if kind == "cloud_admin":
        return Context("u-admin", "default", frozenset(roles["admin"]), project_id="ADMIN", is_admin_project=True)
    return Context("u-" + kind, "default", frozenset(roles[kind]), project_id=project)


MATRIX = [
    # persona, target project, action kind, allowed
    ("reader", "A", "read", True),
    ("reader", "A", "write", False),
    ("reader", "B", "read", False),
    ("reader", "B", "write", False),
    ("member", "A", "read", True),
    ("member", "A", "write", True),
    ("member", "B", "read", False),
    ("member", "B", "write", False),
    ("admin", "A", "read", True),  # admin of project A only: no cross-project power
    ("admin", "A", "write", True),
    ("admin", "B", "read", False),
    ("admin", "B", "write", False),
    ("cloud_admin", "A", "read", True),
    ("cloud_admin", "A", "write", True),
    ("cloud_admin", "B", "read", True),
    ("cloud_admin", "B", "write", True),
]
ACTIONS = {
    "read": ["compute:get_server", "compute:list_servers", "volume:get_volume", "network:get_network", "quota:get"],
    "write": ["compute:create_server", "compute:delete_server", "volume:create_volume", "network:create_network"],
}


@pytest.mark.parametrize(("who", "project", "kind", "expected"), MATRIX)
def test_default_policy_matrix(who: str, project: str, kind: str, expected: bool) -> None:
    enforcer = Enforcer()
    for action in ACTIONS[kind]:
        assert enforcer.check(action, {"project_id": project}, persona(who)) is expected, action


@pytest.mark.parametrize("who", ["reader", "member", "admin"])
def test_only_the_cloud_admin_administers_identity(who: str) -> None:
    enforcer = Enforcer()
    for action in ("identity:create_project", "identity:create_user", "identity:create_grant", "quota:update"):
        assert not enforcer.check(action, {"project_id": "A", "domain_id": "default"}, persona(who))
        assert enforcer.check(action, {"project_id": "A", "domain_id": "default"}, persona("cloud_admin"))


def test_unknown_actions_are_denied_even_for_the_cloud_admin() -> None:
    enforcer = Enforcer()
    assert not enforcer.check("compute:launch_missiles", {}, persona("cloud_admin"))
    with pytest.raises(PolicyNotAuthorized, match="compute:launch_missiles.*no rule is defined"):
        enforcer.enforce("compute:launch_missiles", {}, persona("cloud_admin"))


def test_policy_not_authorized_names_the_action_and_is_a_permission_error() -> None:
    with pytest.raises(PermissionError) as caught:
        Enforcer().enforce("compute:delete_server", {"project_id": "B"}, persona("member"))
    assert isinstance(caught.value, PolicyNotAuthorized)
    assert caught.value.action == "compute:delete_server"
    assert "compute:delete_server" in str(caught.value)


def test_every_shipped_rule_parses() -> None:
    rules = compile_rules(default_rules())
    assert "identity:create_project" in rules


# --- operator overrides ------------------------------------------------------------------------------
def test_an_operator_file_overrides_single_rules_and_is_reloaded(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text('"compute:get_server": "rule:admin_or_member"\n')
    enforcer = Enforcer(policy)
    assert not enforcer.check("compute:get_server", {"project_id": "A"}, persona("reader"))
    assert enforcer.check("compute:get_server", {"project_id": "A"}, persona("member"))
    assert enforcer.check("compute:list_servers", {"project_id": "A"}, persona("reader"))  # untouched default
    policy.write_text('"compute:get_server": "@"\n"compute:extra": "role:reader"\n')
    os.utime(policy, ns=(1, 1))  # a different mtime, whatever the clock's resolution
    assert enforcer.check("compute:get_server", {"project_id": "B"}, persona("reader"))
    assert enforcer.check("compute:extra", {}, persona("reader"))


def test_a_bad_operator_file_names_the_file_and_rule(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text('"compute:get_server": "role:reader and"\n')
    with pytest.raises(PolicyInvalid, match="policy.yaml: rule compute:get_server"):
        Enforcer(policy)
    with pytest.raises(PolicyInvalid, match="not found"):
        Enforcer(tmp_path / "absent.yaml")
