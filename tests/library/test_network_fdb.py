"""Static FDB entries follow the hosts on a network: when a compute host joins a tenant network
(its first server there), the hosts already on it get a flood entry towards its VTEP; when the
last server on a host leaves, the others drop it. The jobs are checked here with the stand-in
runner of test_servers.py; the entries themselves, made by network_host.yml in namespaces, are
checked in tests/functional/test_network_fdb.py."""

from __future__ import annotations

from stackling.conductor import NodeJob
from tests.library.test_servers import Rig, boot, rig  # noqa: F401  (fixture)

FLOOD = "00:00:00:00:00:00"


def fdb_of(jobs: list[NodeJob], host: str) -> list[str] | None:
    """The flood destinations the last network_host.yml run on ``host`` programmed (None: no run)."""
    runs = [j for j in jobs if j.playbook == "network_host" and j.host == host]
    if not runs:
        return None
    assert all(e["mac"] == FLOOD for e in runs[-1].extravars["fdb_entries"])
    return [e["dst"] for e in runs[-1].extravars["fdb_entries"]]


def test_a_host_joining_and_leaving_a_network_updates_the_hosts_already_there(rig: Rig) -> None:  # noqa: F811
    c = rig.cloud.c
    c.server_groups.create(rig.alice, "apart", "anti-affinity")
    first = boot(rig, "web-1", server_group="apart")
    assert c.servers.get(rig.cloud.admin, first.id).host == "cn2"
    rig.runner.jobs.clear()

    second = boot(rig, "web-2", server_group="apart")  # anti-affinity: cn1, new on the network
    assert c.servers.get(rig.cloud.admin, second.id).host == "cn1"
    jobs = list(rig.runner.jobs)
    assert fdb_of(jobs, "cn1") == ["10.9.0.2", "10.9.0.9"]
    assert fdb_of(jobs, "net1") == ["10.9.0.1", "10.9.0.2"]
    assert fdb_of(jobs, "cn2") == ["10.9.0.1", "10.9.0.9"], "cn2 was on the network first: it must learn cn1"

    rig.runner.jobs.clear()
    third = boot(rig, "web-3")  # cn2 again: no host joins, so nobody else is touched
    assert c.servers.get(rig.cloud.admin, third.id).host == "cn2"
    assert fdb_of(rig.runner.jobs, "cn1") is None

    rig.runner.jobs.clear()
    c.servers.delete(rig.alice, second.id)  # cn1's last server on the network
    jobs = list(rig.runner.jobs)
    gone = [j for j in jobs if j.playbook == "network_host" and j.host == "cn1"]
    assert gone and gone[-1].extravars["network"]["state"] == "absent"
    assert fdb_of(jobs, "cn2") == ["10.9.0.9"] and fdb_of(jobs, "net1") == ["10.9.0.2"]

    rig.runner.jobs.clear()
    c.servers.delete(rig.alice, third.id)  # web-1 still keeps cn2 on the network
    assert fdb_of(rig.runner.jobs, "net1") is None and fdb_of(rig.runner.jobs, "cn2") is None
