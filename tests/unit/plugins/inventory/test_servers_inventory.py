"""The servers inventory's pure pieces, in process: group names, which address becomes
ansible_host, the default groups and the host names when server names collide."""

from __future__ import annotations

from typing import Any

from ansible_collections.stackling.cloud.plugins.inventory.servers import (
    choose_address,
    default_groups,
    fixed_addresses,
    group_name,
    host_names,
)


def facts(**fields: Any) -> dict[str, Any]:
    base = {"id": "id-1", "name": "web-1", "project_id": "p1", "project_name": "shop-prod", "status": "ACTIVE",
            "flavor_id": "f1", "flavor_name": "m1.small", "image_id": "i1", "image_name": None,
            "availability_zone": "nova", "addresses": {"private": ["10.0.0.5"], "ops": ["10.1.0.7", "10.1.0.8"]},
            "floating_ips": [], "metadata": {}}
    base.update(fields)
    return base


def test_group_name_keeps_letters_digits_and_underscores() -> None:
    assert group_name("project", "shop-prod") == "project_shop_prod"
    assert group_name("flavor", "m1.small") == "flavor_m1_small"
    assert group_name("meta", "role", "web server") == "meta_role_web_server"


def test_a_floating_ip_wins_unless_fixed_is_asked_for() -> None:
    server = facts(floating_ips=[{"floating_ip_address": "203.0.113.9", "fixed_ip_address": "10.1.0.8"}])
    every = fixed_addresses(server, None)
    assert every == ["10.0.0.5", "10.1.0.7", "10.1.0.8"]
    assert choose_address(server, every, prefer_floating=True) == "203.0.113.9"
    assert choose_address(server, every, prefer_floating=False) == "10.0.0.5"


def test_a_network_narrows_the_candidates_floating_ips_included() -> None:
    server = facts(floating_ips=[{"floating_ip_address": "203.0.113.9", "fixed_ip_address": "10.0.0.5"}])
    on_ops = fixed_addresses(server, {"id": "n-ops", "name": "ops"})
    assert on_ops == ["10.1.0.7", "10.1.0.8"]
    assert choose_address(server, on_ops, prefer_floating=True) == "10.1.0.7", "that floating IP is on private"
    assert choose_address(server, fixed_addresses(server, {"id": "n-x", "name": "x"}), True) is None


def test_an_unnamed_network_is_found_by_its_id() -> None:
    server = facts(addresses={"n-42": ["10.2.0.3"]})
    assert fixed_addresses(server, {"id": "n-42", "name": ""}) == ["10.2.0.3"]


def test_default_groups() -> None:
    server = facts(metadata={"group": "web, frontend", "tier": "1"})
    assert default_groups(server) == ["stackling", "project_shop_prod", "flavor_m1_small", "image_i1",
                                      "status_active", "az_nova", "web", "frontend", "meta_group_web__frontend",
                                      "meta_tier_1"]


def test_colliding_names_become_ids() -> None:
    servers = [facts(id="a", name="web-1"), facts(id="b", name="web-1"), facts(id="c", name="db-1")]
    assert host_names(servers, "name") == {"a": "a", "b": "b", "c": "db-1"}
    assert host_names(servers, "id") == {"a": "a", "b": "b", "c": "c"}
