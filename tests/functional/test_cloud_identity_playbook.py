"""The documented example, playbooks/examples/identity.yml, against a real controller: it creates
a project, a user, a grant and an application credential; the second run changes nothing;
no password, token or secret shows in the -v output."""

from __future__ import annotations

import re

import pytest

from tests.functional.cloud_support import CloudRig, cloud_rig, new_secret, unique  # noqa: F401  (fixture)
from tests.support.collection import REPO, run_playbook

PLAYBOOK = REPO / "playbooks" / "examples" / "identity.yml"
# A Fernet token (base64 of 0x80...) or the 64-character secret of an application credential.
TOKEN_OR_SECRET = re.compile(r"gAAAAA[A-Za-z0-9_=-]{20,}|[A-Za-z0-9_-]{60,}")
CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"


def recap(stdout: str) -> dict[str, int]:
    match = re.search(r"localhost\s*:\s*(.*)", stdout.split("PLAY RECAP")[-1])
    assert match, stdout
    return dict((key, int(value)) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1)))


def test_example_playbook_runs_twice_without_change_or_leak(cloud_rig: CloudRig, monkeypatch: pytest.MonkeyPatch) -> None:
    project, member, password = unique("web"), unique("member"), new_secret("member")
    monkeypatch.setenv("STACKLING_ADMIN_PASSWORD", cloud_rig.admin_password)
    monkeypatch.setenv("STACKLING_MEMBER_PASSWORD", password)
    extra = ("-v", "-e", "stackling_config=%s" % cloud_rig.config, "-e", "stackling_project=%s" % project,
             "-e", "stackling_member=%s" % member)

    first = run_playbook(PLAYBOOK, *extra)
    assert first.returncode == 0, first.stdout + first.stderr
    assert recap(first.stdout)["changed"] == 4, first.stdout  # project, user, grant, credential
    second = run_playbook(PLAYBOOK, *extra)
    assert second.returncode == 0, second.stdout + second.stderr
    assert recap(second.stdout)["changed"] == 0 and recap(second.stdout)["failed"] == 0, second.stdout

    identity, admin = cloud_rig.controller.identity, cloud_rig.admin
    grants = identity.list_role_assignments(admin, user=member, project=project)
    assert [grant.role_name for grant in grants] == ["member"]
    credentials = identity.list_application_credentials(admin, user_id=grants[0].user_id)
    assert [(c.name, c.roles) for c in credentials] == [("deploy", ("member",))]
    assert "%s has the application credential %s on %s: store its secret" % (
        member, credentials[0].id, project) in first.stdout

    for run in (first, second):
        output = run.stdout + run.stderr
        for secret in (cloud_rig.admin_password, password):
            assert secret not in output
        assert not TOKEN_OR_SECRET.findall(output), TOKEN_OR_SECRET.findall(output)
        assert output.count(CENSORED) == 2, output  # the login and the credential
