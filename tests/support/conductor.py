"""A conductor PlaybookRunner whose inventory hosts are this machine (local connection)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import yaml

from stackling.conductor import ConductorSettings, PlaybookRunner
from tests.support.collection import REPO, ensure_collection_link

NODE_PLAYBOOKS = REPO / "playbooks" / "node"


def local_runner(work: Path, hosts: Mapping[str, Mapping[str, str]] | None = None,
                 playbook_dir: Path = NODE_PLAYBOOKS, timeout: int = 600) -> PlaybookRunner:
    """Inventory ``hosts`` (name -> host vars; default one host ``node1``), each reached locally."""
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = work / "hosts.yml"
    inventory.write_text(yaml.safe_dump(
        {"all": {"hosts": {name: dict(local, **hostvars) for name, hostvars in (hosts or {"node1": {}}).items()}}}))
    return PlaybookRunner(ConductorSettings(
        inventory=inventory, playbook_dir=playbook_dir, collections_path=ensure_collection_link(),
        work_dir=work / "conductor", default_timeout=timeout))
