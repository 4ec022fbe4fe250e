"""Interrupted builds (docs/servers.md, "Interrupted builds"): a BUILD server whose builder died is
taken over by a re-run (``resume``) and ends ACTIVE holding one of each thing; while its builder
lives, a delete or a re-run is refused; a unique-name create refuses a second server of that name.
The process death is simulated in process here (the build raises and records nothing); the real
kill of a real build is in tests/functional/test_cloud_servers.py."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from stackling.compute.build_lock import LEASE_GRACE, BuildLock
from stackling.compute.servers import ServerRequest, ServerService
from stackling.conductor import JobResult, NodeJob
from stackling.errors import Conflict
from tests.library.test_servers import FakeRunner, Rig, boot, counts, rig, usage  # noqa: F401  (rig: fixture)


class _Killed(BaseException):
    """The process running the build died here."""


@dataclasses.dataclass
class DyingRunner(FakeRunner):
    die_on: str = ""

    def run(self, job: NodeJob) -> JobResult:
        if job.playbook == self.die_on:
            self.jobs.append(job)
            raise _Killed()
        return super().run(job)


def interrupted(rig: Rig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A server left in BUILD by a builder that died in server_boot (nothing recorded after)."""
    c = rig.cloud.c
    c.servers.conductor = dataclasses.replace(c.servers.conductor, work_dir=tmp_path / "conductor")
    c.servers.runner = DyingRunner(die_on="server_boot")
    with monkeypatch.context() as patch:
        patch.setattr(ServerService, "_fail", lambda *args, **kwargs: None)  # a dead process records nothing
        with pytest.raises(_Killed):
            boot(rig, unique_name=True)
    (server,) = c.servers.list(rig.alice)
    assert server.status == "BUILD"
    c.servers.runner = rig.runner
    return server.id


def test_a_build_whose_process_died_on_this_controller_is_resumed_at_once(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    c = rig.cloud.c
    server_id = interrupted(rig, monkeypatch, tmp_path)
    BuildLock(tmp_path / "conductor", server_id).path.touch()  # what a killed process leaves: an unlocked file
    done = c.servers.resume(rig.alice, server_id, ServerRequest("web-1", flavor="m1.tiny", image="tiny",
                                                                networks=["private"]))  # fmt: skip
    assert done.status == "ACTIVE" and done.id == server_id
    assert c.servers.get(rig.cloud.admin, server_id).host == "cn2", "the host it held"
    assert [j.host for j in rig.runner.played("server_boot")] == ["cn2"]
    assert counts(rig) == {"servers": 1, "ports": 2, "allocations": 3, "ips": 2}  # + DHCP port; 3 classes
    assert usage(rig) == {"instances": 1, "cores": 1, "ram_mb": 256, "ports": 1}
    steps = [(a.action, a.step) for a in c.servers.actions(rig.alice, server_id)]
    assert ("resume", "take over") in steps
    assert not list((tmp_path / "conductor" / "builds").iterdir()), "the lock file goes with the build"


def test_a_live_build_refuses_delete_and_resume_until_its_lease_expires(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    c = rig.cloud.c
    server_id = interrupted(rig, monkeypatch, tmp_path)  # no lock file here: its builder may be elsewhere
    request = ServerRequest("web-1", flavor="m1.tiny", image="tiny", networks=["private"])
    with pytest.raises(Conflict, match="is being built by another run"):
        c.servers.delete(rig.alice, server_id)
    with pytest.raises(Conflict, match="is being built by another run"):
        c.servers.resume(rig.alice, server_id, request)
    assert c.servers.get(rig.alice, server_id).status == "BUILD"
    rig.cloud.clock.advance(seconds=c.servers.conductor.job_timeout + LEASE_GRACE + 1)
    c.servers.delete(rig.alice, server_id)
    assert rig.runner.played("server_delete")[-1].host == "cn2"
    assert counts(rig) == {"servers": 0, "ports": 0, "allocations": 0, "ips": 0}
    assert usage(rig) == {"instances": 0, "cores": 0, "ram_mb": 0, "ports": 0}


def test_a_unique_name_create_refuses_a_second_server_of_that_name(rig: Rig, tmp_path: Path) -> None:
    c = rig.cloud.c
    c.servers.conductor = dataclasses.replace(c.servers.conductor, work_dir=tmp_path / "conductor")
    boot(rig, unique_name=True)
    before = counts(rig)
    with pytest.raises(Conflict, match="a server named web-1 is in the project already"):
        boot(rig, unique_name=True)
    assert counts(rig) == before
    assert usage(rig)["instances"] == 1
