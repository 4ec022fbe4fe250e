"""Rebooting a server and reading its console output (stackling.compute.servers, .console), with the
stand-in runner of test_servers.py (the real guest is in tests/functional/test_cloud_servers.py):
the status while the job runs, what is recorded, who may, and what a failed job leaves."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pytest

from stackling.compute.console import MAX_CONSOLE_BYTES, last_lines
from stackling.conductor import JobResult, NodeJob
from stackling.db import models as m
from stackling.errors import Conflict, NotFound, PolicyNotAuthorized, ValidationError
from tests.library.test_servers import FakeRunner, Rig, boot, rig  # noqa: F401  (rig: the fixture)

CONSOLE = "SeaBIOS\r\nSTACKLING-GUEST-READY hostname=web-1\r\nweb-1 login: \x1b[6n\r\nlast\r\n"


@dataclass
class WatchingRunner(FakeRunner):
    """Also notes the server's status (as its owner sees it) while each server_power job runs, and
    hands back ``console`` from server_console.yml."""

    rig: Any = None
    seen: list[str] = field(default_factory=list)
    console: str = CONSOLE

    def run(self, job: NodeJob) -> JobResult:
        if job.playbook == "server_power":
            self.seen.append(self.rig.cloud.c.servers.get(self.rig.alice, job.extravars["server"]["uuid"]).status)
        result = super().run(job)
        if job.playbook == "server_console" and result.ok:
            return dataclasses.replace(result, data={"console_log": self.console})
        return result


@pytest.fixture()
def watched(rig: Rig) -> WatchingRunner:  # noqa: F811  (the imported fixture)
    runner = WatchingRunner(rig=rig)
    rig.runner = runner
    rig.cloud.c.servers.runner = runner
    return runner


def test_last_lines_counts_newlines_only() -> None:
    assert last_lines(CONSOLE, None) == CONSOLE
    assert last_lines(CONSOLE, 0) == ""
    assert last_lines(CONSOLE, 1) == "last\r\n"
    assert last_lines(CONSOLE, 2) == "web-1 login: \x1b[6n\r\nlast\r\n"
    assert last_lines(CONSOLE, 4) == last_lines(CONSOLE, 99) == CONSOLE
    assert last_lines("no newline at the end\nsecond", 1) == "second"
    assert last_lines("a\n\n", 1) == "\n" and last_lines("", 3) == ""
    assert last_lines("page\x0cbreak\x1cstill one line\n", 1) == "page\x0cbreak\x1cstill one line\n"


def test_reboot_runs_server_power_is_reboot_meanwhile_and_is_recorded(rig: Rig, watched: WatchingRunner) -> None:
    c = rig.cloud.c
    server = boot(rig)
    watched.jobs.clear()
    assert c.servers.reboot(rig.alice, "web-1").status == "ACTIVE"
    assert c.servers.reboot(rig.alice, server.id, hard=True).status == "ACTIVE"
    assert watched.seen == ["REBOOT", "HARD_REBOOT"]
    assert [(j.playbook, j.host, j.extravars["power_state"], j.extravars["reboot_type"]) for j in watched.jobs] == [
        ("server_power", "cn2", "rebooted", "soft"), ("server_power", "cn2", "rebooted", "hard")]
    steps = [(a.action, a.step, a.status, a.message) for a in c.servers.actions(rig.alice, server.id)]
    assert steps[-4:] == [("reboot", "request", "ok", "soft"), ("reboot", "server_power", "changed", ""),
                          ("reboot", "request", "ok", "hard"), ("reboot", "server_power", "changed", "")]
    assert [a.host for a in c.servers.actions(rig.cloud.admin, server.id)][-1] == "cn2"
    # a SHUTOFF server is started (the node module starts a shut off domain instead of rebooting it)
    c.servers.stop(rig.alice, server.id)
    assert c.servers.reboot(rig.alice, server.id).status == "ACTIVE"


def test_who_may_reboot_and_what_cannot_be(rig: Rig, watched: WatchingRunner) -> None:
    c = rig.cloud.c
    server = boot(rig)
    with pytest.raises(PolicyNotAuthorized, match="compute:reboot_server"):
        c.servers.reboot(rig.rita, server.id)  # a reader
    with pytest.raises(NotFound):
        c.servers.reboot(rig.bob, server.id)  # another project's member
    assert c.servers.reboot(rig.cloud.admin, server.id).status == "ACTIVE"
    with c.db.write() as session:  # a reboot that hangs (its process gone)
        row = session.get(m.Server, server.id)
        assert row is not None
        row.status = "REBOOT"
    with pytest.raises(Conflict, match="REBOOT: it cannot be rebooted; a hard reboot can"):
        c.servers.reboot(rig.alice, server.id)
    with pytest.raises(Conflict, match="REBOOT: it cannot be started"):
        c.servers.start(rig.alice, server.id)
    assert c.servers.reboot(rig.alice, server.id, hard=True).status == "ACTIVE"
    watched.failing = {"cn1", "cn2"}
    broken = boot(rig, "web-2")
    with pytest.raises(Conflict, match="ERROR: it cannot be rebooted"):
        c.servers.reboot(rig.alice, broken.id, hard=True)


def test_a_failed_reboot_puts_the_status_back_and_hides_the_host(rig: Rig, watched: WatchingRunner) -> None:
    c = rig.cloud.c
    server = boot(rig)
    c.servers.stop(rig.alice, server.id)
    watched.failing = {"cn2"}
    with pytest.raises(Conflict, match="could not be rebooted: The instances pool on <host>") as raised:
        c.servers.reboot(rig.alice, server.id, hard=True)
    assert "cn2" not in str(raised.value)
    assert c.servers.get(rig.alice, server.id).status == "SHUTOFF"
    failed = [a for a in c.servers.actions(rig.alice, server.id) if a.status == "failed"]
    assert failed[-1].action == "reboot" and failed[-1].step == "server_power: The instances pool"
    watched.raise_on = "server_power"  # the conductor itself fails: the status is put back too
    watched.failing = set()
    with pytest.raises(RuntimeError):
        c.servers.reboot(rig.alice, server.id)
    assert c.servers.get(rig.alice, server.id).status == "SHUTOFF"


def test_console_log_reads_the_end_on_the_host_for_members_only(rig: Rig, watched: WatchingRunner) -> None:
    c = rig.cloud.c
    server = boot(rig)
    watched.jobs.clear()
    assert c.servers.console_log(rig.alice, "web-1") == CONSOLE
    assert c.servers.console_log(rig.alice, server.id, lines=2) == "web-1 login: \x1b[6n\r\nlast\r\n"
    assert c.servers.console_log(rig.cloud.admin, server.id, lines=1) == "last\r\n"
    assert [(j.playbook, j.host, j.extravars) for j in watched.jobs] == [
        ("server_console", "cn2", {"server": {"uuid": server.id}, "console_bytes": MAX_CONSOLE_BYTES})] * 3
    actions = len(c.servers.actions(rig.alice, server.id))
    watched.console = ""
    assert c.servers.console_log(rig.alice, server.id, lines=5) == ""
    assert len(c.servers.actions(rig.alice, server.id)) == actions, "reading the console is no action"
    with pytest.raises(PolicyNotAuthorized, match="compute:get_console_output"):
        c.servers.console_log(rig.rita, server.id)
    with pytest.raises(NotFound):
        c.servers.console_log(rig.bob, server.id)
    for bad in (-1, True, "5"):
        with pytest.raises(ValidationError, match="lines"):
            c.servers.console_log(rig.alice, server.id, lines=bad)  # type: ignore[arg-type]
    watched.failing = {"cn2"}
    with pytest.raises(Conflict, match="console could not be read: The instances pool on <host>"):
        c.servers.console_log(rig.alice, server.id)
    watched.failing = set()
    broken = boot(rig, "web-2", availability_zone="nowhere")  # ERROR (no valid host), on no host
    with pytest.raises(Conflict, match="ERROR: it has no console"):
        c.servers.console_log(rig.alice, broken.id)
