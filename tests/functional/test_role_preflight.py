"""The roles that talk to the controller stop before changing anything, with a message naming
the fix, when the inventory has no controller (no group ``controller`` and no *_controller_host).
Run against this machine in check mode: the preflight fails first, so nothing is installed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.support.collection import run_playbook


@pytest.mark.parametrize("role", ["compute", "storage"])
def test_a_role_without_a_controller_names_the_group_and_the_variable(tmp_path: Path, role: str) -> None:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {role: {"hosts": {"localhost": {}}}}}}))
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{"name": "A host without a controller", "hosts": role,
                                         "roles": [{"role": "stackling.cloud." + role}]}]))  # fmt: skip
    result = run_playbook(playbook, "-i", str(inventory), "--check", "-e", "stackling_admin_password=unused",
                          "-e", '{"storage_lvm_loop": true}')  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    expected = ("No controller host: %s_controller_host is '', not a host of the inventory. Put the controller in "
                "the inventory group 'controller' or set %s_controller_host" % (role, role))  # fmt: skip
    assert expected in output, output
    assert "changed=0" in output, output  # stopped in the preflight, before any change
