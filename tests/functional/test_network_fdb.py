"""The FDB a host gets from the library (stackling.networking.nodes.network_job) made for real by
playbooks/node/network_host.yml on two "hosts": each a namespace of the test, with a VTEP address
on a veth underlay between them, reached by the conductor over a local connection. A third host
joining adds its flood entry on the hosts already there; leaving takes it away; removing the
network takes the VXLAN device with its entries. (Which hosts get updated when is decided by the
library: tests/library/test_network_fdb.py.)"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from stackling.conductor import Inventory, PlaybookRunner
from stackling.networking.nodes import network_job
from tests.support.conductor import local_runner
from tests.support.netns import NetnsFactory, bridge_json, link_names, veth

VTEPS = {"a": "10.241.0.1", "b": "10.241.0.2", "c": "10.241.0.3"}


def flood_destinations(ns: str, dev: str) -> list[str]:
    entries: list[dict[str, Any]] = bridge_json(ns, "fdb", "show", "dev", dev)
    return sorted(e["dst"] for e in entries if e.get("mac") == "00:00:00:00:00:00" and "dst" in e)


def test_flood_entries_follow_the_hosts_on_the_network(tmp_path: Path, netns_factory: NetnsFactory) -> None:
    host_a, host_b = netns_factory("fdba"), netns_factory("fdbb")
    veth(host_a, "eth1", host_b, "eth1", address=VTEPS["a"] + "/24", peer_address=VTEPS["b"] + "/24")
    hostvars = {"a": {"stackling_netns": host_a, "stackling_tunnel_address": VTEPS["a"]},
                "b": {"stackling_netns": host_b, "stackling_tunnel_address": VTEPS["b"]},
                "c": {"stackling_tunnel_address": VTEPS["c"]}}  # fmt: skip
    runner: PlaybookRunner = local_runner(tmp_path, {h: v for h, v in hostvars.items() if h != "c"})
    inventory = Inventory(hostvars)
    network = {"id": "stkfdb" + secrets.token_hex(4), "vni": 4000 + secrets.randbelow(1000), "mtu": 1450}
    vxlan = "vxlan-%d" % network["vni"]

    def converge(host: str, carriers: set[str], state: str = "present") -> Any:
        result = runner.run(network_job(dict(network, state=state), host, carriers, inventory, 600))
        assert result.ok, result.failure
        return result

    for host in ("a", "b"):
        converge(host, {"a", "b"})
    assert flood_destinations(host_a, vxlan) == [VTEPS["b"]]
    assert flood_destinations(host_b, vxlan) == [VTEPS["a"]]

    joined = converge("a", {"a", "b", "c"})  # c's first server on the network: a learns c's VTEP
    assert joined.changed and flood_destinations(host_a, vxlan) == [VTEPS["b"], VTEPS["c"]]
    assert not converge("a", {"a", "b", "c"}).changed, "a second run changes nothing"
    converge("a", {"a", "b"})  # c's last server left
    assert flood_destinations(host_a, vxlan) == [VTEPS["b"]]

    converge("b", set(), state="absent")
    assert vxlan not in link_names(host_b) and "brq" + network["id"][:11] not in link_names(host_b)
