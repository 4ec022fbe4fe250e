"""The conductor's playbook runner: real ansible-runner, real ansible-playbook, the collection's
real node modules, run against this host (local connection) inside namespaces the test made."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from stackling.conductor import JobStatus, NodeJob, PlaybookRunner, StepStatus
from stackling.errors import ConfigError, ValidationError
from tests.support.conductor import local_runner
from tests.support.netns import NetnsFactory, ip_json

SECRET = "s3cr3t-must-not-leak"

PLAYBOOKS = {
    "make_bridge": """
        - name: Make a bridge
          hosts: all
          gather_facts: false
          tasks:
            - name: Bridge in the namespace
              stackling.cloud.ip_link:
                netns: "{{ netns }}"
                name: "{{ bridge }}"
                kind: bridge
                state: present
    """,
    "fail_with_secret": """
        - name: Fail while holding a secret
          hosts: all
          gather_facts: false
          tasks:
            - name: Secret step
              ansible.builtin.fail:
                msg: "the password is {{ password }}"
              no_log: true
            - name: Never reached
              ansible.builtin.debug:
                msg: unreachable
    """,
    "bad_input": """
        - name: Bad input
          hosts: all
          gather_facts: false
          tasks:
            - name: VXLAN with an impossible VNI
              stackling.cloud.ip_link:
                netns: "{{ netns }}"
                name: vx0
                kind: vxlan
                vxlan:
                  id: 99999999
    """,
    "hand_back": """
        - name: Hand a value back
          hosts: all
          gather_facts: false
          tasks:
            - name: The value, for the conductor
              ansible.builtin.set_stats:
                data:
                  answer: "{{ password }} and more"
                per_host: false
                aggregate: false
              no_log: true
    """,
    "slow": """
        - name: Slow
          hosts: all
          gather_facts: false
          tasks:
            - name: Sleep longer than the job may take
              ansible.builtin.command: sleep 60
              changed_when: false
    """,
}


@pytest.fixture()
def runner(tmp_path: Path) -> PlaybookRunner:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    for name, text in PLAYBOOKS.items():
        (playbooks / (name + ".yml")).write_text(textwrap.dedent(text))
    return local_runner(tmp_path, playbook_dir=playbooks, timeout=120)


def test_job_runs_a_node_module_reports_its_steps_and_converges(runner: PlaybookRunner,
                                                                  netns_factory: NetnsFactory) -> None:
    ns = netns_factory("cond")
    job = NodeJob("make_bridge", "node1", {"netns": ns, "bridge": "br-cond"})
    first = runner.run(job)
    assert first.ok and first.changed, first
    assert [(s.task, s.status) for s in first.steps] == [("Bridge in the namespace", StepStatus.CHANGED)]
    assert ip_json(ns, "link", "show", "dev", "br-cond")[0]["linkinfo"]["info_kind"] == "bridge"

    again = runner.run(job)
    assert again.ok and not again.changed and again.steps[0].status is StepStatus.OK


def test_failed_step_is_named_and_secrets_stay_off_disk_and_out_of_the_result(runner: PlaybookRunner) -> None:
    result = runner.run(NodeJob("fail_with_secret", "node1", {"password": SECRET}))
    assert result.status is JobStatus.FAILED and not result.ok
    assert [(s.task, s.status) for s in result.steps] == [("Secret step", StepStatus.FAILED)]
    assert result.failure.startswith("Secret step on node1: ")
    assert SECRET not in repr(result.steps) and SECRET not in result.failure
    work_dir = runner.settings.work_dir
    assert list(work_dir.iterdir()) == [], "the job's private data dir (with its extravars) was not removed"


def test_set_stats_data_comes_back_in_the_result_only(runner: PlaybookRunner) -> None:
    result = runner.run(NodeJob("hand_back", "node1", {"password": SECRET}))
    assert result.ok and result.data == {"answer": SECRET + " and more"}
    assert SECRET not in repr(result.steps)
    assert list(runner.settings.work_dir.iterdir()) == []


def test_module_error_message_reaches_the_result(runner: PlaybookRunner, netns_factory: NetnsFactory) -> None:
    ns = netns_factory("cond")
    result = runner.run(NodeJob("bad_input", "node1", {"netns": ns}))
    assert result.status is JobStatus.FAILED
    assert result.failure.startswith("VXLAN with an impossible VNI on node1: "), result.failure
    assert "99999999" in result.failure, result.failure
    assert ip_json(ns, "link", "show") and all(link["ifname"] != "vx0" for link in ip_json(ns, "link", "show"))


def test_a_job_past_its_timeout_ends_as_timeout(runner: PlaybookRunner) -> None:
    result = runner.run(NodeJob("slow", "node1", timeout=3))
    assert result.status is JobStatus.TIMEOUT and not result.ok
    assert "timeout" in result.failure


def test_unknown_or_malformed_playbooks_and_hosts_are_refused(runner: PlaybookRunner) -> None:
    with pytest.raises(ValidationError, match="playbook"):
        NodeJob("../etc/passwd", "node1")
    with pytest.raises(ValidationError, match="host"):
        NodeJob("make_bridge", "node1,node2")
    with pytest.raises(ConfigError, match="not_there not found"):
        runner.run(NodeJob("not_there", "node1"))
