"""The security group cloud modules (security_group, security_group_rule, security_group_info)
against a real controller, run as processes: check mode changes nothing, a second run changes
nothing, an equal rule is found whatever its spelling, errors name the option, and bob (project
b) neither sees nor uses alice's groups. Enforcement on the hosts: tests/functional/test_port_security.py."""

from __future__ import annotations

from typing import Any

from tests.functional.cloud_support import CloudRig, cloud_rig, unique  # noqa: F401  (fixture)
from tests.functional.test_cloud_scheduling import assert_fails, assert_ok, assert_refused


def as_user(user: str, scope: str, **params: Any) -> dict[str, Any]:
    return dict(params, as_user=user, scope=scope)


def test_groups_and_rules_as_a_tenant(cloud_rig: CloudRig) -> None:
    rig, run = cloud_rig, cloud_rig.run
    web = unique("web")
    planned = run("security_group", check=True, diff=True, **as_user("alice", "a", name=web, description="web"))
    assert_ok(planned, True)
    assert planned["security_group"]["id"] is None and len(planned["security_group"]["security_group_rules"]) == 2
    made = run("security_group", **as_user("alice", "a", name=web, description="web"))
    assert_ok(made, True)
    assert {r["direction"] for r in made["security_group"]["security_group_rules"]} == {"egress"}
    assert_ok(run("security_group", **as_user("alice", "a", name=web, description="web")), False)

    ssh = as_user("alice", "a", security_group=web, protocol="tcp", port_range_min=22)
    assert_ok(run("security_group_rule", check=True, **ssh), True)
    added = run("security_group_rule", **ssh)
    assert_ok(added, True)
    assert added["rule"]["port_range_max"] == 22
    assert_ok(run("security_group_rule", **dict(ssh, port_range_max=22)), False)  # the same rule
    icmp = as_user("alice", "a", security_group=web, protocol="icmp", remote_ip_prefix="10.0.0.7/24")
    assert run("security_group_rule", **icmp)["rule"]["remote_ip_prefix"] == "10.0.0.0/24"
    assert_ok(run("security_group_rule", **dict(icmp, remote_ip_prefix="10.0.0.0/24")), False)
    assert_fails(run("security_group_rule", **dict(ssh, protocol="any")), "port_range_min", "tcp and udp")
    assert_fails(run("security_group_rule", **dict(ssh, remote_group="nope")), "remote_group")

    info = run("security_group_info", **as_user("alice", "a"))
    names = [group["name"] for group in info["security_groups"]]
    assert "default" in names and web in names
    assert len(next(g for g in info["security_groups"] if g["name"] == web)["security_group_rules"]) == 4
    assert web not in [g["name"] for g in run("security_group_info", **as_user("bob", "b"))["security_groups"]]
    assert_fails(run("security_group_rule", **as_user("bob", "b", security_group=web)), "security_group", "not found")
    assert_refused(
        run("security_group_rule", **as_user("rita", "a", security_group=web, protocol="udp")),
        "network:create_security_group_rule",
    )

    removed = run("security_group_rule", **dict(ssh, state="absent"))
    assert_ok(removed, True)
    assert_ok(run("security_group_rule", **dict(ssh, state="absent")), False)
    assert_ok(run("security_group", **as_user("alice", "a", name=web, state="absent")), True)
    assert rig.controller.networking.security_groups.find(rig.admin, web, project=rig.project_id("a")) is None
