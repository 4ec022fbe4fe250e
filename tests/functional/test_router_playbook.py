"""playbooks/node/router.yml through the conductor: a router namespace between an external
network and a tenant network, each a bridge in a namespace standing for the network host.

The "guest" and the "external host" are namespaces the test makes, plugged into the bridges
with veth pairs; the external host has no route to the tenant subnet, so a reply reaching the
guest proves SNAT, and the external host reaching the floating IP proves DNAT."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stackling.conductor import NodeJob, PlaybookRunner
from tests.support.conductor import local_runner
from tests.support.netns import NetnsFactory, delete_netns, ip, ping, sh, veth

EXTERNAL, TENANT = "198.51.100", "10.240.0"


@pytest.fixture()
def lab(tmp_path: Path, netns_factory: NetnsFactory) -> Iterator[dict[str, Any]]:
    token = secrets.token_hex(3)
    host, outside, guest = netns_factory("rhost"), netns_factory("rext"), netns_factory("rgst")
    runner = local_runner(tmp_path)
    ext_net, tenant_net = "stkx%s-ext" % token, "stkt%s-tnt" % token
    common = {"stackling_netns": host}
    for network in (ext_net, tenant_net):
        assert runner.run(NodeJob("network_host", "node1", dict(common, network={"id": network}))).ok
    veth(host, "ext-client", outside, "eth0", peer_address=EXTERNAL + ".1/24")
    ip(host, "link", "set", "ext-client", "master", "brq" + ext_net[:11])
    veth(host, "guest-port", guest, "eth0", peer_address=TENANT + ".10/24")
    ip(host, "link", "set", "guest-port", "master", "brq" + tenant_net[:11])
    ip(guest, "route", "add", "default", "via", TENANT + ".1")
    router = {
        "id": "r" + token,
        "gateway": {"port_id": "g" + token, "mac": "fa:16:3e:00:01:05", "address": EXTERNAL + ".5/24",
                    "network_id": ext_net, "next_hop": EXTERNAL + ".1", "enable_snat": True},
        "interfaces": [{"port_id": "i" + token, "mac": "fa:16:3e:00:02:01", "address": TENANT + ".1/24",
                        "cidr": TENANT + ".0/24", "network_id": tenant_net}],
    }
    router_netns = "stktest-qr-" + token
    yield {"runner": runner, "host": host, "outside": outside, "guest": guest, "router": router,
           "vars": dict(common, router_netns=router_netns), "router_netns": router_netns}
    delete_netns(router_netns)


def run_router(lab: dict[str, Any], **changes: Any) -> Any:
    runner: PlaybookRunner = lab["runner"]
    return runner.run(NodeJob("router", "node1", dict(lab["vars"], router=dict(lab["router"], **changes))))


def test_snat_floating_ip_and_removal(lab: dict[str, Any]) -> None:
    made = run_router(lab)
    assert made.ok and made.changed, made.failure
    assert ping(lab["guest"], EXTERNAL + ".1", deadline=10), "no SNAT: the guest cannot reach the external host"
    assert not ping(lab["outside"], EXTERNAL + ".20", deadline=2)

    floating = [{"floating_ip": EXTERNAL + ".20", "fixed_ip": TENANT + ".10"}]
    associated = run_router(lab, floating_ips=floating)
    assert associated.ok and associated.changed, associated.failure
    assert ping(lab["outside"], EXTERNAL + ".20", deadline=10), "the floating IP does not reach the guest"
    again = run_router(lab, floating_ips=floating)
    assert again.ok and not again.changed, [s for s in again.steps if s.status.value == "changed"]

    disassociated = run_router(lab, floating_ips=[])
    assert disassociated.ok and disassociated.changed
    assert not ping(lab["outside"], EXTERNAL + ".20", deadline=2)
    assert ping(lab["guest"], EXTERNAL + ".1", deadline=10)


def test_removing_an_interface_then_the_router_leaves_nothing(lab: dict[str, Any]) -> None:
    assert run_router(lab).ok
    unplugged = run_router(lab, interfaces=[])
    assert unplugged.ok and unplugged.changed, unplugged.failure
    inside = sh("ip", "-n", lab["router_netns"], "-o", "link", "show").stdout
    assert "qr-" not in inside and "qg-" in inside, inside
    assert "tapi" not in sh("ip", "-n", lab["host"], "-o", "link", "show").stdout
    assert not ping(lab["guest"], EXTERNAL + ".1", deadline=2)
    gone = run_router(lab, state="absent")
    assert gone.ok and gone.changed
    assert lab["router_netns"] not in sh("ip", "netns", "list").stdout
    links = sh("ip", "-n", lab["host"], "-o", "link", "show").stdout
    assert "tapg" not in links and "tapi" not in links, links
    assert not ping(lab["guest"], EXTERNAL + ".1", deadline=2)
    assert not run_router(lab, state="absent").changed
