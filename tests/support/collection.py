"""Make this checkout importable as ``ansible_collections.stackling.cloud`` and run its modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS_ROOT = REPO / "build" / "collections"


def ensure_collection_link() -> Path:
    """build/collections/ansible_collections/stackling/cloud -> the checkout (idempotent)."""
    link = COLLECTIONS_ROOT / "ansible_collections" / "stackling" / "cloud"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink():
        link.symlink_to(REPO, target_is_directory=True)
    return COLLECTIONS_ROOT


def run_module(
    name: str, /, *, check: bool = False, diff: bool = False, in_netns: str | None = None, **params: Any
) -> dict[str, Any]:
    """Run ``stackling.cloud.<name>`` as Ansible would (a separate Python process, JSON args);
    ``in_netns``: inside that network namespace (``ip netns exec``), one the test made.

    Returns the module's JSON result; ``result['failed']`` is True when it called fail_json.
    """
    root = ensure_collection_link()
    args = dict(params, _ansible_check_mode=check, _ansible_diff=diff)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    prefix = ["ip", "netns", "exec", in_netns] if in_netns else []
    try:
        env = dict(os.environ, PYTHONPATH=str(root))
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "ansible_collections.stackling.cloud.plugins.modules." + name, handle.name],
            capture_output=True, text=True, env=env, timeout=600, check=False,
        )
    finally:
        os.unlink(handle.name)
    try:
        result: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(
            "module %s printed no JSON (rc=%s)\nstdout:\n%s\nstderr:\n%s" % (name, proc.returncode, proc.stdout, proc.stderr)
        ) from exc
    result.setdefault("failed", False)
    return result


def start_module(name: str, args: Path, /, **params: Any) -> subprocess.Popen[str]:
    """``stackling.cloud.<name>`` started as a process of its own session, as Ansible would run it (so
    the caller can kill it and the ansible-runner it started, as when an operator's playbook run is
    killed); ``args``: the file its arguments are written to. Its JSON result is on its stdout."""
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": params}))
    env = dict(os.environ, PYTHONPATH=str(ensure_collection_link()))
    return subprocess.Popen([sys.executable, "-m", "ansible_collections.stackling.cloud.plugins.modules." + name,
                             str(args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)  # fmt: skip


def run_playbook(playbook: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """ansible-playbook against localhost with this checkout as the stackling.cloud collection."""
    root = ensure_collection_link()
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(root), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
               ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0")
    bindir = Path(sys.executable).parent
    return subprocess.run(
        [str(bindir / "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "-e", "ansible_python_interpreter=" + sys.executable, str(playbook), *extra],
        capture_output=True, text=True, env=env, timeout=1200, check=False,
    )
