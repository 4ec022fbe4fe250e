"""libvirt_pool and libvirt_volume from a real playbook: the second run changes nothing."""

from __future__ import annotations

import re
import sys
import uuid
from pathlib import Path

from tests.conftest import TEST_PREFIX
from tests.support.collection import run_playbook

PLAYBOOK = Path(__file__).parent / "playbooks" / "libvirt_storage.yml"


def recap(stdout: str) -> dict[str, int]:
    match = re.search(r"localhost\s*:\s*(.*)", stdout.split("PLAY RECAP")[-1])
    assert match, stdout
    return dict((key, int(value)) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1)))


def test_second_run_reports_no_change(libvirt_conn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    name = "%splay-%s" % (TEST_PREFIX, uuid.uuid4().hex[:8])
    # The modules need libvirt-python, which is in the test venv: run them with its interpreter.
    extra = ("-e", "stk_pool=%s" % name, "-e", "stk_dir=%s" % tmp_path, "-e", "ansible_python_interpreter=" + sys.executable)
    try:
        first = run_playbook(PLAYBOOK, *extra)
        assert first.returncode == 0, first.stdout + first.stderr
        assert recap(first.stdout)["changed"] == 3
        second = run_playbook(PLAYBOOK, *extra)
        assert second.returncode == 0, second.stdout + second.stderr
        assert recap(second.stdout)["changed"] == 0 and recap(second.stdout)["failed"] == 0
        pool = libvirt_conn.storagePoolLookupByName(name)
        assert sorted(pool.listVolumes()) == ["base.qcow2", "web1.qcow2"]
    finally:
        _remove(libvirt_conn, name)


def _remove(conn, name: str) -> None:  # type: ignore[no-untyped-def]
    if name not in [pool.name() for pool in conn.listAllStoragePools()]:
        return
    pool = conn.storagePoolLookupByName(name)
    if pool.isActive():
        for volume in pool.listVolumes():
            pool.storageVolLookupByName(volume).delete(0)
        pool.destroy()
    pool.undefine()
