"""The scheduling cloud modules' pure pieces, in process: find_or_list, string-valued dicts,
aggregate metadata and host lists, flavor immutability, and how library validation errors name
the option."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.stackling.cloud.plugins.module_utils import _cloud
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import string_values
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_views import find_or_list
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput
from ansible_collections.stackling.cloud.plugins.modules import flavor, host_aggregate
from stackling import errors


def test_find_or_list() -> None:
    items = {"a": 1, "b": 2}
    assert find_or_list("a", items.get, items.values) == [1]
    assert find_or_list("z", items.get, items.values) == []
    assert find_or_list(None, items.get, items.values) == [1, 2]


def test_string_values_turn_numbers_into_strings_and_name_bad_keys() -> None:
    assert string_values("metadata", {"cores": 8, "disk": "ssd", "ratio": 1.5}) == {
        "cores": "8", "disk": "ssd", "ratio": "1.5"}
    assert string_values("extra_specs", {"gone": None}, allow_null=True) == {"gone": None}
    for bad in ({"x": None}, {"x": True}, {"x": [1]}):
        with pytest.raises(InvalidInput, match="^metadata.x: expected a string"):
            string_values("metadata", bad)


def params(**given: Any) -> dict[str, Any]:
    defaults = {"metadata": None, "availability_zone": None, "purge_metadata": False, "hosts": None,
                "purge_hosts": True}
    return dict(defaults, **given)


def test_aggregate_metadata_merge_purge_and_zone_shortcut() -> None:
    current = {"disk": "ssd", "availability_zone": "az1"}
    assert host_aggregate.desired_metadata(params(), current) is None
    assert host_aggregate.desired_metadata(params(metadata={"gpu": 1}), current) == dict(current, gpu="1")
    assert host_aggregate.desired_metadata(params(availability_zone="az2", purge_metadata=True), current) == {
        "availability_zone": "az2"}
    assert host_aggregate.desired_metadata(params(purge_metadata=True), current) == {}
    with pytest.raises(InvalidInput, match="^availability_zone: "):
        host_aggregate.desired_metadata(params(metadata={"availability_zone": "a"}, availability_zone="b"), {})


def test_aggregate_hosts_exact_or_added() -> None:
    assert host_aggregate.desired_hosts(params(), ["cn1"]) is None
    assert host_aggregate.desired_hosts(params(hosts=["cn2", "cn2"]), ["cn1"]) == ["cn2"]
    assert host_aggregate.desired_hosts(params(hosts=["cn2"], purge_hosts=False), ["cn1"]) == ["cn1", "cn2"]


def test_flavor_sizes_are_immutable() -> None:
    current = {"name": "m1", "vcpus": 1, "ram": 512, "disk": 1, "ephemeral": 0, "swap": 0, "is_public": True}
    given = dict.fromkeys(flavor.IMMUTABLE)
    flavor.check_immutable(current, dict(given, vcpus=1, is_public=True))
    with pytest.raises(InvalidInput, match="^ram: flavors are immutable .*create a new flavor"):
        flavor.check_immutable(current, dict(given, ram=1024))


def test_validation_errors_name_their_field_and_missing_plurals_their_option() -> None:
    bad = errors.ValidationError("inventory.VCPU: total is required", field="inventory.VCPU")
    assert _cloud._field_of(bad, {"inventory": None}) == "inventory.VCPU"
    assert _cloud.library_error(bad, "inventory.VCPU").msg == "inventory.VCPU: 400 Bad Request: total is required"
    assert _cloud._field_of(errors.NotFound("host", "cn9"), {"hosts": None}) == "hosts"
    assert _cloud._field_of(errors.NotFound("host", "cn9"), {"name": None}) is None


def test_inventory_numbers_from_templated_strings() -> None:
    from ansible_collections.stackling.cloud.plugins.modules import compute_host

    assert compute_host.inventory_numbers(None) is None
    assert compute_host.inventory_numbers({"VCPU": {"total": "16", "allocation_ratio": "4.0", "max_unit": None}}) == {
        "VCPU": {"total": 16, "allocation_ratio": 4.0, "max_unit": None}}
    with pytest.raises(InvalidInput, match="^inventory.VCPU.total: "):
        compute_host.inventory_numbers({"VCPU": {"total": "many"}})
    with pytest.raises(InvalidInput, match="^inventory.VCPU: expected a dict"):
        compute_host.inventory_numbers({"VCPU": 16})
