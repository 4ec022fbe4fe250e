"""The scheduling cloud modules (compute_host, storage_backend, host_aggregate, server_group,
flavor and their *_info, allocation_info, usage_info) against a real controller, run as processes.

Each test checks create / check mode / re-run unchanged / diff / bad input of one module and the
policy the library enforces; the worked example registers hosts, an aggregate and a flavor with
the modules and asks the library's scheduler where a server of that flavor goes. Independent
runs go side by side (CloudRig.run_all): each run is a Python process importing the library.
"""

from __future__ import annotations

from typing import Any

from stackling.placement import ConsumerRef
from stackling.scheduler import RequestSpec
from tests.functional.cloud_support import CloudRig, cloud_rig, unique  # noqa: F401  (fixture)

SMALL = {"VCPU": {"total": 8, "allocation_ratio": 2.0}, "MEMORY_MB": {"total": 16384, "reserved": 512},
         "DISK_GB": {"total": 200}}


def assert_ok(result: dict[str, Any], changed: bool) -> None:
    assert not result["failed"], result
    assert result["changed"] is changed, result


def assert_fails(result: dict[str, Any], field: str, *words: str) -> None:
    assert result["failed"], result
    assert result["msg"].startswith(field + ": "), result["msg"]
    for word in words:
        assert word in result["msg"], result["msg"]


def assert_refused(result: dict[str, Any], action: str) -> None:
    assert result["failed"] and result["error_code"] == "policy_not_authorized", result
    assert result["policy_action"] == action and result["msg"].startswith("403 Forbidden"), result


def claim(rig: CloudRig, consumer: str, project: str, host: str, **resources: int) -> None:
    controller = rig.controller
    uuid = controller.compute_hosts.get(rig.admin, host).uuid
    with controller.db.write() as session:
        controller.engines.placement.claim(session, ConsumerRef(consumer, project, "u"), {uuid: resources})


def test_compute_host_register_update_info_and_forced_removal(cloud_rig: CloudRig) -> None:
    name, run = unique("cn"), cloud_rig.run
    planned = run("compute_host", check=True, diff=True, name=name, inventory=SMALL, availability_zone="az-f")
    assert_ok(planned, True)
    assert planned["diff"]["after"]["inventory"]["VCPU"] == {
        "total": 8, "reserved": 0, "allocation_ratio": 2.0, "min_unit": 1, "max_unit": 8, "step_size": 1}
    assert planned["compute_host"]["uuid"] is None and planned["compute_host"]["aggregates"] == ["az-f"]
    assert cloud_rig.controller.compute_hosts.find(cloud_rig.admin, name) is None, "check mode registered the host"

    created = run("compute_host", name=name, inventory=SMALL, availability_zone="az-f", traits=["CUSTOM_SSD"])
    assert_ok(created, True)
    host = created["compute_host"]
    assert host["uuid"] and host["availability_zone"] == "az-f" and host["traits"] == ["CUSTOM_SSD"], host
    results = cloud_rig.run_all({
        "again": ("compute_host", {"diff": True, "name": name, "inventory": SMALL, "availability_zone": "az-f",
                                   "traits": ["CUSTOM_SSD"]}),
        "no_total": ("compute_host", {"name": name, "inventory": {"VCPU": {"reserved": 1}}}),
        "library_trait": ("compute_host", {"name": name, "traits": ["COMPUTE_NODE"]}),
        "bad_class": ("compute_host", {"name": name, "inventory": {"vcpu": {"total": 1}}}),
        "new_without_inventory": ("compute_host", {"name": unique("cn")}),
    })  # fmt: skip
    assert_ok(results["again"], False)
    assert results["again"]["diff"] == {"before": {}, "after": {}} and results["again"]["compute_host"] == host
    assert_fails(results["no_total"], "inventory.VCPU", "400 Bad Request", "total is required")
    assert_fails(results["library_trait"], "traits", "COMPUTE_NODE", "managed by the library")
    assert_fails(results["bad_class"], "inventory.vcpu")
    assert_fails(results["new_without_inventory"], "inventory", "needs its inventory")

    disabled = run("compute_host", diff=True, name=name, enabled=False, disabled_reason="disk")
    assert_ok(disabled, True)
    assert disabled["diff"] == {"before": {"enabled": True, "disabled_reason": ""},
                                "after": {"enabled": False, "disabled_reason": "disk"}}
    assert disabled["compute_host"]["inventory"] == host["inventory"], "inventory left out is kept"

    claim(cloud_rig, unique("vm"), cloud_rig.project_id("a"), name, VCPU=2, MEMORY_MB=1024)
    results = cloud_rig.run_all({
        "info": ("compute_host_info", {"name": name}),
        "refused": ("compute_host", {"name": name, "state": "absent"}),
        "forced_check": ("compute_host", {"check": True, "name": name, "state": "absent", "force": True}),
    })
    info = results["info"]["compute_hosts"]
    assert len(info) == 1 and info[0]["inventory"]["VCPU"]["used"] == 2 and info[0]["inventory"]["VCPU"]["capacity"] == 16
    assert info[0]["has_allocations"] and not info[0]["enabled"]
    assert_fails(results["refused"], "force", "force: true")
    assert_ok(results["forced_check"], True)
    assert_ok(run("compute_host", name=name, state="absent", force=True), True)
    assert cloud_rig.controller.compute_hosts.find(cloud_rig.admin, name) is None


def test_only_cloud_admins_register_hosts_and_backends(cloud_rig: CloudRig) -> None:
    results = cloud_rig.run_all({
        "host": ("compute_host", {"as_user": "alice", "scope": "a", "name": unique("cn"), "inventory": SMALL}),
        "backend": ("storage_backend", {"as_user": "alice", "scope": "a", "name": unique("be"), "driver": "lvm",
                                        "total_capacity_gb": 10}),
        "aggregate": ("host_aggregate", {"as_user": "alice", "scope": "a", "name": unique("agg")}),
    })  # fmt: skip
    assert_refused(results["host"], "compute:get_host")
    assert_refused(results["backend"], "volume:get_backend")
    assert_refused(results["aggregate"], "compute:get_aggregate")


def test_storage_backend(cloud_rig: CloudRig) -> None:
    name, run = unique("be"), cloud_rig.run
    params = {"name": name, "driver": "lvm", "total_capacity_gb": 100, "thin_provisioning": True,
              "availability_zone": "az-s"}
    planned = run("storage_backend", check=True, diff=True, **params)
    assert_ok(planned, True)
    assert planned["storage_backend"]["free_capacity_gb"] == 100.0 and planned["storage_backend"]["uuid"] is None
    assert_ok(run("storage_backend", **params), True)
    results = cloud_rig.run_all({
        "again": ("storage_backend", dict(params, diff=True)),
        "reserved": ("storage_backend", dict(params, reserved_percentage=101)),
        "new_without_driver": ("storage_backend", {"name": unique("be"), "total_capacity_gb": 1}),
    })
    assert_ok(results["again"], False)
    assert results["again"]["storage_backend"]["availability_zone"] == "az-s"
    assert_fails(results["reserved"], "reserved_percentage", "0 to 100")
    assert_fails(results["new_without_driver"], "driver")
    changed = run("storage_backend", diff=True, name=name, free_capacity_gb=40, enabled=False)
    assert_ok(changed, True)
    assert changed["diff"]["after"] == {"free_capacity_gb": 40.0, "enabled": False, "thin_provisioning": False}
    assert_ok(run("storage_backend", name=name, state="absent"), True)


def test_aggregate_flavor_and_where_the_scheduler_puts_a_server(cloud_rig: CloudRig) -> None:
    """The worked example of docs/scheduling.md: two hosts, one in an aggregate with disk=ssd and a
    zone, a flavor asking for disk=ssd: the scheduler picks that host."""
    ssd, hdd, agg, flavor, run = unique("ssd"), unique("hdd"), unique("fast"), unique("m1.ssd"), cloud_rig.run
    cloud_rig.run_all({label: ("compute_host", {"name": host, "inventory": SMALL}) for label, host in
                       (("ssd", ssd), ("hdd", hdd))})  # fmt: skip
    params = {"name": agg, "metadata": {"disk": "ssd", "cores": 8}, "availability_zone": "az-x", "hosts": [ssd]}
    planned = run("host_aggregate", check=True, diff=True, **params)
    assert_ok(planned, True)
    assert planned["aggregate"]["metadata"] == {"disk": "ssd", "cores": "8", "availability_zone": "az-x"}
    made = run("host_aggregate", **params)
    assert_ok(made, True)
    assert made["aggregate"]["hosts"] == [ssd] and made["aggregate"]["availability_zone"] == "az-x"
    flavor_params = {"name": flavor, "vcpus": 2, "ram": 2048, "disk": 20,
                     "extra_specs": {"aggregate_instance_extra_specs:disk": "ssd"}}
    results = cloud_rig.run_all({
        "again": ("host_aggregate", dict(params, diff=True)),
        "add_only": ("host_aggregate", {"check": True, "diff": True, "name": agg, "hosts": [hdd],
                                        "purge_hosts": False}),
        "unknown_host": ("host_aggregate", {"name": agg, "hosts": ["nowhere"]}),
        "flavor": ("flavor", flavor_params),
        "info": ("compute_host_info", {"name": ssd}),
    })  # fmt: skip
    assert_ok(results["again"], False)
    assert results["add_only"]["diff"] == {"before": {"hosts": [ssd]}, "after": {"hosts": sorted([ssd, hdd])}}
    assert_fails(results["unknown_host"], "hosts", "nowhere")
    assert_ok(results["flavor"], True)
    assert results["info"]["compute_hosts"][0]["availability_zone"] == "az-x"
    assert results["info"]["compute_hosts"][0]["aggregates"] == [agg]

    controller = cloud_rig.controller
    request = RequestSpec.from_flavor(controller.flavors.get(cloud_rig.admin, flavor))
    with controller.db.read() as session:
        selection = controller.engines.scheduler.select_destinations(session, request)
    assert selection.host.name == ssd and not selection.alternates

    purged = run("host_aggregate", diff=True, name=agg, metadata={"disk": "nvme"}, purge_metadata=True)
    assert_ok(purged, True)
    assert purged["aggregate"]["metadata"] == {"disk": "nvme"} and purged["aggregate"]["availability_zone"] is None
    assert_ok(run("host_aggregate", name=agg, state="absent"), True)


def test_flavor_private_access_extra_specs_and_immutable_sizes(cloud_rig: CloudRig) -> None:
    name, run = unique("web.big"), cloud_rig.run
    params = {"name": name, "vcpus": 4, "ram": 8192, "disk": 40, "is_public": False,
              "project_access": [cloud_rig.projects["a"]], "extra_specs": {"hw:cpu_policy": "dedicated"}}
    planned = run("flavor", check=True, diff=True, **params)
    assert_ok(planned, True)
    assert planned["flavor"]["project_access"] == [cloud_rig.project_id("a")] and planned["flavor"]["swap"] == 0
    assert cloud_rig.controller.flavors.find(cloud_rig.admin, name) is None, "check mode created the flavor"
    assert_ok(run("flavor", **params), True)
    results = cloud_rig.run_all({
        "again": ("flavor", dict(params, diff=True)),
        "resize": ("flavor", dict(params, vcpus=8)),
        "public_access": ("flavor", {"name": unique("f"), "vcpus": 1, "ram": 1, "disk": 1, "project_access": ["x"]}),
        "new_without_ram": ("flavor", {"name": unique("f"), "vcpus": 1, "disk": 1}),
        "alice": ("flavor_info", {"as_user": "alice", "scope": "a", "name": name}),
        "bob": ("flavor_info", {"as_user": "bob", "scope": "b"}),
        "bob_creates": ("flavor", {"as_user": "bob", "scope": "b", "name": unique("f"), "vcpus": 1, "ram": 1,
                                   "disk": 1}),
    })  # fmt: skip
    assert_ok(results["again"], False)
    assert_fails(results["resize"], "vcpus", "immutable", "create a new flavor")
    assert_fails(results["public_access"], "project_access", "private")
    assert_fails(results["new_without_ram"], "ram")
    assert [f["name"] for f in results["alice"]["flavors"]] == [name]
    assert name not in [f["name"] for f in results["bob"]["flavors"]]
    assert_refused(results["bob_creates"], "compute:create_flavor")

    changed = run("flavor", diff=True, name=name, is_public=False, description="big",
                  extra_specs={"hw:cpu_policy": None, "aggregate_instance_extra_specs:disk": "ssd"})
    assert_ok(changed, True)
    assert changed["diff"] == {
        "before": {"description": "", "extra_specs": {"hw:cpu_policy": "dedicated"}},
        "after": {"description": "big", "extra_specs": {"aggregate_instance_extra_specs:disk": "ssd"}}}
    assert changed["flavor"]["project_access"] == [cloud_rig.project_id("a")], "project_access left out is kept"
    assert_ok(run("flavor", name=name, state="absent"), True)


def test_server_groups_belong_to_the_callers_project(cloud_rig: CloudRig) -> None:
    name, run = unique("web"), cloud_rig.run
    alice = {"as_user": "alice", "scope": "a"}
    planned = run("server_group", check=True, diff=True, name=name, policy="anti-affinity", **alice)
    assert_ok(planned, True)
    assert planned["server_group"]["project_id"] == cloud_rig.project_id("a")
    created = run("server_group", name=name, policy="anti-affinity", **alice)
    assert_ok(created, True)
    group_id = created["server_group"]["id"]
    results = cloud_rig.run_all({
        "again": ("server_group", dict(alice, diff=True, name=name, policy="anti-affinity")),
        "other_policy": ("server_group", dict(alice, name=name, policy="affinity")),
        "bob_sees": ("server_group_info", {"as_user": "bob", "scope": "b"}),
        "bob_deletes": ("server_group", {"as_user": "bob", "scope": "b", "name": group_id, "state": "absent"}),
        "admin_sees": ("server_group_info", {"name": group_id}),
    })  # fmt: skip
    assert_ok(results["again"], False)
    assert_fails(results["other_policy"], "policy", "fixed at creation")
    assert group_id not in [g["id"] for g in results["bob_sees"]["server_groups"]]
    assert_refused(results["bob_deletes"], "compute:get_server_group")
    assert [g["id"] for g in results["admin_sees"]["server_groups"]] == [group_id]
    assert_ok(run("server_group", name=name, state="absent", **alice), True)
    assert run("server_group_info", name=name, **alice)["server_groups"] == []


def test_usage_and_allocations(cloud_rig: CloudRig) -> None:
    host, vm = unique("cn"), unique("vm")
    assert_ok(cloud_rig.run("compute_host", name=host, inventory=SMALL), True)
    claim(cloud_rig, vm, cloud_rig.project_id("b"), host, VCPU=3, MEMORY_MB=2048)
    results = cloud_rig.run_all({
        "bob": ("usage_info", {"as_user": "bob", "scope": "b"}),
        "bob_other": ("usage_info", {"as_user": "bob", "scope": "b", "project": cloud_rig.projects["a"]}),
        "admin": ("usage_info", {"project": cloud_rig.projects["b"]}),
        "by_consumer": ("allocation_info", {"consumer": vm}),
        "by_host": ("allocation_info", {"host": host}),
        "bob_allocations": ("allocation_info", {"as_user": "bob", "scope": "b", "host": host}),
    })  # fmt: skip
    usage = results["bob"]["usage"]
    assert usage["project_id"] == cloud_rig.project_id("b") and usage["resources"] == {"VCPU": 3, "MEMORY_MB": 2048}
    assert results["admin"]["usage"] == usage
    assert_refused(results["bob_other"], "placement:get_usage")
    rows = results["by_consumer"]["allocations"]
    assert [(r["host"], r["resource_class"], r["used"]) for r in rows] == [(host, "MEMORY_MB", 2048), (host, "VCPU", 3)]
    assert results["by_host"]["allocations"] == rows
    assert_refused(results["bob_allocations"], "placement:list_allocations")
