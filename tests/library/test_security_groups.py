"""Security groups (stackling.networking.security_groups) through the policy, on SQLite and
PostgreSQL: the default group, rule validation and matching, tenant isolation, quotas, and the
refusal to delete a group a port uses."""

from __future__ import annotations

import pytest

from stackling.context import Context
from stackling.errors import Conflict, NotFound, OverQuota, PolicyNotAuthorized, ValidationError
from stackling.networking import RuleRequest, SecurityGroupRule, SecurityGroupService
from tests.library.helpers import Cloud


@pytest.fixture()
def sg(cloud: Cloud) -> SecurityGroupService:
    return cloud.c.networking.security_groups


def login(cloud: Cloud, user: str, project: str, role: str = "member") -> Context:
    made = [p for p in cloud.c.identity.list_projects(cloud.admin) if p.name == project]
    cloud.user(user, made[0] if made else cloud.project(project), role=role)
    return cloud.login(user, project)


def shape(rules: tuple[SecurityGroupRule, ...]) -> set[tuple[str, str, str, str | None]]:
    return {(r.direction, r.ethertype, r.protocol, r.remote_group_id) for r in rules}


def test_default_group_is_made_on_first_need_and_allows_its_members(cloud: Cloud, sg: SecurityGroupService) -> None:
    alice = login(cloud, "alice", "sg-a")
    groups = sg.list(alice)
    assert [g.name for g in groups] == ["default"]
    default = groups[0]
    assert shape(default.rules) == {
        ("egress", "IPv4", "any", None),
        ("egress", "IPv6", "any", None),
        ("ingress", "IPv4", "any", default.id),
        ("ingress", "IPv6", "any", default.id),
    }
    assert sg.list(alice) == groups  # made once
    web = sg.create(alice, "web", description="web servers")
    assert shape(web.rules) == {("egress", "IPv4", "any", None), ("egress", "IPv6", "any", None)}
    with pytest.raises(Conflict, match="named 'web'"):
        sg.create(alice, "web")
    with pytest.raises(Conflict, match="renamed"):
        sg.update(alice, "default", name="other")
    assert sg.update(alice, "web", name="www").name == "www"


def test_rules_are_validated_normalised_and_matched(cloud: Cloud, sg: SecurityGroupService) -> None:
    alice = login(cloud, "alice", "sg-a")
    sg.create(alice, "web")
    ssh = sg.add_rule(alice, "web", RuleRequest(protocol="TCP", port_range_min=22))
    assert (ssh.protocol, ssh.port_range_min, ssh.port_range_max) == ("tcp", 22, 22)
    assert sg.find_rule(alice, "web", RuleRequest(protocol="tcp", port_range_min=22, port_range_max=22)) == ssh
    with pytest.raises(Conflict, match="already has this rule"):
        sg.add_rule(alice, "web", RuleRequest(protocol="tcp", port_range_min=22, port_range_max=22))
    net = sg.add_rule(alice, "web", RuleRequest(protocol="icmp", remote_ip_prefix="10.1.2.3/24"))
    assert net.remote_ip_prefix == "10.1.2.0/24"
    anywhere = sg.add_rule(alice, "web", RuleRequest(protocol="udp", port_range_min=53, remote_ip_prefix="0.0.0.0/0"))
    assert anywhere.remote_ip_prefix is None
    bad = [
        (RuleRequest(protocol="icmp", port_range_min=300), "port_range_min"),
        (RuleRequest(protocol="any", port_range_min=22), "port_range_min"),
        (RuleRequest(protocol="tcp", port_range_min=90, port_range_max=80), "port_range_min"),
        (RuleRequest(protocol="gre"), "protocol"),
        (RuleRequest(direction="inbound"), "direction"),
        (RuleRequest(remote_ip_prefix="10.0.0.300/8"), "remote_ip_prefix"),
        (RuleRequest(ethertype="IPv6", remote_ip_prefix="10.0.0.0/8"), "remote_ip_prefix"),
        (RuleRequest(remote_ip_prefix="10.0.0.0/8", remote_group="web"), "remote_group"),
        (RuleRequest(remote_group="nope"), "remote_group"),
    ]
    for request, field in bad:
        with pytest.raises(ValidationError) as caught:
            sg.add_rule(alice, "web", request)
        assert caught.value.field == field, request
    sg.delete_rule(alice, ssh.id)
    assert sg.find_rule(alice, "web", RuleRequest(protocol="tcp", port_range_min=22)) is None
    with pytest.raises(NotFound):
        sg.delete_rule(alice, ssh.id)


def test_projects_cannot_see_or_use_each_others_groups(cloud: Cloud, sg: SecurityGroupService) -> None:
    alice, bob = login(cloud, "alice", "sg-a"), login(cloud, "bob", "sg-b")
    rita = login(cloud, "rita", "sg-a", role="reader")
    web = sg.create(alice, "web")
    assert sg.find(bob, web.id) is None and sg.find(bob, "web") is None
    assert [g.name for g in sg.list(bob)] == ["default"]
    with pytest.raises(NotFound):
        sg.add_rule(bob, web.id, RuleRequest())
    sg.create(bob, "mine")
    with pytest.raises(ValidationError, match="remote_group"):
        sg.add_rule(bob, "mine", RuleRequest(remote_group=web.id))
    with pytest.raises(NotFound):
        sg.resolve(bob, [web.id])
    assert sg.get(rita, "web").id == web.id
    with pytest.raises(PolicyNotAuthorized):
        sg.add_rule(rita, "web", RuleRequest(protocol="icmp"))
    assert {g.project_id for g in sg.list(cloud.admin, all_projects=True)} >= {web.project_id}


def test_quotas_count_groups_and_rules(cloud: Cloud, sg: SecurityGroupService) -> None:
    alice = login(cloud, "alice", "sg-a")
    project = next(p for p in cloud.c.identity.list_projects(cloud.admin) if p.name == "sg-a")
    sg.list(alice)  # the default group: 1 group, 4 rules
    cloud.c.quotas.set_limits(cloud.admin, project.id, {"security_groups": 2, "security_group_rules": 7})
    sg.create(alice, "web")  # 2 egress rules: 6
    with pytest.raises(OverQuota):
        sg.create(alice, "db")
    sg.add_rule(alice, "web", RuleRequest(protocol="icmp"))  # 7
    with pytest.raises(OverQuota):
        sg.add_rule(alice, "web", RuleRequest(protocol="tcp", port_range_min=22))
    sg.delete(alice, "web")
    sg.create(alice, "db")  # room again: the group's rules were given back


def test_a_group_in_use_cannot_be_deleted_and_remote_rules_go_with_their_group(
    cloud: Cloud, sg: SecurityGroupService
) -> None:
    alice = login(cloud, "alice", "sg-a")
    net = cloud.c.networking
    network = net.networks.create(alice, "private")
    net.subnets.create(alice, network.id, "10.0.0.0/24")
    port = net.ports.create(alice, network.id)
    web, db = sg.create(alice, "web"), sg.create(alice, "db")
    sg.add_rule(alice, "db", RuleRequest(protocol="tcp", port_range_min=5432, remote_group="web"))
    changed: list[frozenset[str]] = []
    sg.on_change = changed.append
    with cloud.c.db.write() as session:
        sg.bind(session, port.id, sg.resolve(alice, ["web"]))
    with pytest.raises(Conflict, match="used by port %s" % port.id):
        sg.delete(alice, "web")
    with pytest.raises(PolicyNotAuthorized):
        sg.delete(alice, "default")
    net.ports.delete(alice, port.id)
    sg.delete(alice, "web")
    assert changed == [frozenset({db.id})]
    assert [r.protocol for r in sg.get(alice, "db").rules] == ["any", "any"]
    assert sg.find(alice, web.id) is None
