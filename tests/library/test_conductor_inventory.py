"""The conductor's reading of its own YAML inventory: group and host vars, nested groups."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stackling.conductor import read_inventory
from stackling.errors import ConfigError


def test_host_vars_overlay_group_vars_and_groups_list_nested_hosts(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"all": {"vars": {"stackling_tunnel_address": "", "x": 1}, "children": {
        "compute": {"vars": {"x": 2}, "hosts": {"cn1": {"stackling_tunnel_address": "10.0.0.1"}, "cn2": None}},
        "network": {"vars": {"x": 3}, "hosts": {"net1": {"stackling_tunnel_address": "10.0.0.9"}, "cn1": {}}}}}}))  # fmt: skip
    inventory = read_inventory(path)
    assert inventory.tunnel_address("cn1") == "10.0.0.1" and inventory.tunnel_address("cn2") == ""
    assert inventory.var("cn2", "x") == 2 and inventory.var("net1", "x") == 3 and inventory.var("cn1", "x") == 3
    assert inventory.groups["network"] == ("cn1", "net1") and inventory.groups["all"] == ("cn1", "cn2", "net1")
    assert inventory.tunnel_address("nowhere") == ""


def test_a_missing_or_broken_inventory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_inventory(tmp_path / "nope.yml")
    (tmp_path / "bad.yml").write_text("- a list\n")
    with pytest.raises(ConfigError, match="not a YAML inventory"):
        read_inventory(tmp_path / "bad.yml")
