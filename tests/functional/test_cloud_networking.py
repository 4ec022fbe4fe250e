"""The tenant networking cloud modules (network, subnet, port, router, floating_ip and their
*_info) against a real controller, run as processes.

The worked example of docs/networking.md as a non-admin tenant user: an external network made by
the cloud admin; a network, subnet, router with a gateway and an interface, a port and a
floating IP made by alice (member of project a); check mode first, then the real run, then a
second identical run that changes nothing. Bob (project b) sees and touches none of it.
Independent runs go side by side (CloudRig.run_all).
"""

from __future__ import annotations

from typing import Any

from tests.functional.cloud_support import CloudRig, cloud_rig, unique  # noqa: F401  (fixture)
from tests.functional.test_cloud_scheduling import assert_fails, assert_ok, assert_refused


def as_alice(**params: Any) -> dict[str, Any]:
    return dict(params, as_user="alice", scope="a")


def test_worked_example_as_a_tenant(cloud_rig: CloudRig) -> None:
    rig, run = cloud_rig, cloud_rig.run
    public, private, v4, router, port = (unique(n) for n in ("public", "private", "private-v4", "r1", "web-0"))
    # the cloud admin's external network
    assert_ok(run("network", name=public, external=True), True)
    assert_ok(run("subnet", name=public + "-v4", network=public, cidr="203.0.113.0/24"), True)

    planned = run("network", check=True, diff=True, **as_alice(name=private))
    assert_ok(planned, True)
    assert planned["network"]["id"] is None and planned["network"]["project_id"] == rig.project_id("a")
    assert planned["diff"]["before"] == {} and planned["diff"]["after"]["name"] == private
    assert rig.controller.networking.networks.find(rig.admin, private) is None, "check mode made the network"
    made = run("network", **as_alice(name=private))
    assert_ok(made, True)
    assert made["network"]["provider_network_type"] == "vxlan" and made["network"]["provider_segmentation_id"]

    subnet_params = as_alice(name=v4, network=private, cidr="10.0.0.0/24", dns_nameservers=["9.9.9.9"])
    # check mode first, on its own: run beside the real run, it could see the subnet already made
    subnet_check = run("subnet", **dict(subnet_params, check=True))
    assert_ok(subnet_check, True)
    assert subnet_check["subnet"]["gateway_ip"] == "10.0.0.1"
    results = rig.run_all({
        "subnet": ("subnet", subnet_params),
        "bad_cidr": ("subnet", as_alice(name=unique("s"), network=private, cidr="10.1.0.5/24")),
    })
    assert_ok(results["subnet"], True)
    assert results["subnet"]["subnet"]["allocation_pools"] == [{"start": "10.0.0.2", "end": "10.0.0.254"}]
    assert_fails(results["bad_cidr"], "cidr", "not a network address")

    router_params = as_alice(name=router, external_gateway={"network": public}, interfaces=[v4])
    planned = run("router", check=True, diff=True, **router_params)
    assert_ok(planned, True)
    assert planned["router"]["interfaces"][0]["port_id"] is None
    made_router = run("router", **router_params)
    assert_ok(made_router, True)
    gateway = made_router["router"]["external_gateway"]
    assert gateway["enable_snat"] and gateway["external_fixed_ips"][0]["ip_address"].startswith("203.0.113.")
    assert made_router["router"]["interfaces"][0]["ip_address"] == "10.0.0.1"

    port_params = as_alice(name=port, network=private, fixed_ips=[{"subnet": v4, "ip_address": "10.0.0.10"}])
    made_port = run("port", **port_params)
    assert_ok(made_port, True)
    assert made_port["port"]["mac_address"].startswith("fa:16:3e:")
    fip_params = as_alice(network=public, port=port)
    planned = run("floating_ip", check=True, **fip_params)
    assert_ok(planned, True)
    assert planned["floating_ip"]["floating_ip_address"] is None
    fip = run("floating_ip", **fip_params)
    assert_ok(fip, True)
    assert fip["floating_ip"]["fixed_ip_address"] == "10.0.0.10"
    assert fip["floating_ip"]["router_id"] == made_router["router"]["id"]

    # the second identical run changes nothing, for every module
    again = rig.run_all({
        "network": ("network", as_alice(name=private, diff=True)),
        "subnet": ("subnet", dict(subnet_params, diff=True)),
        "router": ("router", dict(router_params, diff=True)),
        "port": ("port", dict(port_params, diff=True)),
        "fip": ("floating_ip", dict(fip_params, diff=True)),
        "public": ("network", {"name": public, "external": True}),
    })
    for label, result in again.items():
        assert_ok(result, False)
        assert label == "public" or result["diff"] == {"before": {}, "after": {}}, (label, result)
    assert again["fip"]["floating_ip"] == fip["floating_ip"] and again["router"]["router"] == made_router["router"]

    # the info modules: alice sees hers and the external network; bob sees only the external network
    infos = rig.run_all({
        "alice_nets": ("network_info", as_alice()),
        "bob_nets": ("network_info", {"as_user": "bob", "scope": "b"}),
        "alice_ports": ("port_info", as_alice(device_id=made_router["router"]["id"])),
        "bob_ports": ("port_info", {"as_user": "bob", "scope": "b"}),
        "bob_routers": ("router_info", {"as_user": "bob", "scope": "b", "name": router}),
        "bob_fips": ("floating_ip_info", {"as_user": "bob", "scope": "b"}),
        "alice_fips": ("floating_ip_info", as_alice(port=port)),
        "bob_subnets": ("subnet_info", {"as_user": "bob", "scope": "b", "network": private}),
        "alice_routers": ("router_info", as_alice(name=router)),
    })  # fmt: skip
    alice_names = [n["name"] for n in infos["alice_nets"]["networks"]]
    assert private in alice_names and public in alice_names
    bob_names = [n["name"] for n in infos["bob_nets"]["networks"]]
    assert public in bob_names and private not in bob_names
    assert [p["device_owner"] for p in infos["alice_ports"]["ports"]] == ["network:router_interface"]
    assert infos["bob_ports"]["ports"] == [] and infos["bob_routers"]["routers"] == []
    assert infos["bob_fips"]["floating_ips"] == [] and infos["bob_subnets"]["subnets"] == []
    assert infos["alice_fips"]["floating_ips"] == [fip["floating_ip"]]
    assert infos["alice_routers"]["routers"] == [made_router["router"]]

    # bob cannot delete any of it: for him it does not exist
    bob = rig.run_all({
        "network": ("network", {"as_user": "bob", "scope": "b", "name": made["network"]["id"], "state": "absent"}),
        "router": ("router", {"as_user": "bob", "scope": "b", "name": made_router["router"]["id"], "state": "absent"}),
        "fip": ("floating_ip", {"as_user": "bob", "scope": "b", "state": "absent", "release": True,
                                "floating_ip_address": fip["floating_ip"]["floating_ip_address"]}),
    })  # fmt: skip
    for result in bob.values():
        assert_ok(result, False)
    assert rig.controller.networking.networks.find(rig.admin, made["network"]["id"]) is not None

    # in use: refused, naming what uses it; then the tear-down in order, as alice
    in_use = rig.run_all({
        "network": ("network", as_alice(name=private, state="absent")),
        "router": ("router", as_alice(name=router, state="absent")),
    })
    assert in_use["network"]["failed"] and in_use["network"]["error_code"] == "network_in_use", in_use["network"]
    assert in_use["network"]["msg"].startswith("409 Conflict: network %s is in use by interface of router" % private)
    assert in_use["router"]["failed"] and "still has interfaces on subnet" in in_use["router"]["msg"], in_use["router"]
    released = run("floating_ip", **as_alice(port=port, state="absent", release=True))
    assert_ok(released, True)
    assert released["floating_ip"] is None
    assert_ok(run("router", **as_alice(name=router, interfaces=[])), True)
    results = rig.run_all({
        "router": ("router", as_alice(name=router, state="absent")),
        "port": ("port", as_alice(name=port, state="absent")),
    })
    assert_ok(results["router"], True)
    assert_ok(results["port"], True)
    gone = run("subnet", diff=True, **as_alice(name=v4, network=private, state="absent"))
    assert_ok(gone, True)
    assert gone["subnet"] is None and gone["diff"]["before"]["cidr"] == "10.0.0.0/24", gone
    assert_ok(run("subnet", **as_alice(name=v4, network=private, state="absent")), False)
    assert_ok(run("network", **as_alice(name=private, state="absent")), True)
    assert rig.controller.quotas.get_usage(rig.admin, rig.project_id("a"))["networks"].in_use == 0


def test_bad_input_and_admin_only_options(cloud_rig: CloudRig) -> None:
    rig = cloud_rig
    net, v4, other, bad_router, bad_gateway = (unique(n) for n in ("net", "v4", "other", "r", "r"))
    assert_ok(rig.run("network", **as_alice(name=net)), True)
    assert_ok(rig.run("subnet", **as_alice(name=v4, network=net, cidr="10.7.0.0/24")), True)
    results = rig.run_all({
        "external": ("network", as_alice(name=unique("n"), external=True)),
        "provider": ("network", as_alice(name=unique("n"), provider_network_type="vlan",
                                         provider_physical_network="physnet1", provider_segmentation_id=7)),
        "mtu": ("network", as_alice(name=net, mtu=9000)),
        "cidr_change": ("subnet", as_alice(name=v4, cidr="10.8.0.0/24")),
        "no_network": ("subnet", as_alice(name=unique("s"), cidr="10.9.0.0/24")),
        "pool": ("subnet", as_alice(name=v4, allocation_pools=[{"start": "10.7.0.1", "end": "10.7.0.9"}])),
        "interface": ("router", as_alice(name=bad_router, interfaces=["nowhere"])),
        "gateway": ("router", as_alice(name=bad_gateway, external_gateway={"network": net})),
        "fip_network": ("floating_ip", as_alice(port=unique("p"))),
        "fip_name": ("floating_ip", as_alice(network=net)),
        "port_net": ("port", as_alice(name=unique("p"))),
        "fixed": ("port", as_alice(name=unique("p"), network=net, fixed_ips=[{"subnet": "nope"}])),
        "reader": ("network", {"as_user": "rita", "scope": "a", "name": other}),
    })  # fmt: skip
    assert_refused(results["external"], "network:create_external_network")
    assert_refused(results["provider"], "network:create_provider_network")
    assert_fails(results["mtu"], "mtu", "68 to 1450")
    assert_fails(results["cidr_change"], "cidr", "fixed once made")
    assert_fails(results["no_network"], "network", "needs network and cidr")
    assert_fails(results["pool"], "allocation_pools", "contains the gateway")
    assert_fails(results["interface"], "interfaces", "nowhere")
    assert_fails(results["gateway"], "external_gateway.network", "not external")
    assert_fails(results["fip_network"], "port", "not found")
    assert_fails(results["fip_name"], "port", "give port, server or floating_ip_address")
    assert_fails(results["port_net"], "network", "needs its network")
    assert_fails(results["fixed"], "fixed_ips", "nope")
    assert_refused(results["reader"], "network:create_network")
    for name in (bad_router, bad_gateway):
        assert rig.controller.networking.routers.find(rig.admin, name) is None, "a failed run left a router behind"
    changed = rig.run("subnet", diff=True, **as_alice(name=v4, dns_nameservers=["1.1.1.1"], enable_dhcp=False))
    assert_ok(changed, True)
    assert changed["diff"] == {"before": {"dns_nameservers": [], "enable_dhcp": True},
                               "after": {"dns_nameservers": ["1.1.1.1"], "enable_dhcp": False}}
    assert_ok(rig.run("network", **as_alice(name=net, state="absent")), True)
