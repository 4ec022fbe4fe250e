"""Tenant isolation: a member of project A can neither see nor change project B."""

from __future__ import annotations

import pytest

from stackling.context import Context
from stackling.errors import PolicyNotAuthorized
from stackling.identity.types import Project
from tests.library.helpers import Cloud


@pytest.fixture()
def tenants(cloud: Cloud) -> tuple[Context, Project, Project]:
    a, b = cloud.project("tenant-a"), cloud.project("tenant-b")
    cloud.user("amy", a, role="admin")  # even an admin of A
    cloud.user("bert", b)
    return cloud.login("amy", "tenant-a"), a, b


def test_a_member_sees_only_their_project(cloud: Cloud, tenants: tuple[Context, Project, Project]) -> None:
    amy, a, b = tenants
    assert cloud.c.identity.list_projects(amy) == [a]
    assert cloud.c.identity.get_project(amy, a.id) == a
    with pytest.raises(PolicyNotAuthorized, match="identity:get_project"):
        cloud.c.identity.get_project(amy, b.id)
    with pytest.raises(PolicyNotAuthorized):
        cloud.c.identity.list_role_assignments(amy, project=b.id)
    grants = cloud.c.identity.list_role_assignments(amy)
    assert {g.project_id for g in grants} == {a.id}


def test_a_member_cannot_change_another_project(cloud: Cloud, tenants: tuple[Context, Project, Project]) -> None:
    amy, a, b = tenants
    bert = cloud.c.identity.get_user(cloud.admin, "bert")
    attempts = [
        lambda: cloud.c.identity.update_project(amy, b.id, enabled=False),
        lambda: cloud.c.identity.delete_project(amy, b.id),
        lambda: cloud.c.identity.assign_role(amy, "member", user="amy", project=b.id),
        lambda: cloud.c.identity.unassign_role(amy, "member", user=bert.id, project=b.id),
        lambda: cloud.c.identity.set_password(amy, bert.id, "hijacked-1"),
        lambda: cloud.c.identity.update_user(amy, bert.id, enabled=False),
        lambda: cloud.c.quotas.set_limits(amy, b.id, {"instances": 100}),
        lambda: cloud.c.quotas.get_usage(amy, b.id),
        lambda: cloud.c.identity.create_project(amy, "tenant-c"),
        lambda: cloud.c.identity.list_users(amy),
    ]
    for attempt in attempts:
        with pytest.raises(PolicyNotAuthorized):
            attempt()
    assert cloud.c.identity.get_project(cloud.admin, b.id).enabled
    assert cloud.login("bert", "tenant-b").roles == {"member", "reader"}


def test_a_project_admin_cannot_even_administer_their_own_project_identity(
    cloud: Cloud, tenants: tuple[Context, Project, Project]
) -> None:
    amy, a, _ = tenants
    with pytest.raises(PolicyNotAuthorized):
        cloud.c.identity.update_project(amy, a.id, enabled=False)
    with pytest.raises(PolicyNotAuthorized):
        cloud.c.quotas.set_limits(amy, a.id, {"instances": 100})
    assert cloud.c.quotas.get_limits(amy, a.id)["instances"] == 10  # reading its own quota is fine


def test_the_cloud_admin_sees_everything(cloud: Cloud, tenants: tuple[Context, Project, Project]) -> None:
    _, a, b = tenants
    assert {p.name for p in cloud.c.identity.list_projects(cloud.admin)} == {"admin", "tenant-a", "tenant-b"}
    assert cloud.c.quotas.get_usage(cloud.admin, b.id)["instances"].in_use == 0
