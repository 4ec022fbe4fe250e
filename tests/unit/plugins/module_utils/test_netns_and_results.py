"""The shared pieces every node module uses: commands in a namespace (_netns) and the result (_diff)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible_collections.stackling.cloud.plugins.module_utils._diff import change_result, command_strings
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput
from ansible_collections.stackling.cloud.plugins.module_utils._netns import netns_argv, netns_option, validate_netns


@pytest.mark.parametrize("netns, binary, expected", [
    (None, "/usr/sbin/nft", ["/usr/sbin/nft", "list", "ruleset"]),
    ("", "/usr/sbin/ip", ["/usr/sbin/ip", "list", "ruleset"]),
    ("qr-1", "/usr/sbin/ip", ["/usr/sbin/ip", "-n", "qr-1", "list", "ruleset"]),
    ("qr-1", "/sbin/bridge", ["/sbin/bridge", "-n", "qr-1", "list", "ruleset"]),
    ("qr-1", "/usr/sbin/nft", ["/usr/sbin/ip", "netns", "exec", "qr-1", "/usr/sbin/nft", "list", "ruleset"]),
])
def test_netns_argv_uses_iproute2s_own_option_else_ip_netns_exec(netns: str | None, binary: str, expected: list[str]) -> None:
    assert netns_argv(netns, binary, ("list", "ruleset"), ip="/usr/sbin/ip") == expected


@pytest.mark.parametrize("bad", ["a/b", "-lead", "x" * 65, "sp ace"])
def test_netns_option_names_the_field(bad: str) -> None:
    assert netns_option({"netns": None}) is None
    assert netns_option({"netns": "qr-1"}) == "qr-1"
    with pytest.raises(InvalidInput, match="^netns: "):
        netns_option({"netns": bad})
    with pytest.raises(InvalidInput, match="^veth.peer_netns: "):
        validate_netns("veth.peer_netns", bad)


def test_command_strings_quote_for_the_shell() -> None:
    assert command_strings([["ip", "link", "set", "dev", "a b", "alias", "it's"], ["lvm", 3]]) == [
        "ip link set dev 'a b' alias 'it'\"'\"'s'", "lvm 3"]


def test_change_result_diffs_only_when_changed_and_asked() -> None:
    module = SimpleNamespace(_diff=True)
    before, after = {"mtu": 1500, "alias": "x"}, {"mtu": 1400, "alias": "x"}
    result = change_result(module, [["ip", "link"]], before, after, link="l")
    assert result == {"changed": True, "commands": ["ip link"], "link": "l",
                      "diff": {"before": {"mtu": 1500}, "after": {"mtu": 1400}}}
    unchanged = change_result(module, [], before, before)
    assert unchanged == {"changed": False, "commands": [], "diff": {"before": {}, "after": {}}}
    assert change_result(module, [], None, after, changed=True)["diff"] == {"before": {}, "after": after}
    assert "diff" not in change_result(SimpleNamespace(_diff=False), [["x"]], before, after)
