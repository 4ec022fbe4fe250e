"""A VXLAN tenant network between two namespaced "hosts", built by playbooks/examples/vxlan_two_hosts.yml.

Each guest reaches the other only through the tunnel, only while the static FDB entries are there:
removing them with bridge_fdb (state absent) cuts it off, re-running the playbook brings it back.
All four namespaces are throw-away stktest-* names, deleted when the test ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.support.collection import REPO, run_module, run_playbook
from tests.support.netns import bridge_json, delete_netns, ip_json, netns_exists, new_name, ping, sh

PLAYBOOK = REPO / "playbooks" / "examples" / "vxlan_two_hosts.yml"
ZERO = "00:00:00:00:00:00"
GUEST_A, GUEST_B = "10.236.10.11", "10.236.10.12"
MAC_A, MAC_B = "fa:16:3e:36:0a:0b", "fa:16:3e:36:0a:0c"
# The entries the playbook programs on each host's vxlan-42 (see its vxlan_hosts variable).
FDB = {
    "host_a": [{"mac": ZERO, "dst": "10.236.0.2"}, {"mac": MAC_B, "dst": "10.236.0.2"}],
    "host_b": [{"mac": ZERO, "dst": "10.236.0.1"}, {"mac": MAC_A, "dst": "10.236.0.1"}],
}


@pytest.fixture()
def names() -> Iterator[dict[str, str]]:
    """Fresh names for the playbook's four namespaces (it creates them); deleted afterwards."""
    made = {"host_a": new_name("vxha"), "host_b": new_name("vxhb"),
            "guest_a": new_name("vxga"), "guest_b": new_name("vxgb")}
    yield made
    for name in made.values():
        delete_netns(name)
    assert not any(netns_exists(name) for name in made.values())


def playbook(names: dict[str, str]) -> dict[str, int]:
    """Run the example playbook on these namespaces; return its recap counts for localhost."""
    extra = [arg for key in ("host_a", "host_b") for arg in ("-e", "vxlan_netns_%s=%s" % (key[-1], names[key]))]
    extra += [arg for key in ("guest_a", "guest_b") for arg in ("-e", "vxlan_guest_netns_%s=%s" % (key[-1], names[key]))]
    proc = run_playbook(PLAYBOOK, *extra)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    match = re.search(r"localhost\s*:\s*(.*)", proc.stdout.split("PLAY RECAP")[-1])
    assert match, proc.stdout
    return dict((key, int(value)) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1)))


def static_fdb(ns: str) -> list[tuple[str, str]]:
    """The VXLAN device's own entries with a destination: programmed ones, and any it learned."""
    return sorted((e["mac"], e["dst"]) for e in bridge_json(ns, "fdb", "show", "dev", "vxlan-42")
                  if "dst" in e and "self" in e["flags"])


def forget(names: dict[str, str]) -> None:
    """Drop everything learned so far: the guests' ARP caches and the bridges' learned MACs."""
    for guest in ("guest_a", "guest_b"):
        sh("ip", "-n", names[guest], "neigh", "flush", "all")
    for host in ("host_a", "host_b"):
        sh("ip", "-n", names[host], "link", "set", "dev", "brq42", "type", "bridge", "fdb_flush")


def remove_fdb(names: dict[str, str], host: str) -> None:
    removed = run_module("bridge_fdb", netns=names[host], dev="vxlan-42", entries=FDB[host], state="absent")
    assert removed["changed"] and removed["entries"] == [] and len(removed["removed"]) == 2, removed
    assert static_fdb(names[host]) == []


def test_guests_talk_only_through_the_programmed_fdb(names: dict[str, str]) -> None:
    first = playbook(names)
    assert first["failed"] == 0 and first["changed"] > 0, first
    assert playbook(names)["changed"] == 0, "the second run of the example playbook changed something"

    for host in ("host_a", "host_b"):
        vx = ip_json(names[host], "link", "show", "dev", "vxlan-42")[0]
        data = vx["linkinfo"]["info_data"]
        assert (data["id"], data["port"], data["learning"], data["link"]) == (42, 4789, False, "eth1"), data
        assert vx["master"] == "brq42" and "UP" in vx["flags"]
        assert static_fdb(names[host]) == sorted((e["mac"], e["dst"]) for e in FDB[host])
    assert ip_json(names["guest_a"], "link", "show", "dev", "eth0")[0]["address"] == MAC_A

    assert ping(names["guest_a"], GUEST_B), "guest A cannot reach guest B across the VXLAN"
    assert ping(names["guest_b"], GUEST_A), "guest B cannot reach guest A across the VXLAN"

    for host in ("host_a", "host_b"):
        remove_fdb(names, host)
    forget(names)
    assert not ping(names["guest_a"], GUEST_B, deadline=2), "traffic crossed the VXLAN without FDB entries"
    assert not ping(names["guest_b"], GUEST_A, deadline=2)

    restored = playbook(names)
    assert restored["changed"] == 1, restored  # only the FDB task: it programs both hosts again
    forget(names)
    assert ping(names["guest_a"], GUEST_B), "guest A cannot reach guest B after the FDB entries came back"
    assert ping(names["guest_b"], GUEST_A)
    for host in ("host_a", "host_b"):  # learning is off: no entry but the programmed ones, none learned
        assert static_fdb(names[host]) == sorted((e["mac"], e["dst"]) for e in FDB[host])


def test_playbook_is_where_the_docs_say() -> None:
    assert PLAYBOOK.exists()
    assert "playbooks/examples/vxlan_two_hosts.yml" in (REPO / "docs" / "networking.md").read_text()
