"""stackling.cloud.ip_netns against the real kernel; every namespace is deleted afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.collection import run_module
from tests.support.netns import delete_netns, netns_exists, new_name, sh


@pytest.fixture()
def ns_name() -> Iterator[str]:
    name = new_name("ipn")
    yield name
    delete_netns(name)


def test_create_is_idempotent_and_diffs(ns_name: str) -> None:
    first = run_module("ip_netns", diff=True, name=ns_name)
    assert first["changed"] is True, first
    assert first["netns"] == {"name": ns_name, "exists": True}
    assert first["diff"] == {"before": {}, "after": {"name": ns_name}}
    assert netns_exists(ns_name)

    again = run_module("ip_netns", diff=True, name=ns_name)
    assert again["changed"] is False and again["commands"] == [], again


def test_check_mode_changes_nothing(ns_name: str) -> None:
    planned = run_module("ip_netns", check=True, name=ns_name)
    assert planned["changed"] is True
    assert planned["commands"] and "netns add" in planned["commands"][0]
    assert not netns_exists(ns_name)

    sh("ip", "netns", "add", ns_name)
    planned = run_module("ip_netns", check=True, name=ns_name, state="absent")
    assert planned["changed"] is True
    assert netns_exists(ns_name)


def test_delete(ns_name: str) -> None:
    sh("ip", "netns", "add", ns_name)
    gone = run_module("ip_netns", diff=True, name=ns_name, state="absent")
    assert gone["changed"] is True, gone
    assert gone["diff"] == {"before": {"name": ns_name}, "after": {}}
    assert gone["netns"] == {"name": ns_name, "exists": False}
    assert not netns_exists(ns_name)
    assert run_module("ip_netns", name=ns_name, state="absent")["changed"] is False


@pytest.mark.parametrize("bad", ["a/b", "", "-lead", "x" * 65, "sp ace"])
def test_bad_name_is_refused_naming_the_field(bad: str) -> None:
    result = run_module("ip_netns", name=bad)
    assert result["failed"] is True
    assert result["msg"].startswith("name: "), result["msg"]
