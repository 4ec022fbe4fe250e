"""Running the storage modules from the functional tests.

``tests.support.collection.run_module(name, **params)`` cannot pass a module option called
``name`` (its own first parameter has that name), and libvirt_pool and libvirt_volume both
have one. ``run`` is the same runner with the module given positionally only; drop it once
run_module declares ``name`` positional-only (``def run_module(name, /, *, ...)``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Any

from tests.support.collection import ensure_collection_link


def run(module: str, /, *, check: bool = False, diff: bool = False, **params: Any) -> dict[str, Any]:
    """Run ``stackling.cloud.<module>`` in its own Python process and return its JSON result."""
    root = ensure_collection_link()
    args = dict(params, _ansible_check_mode=check, _ansible_diff=diff)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ansible_collections.stackling.cloud.plugins.modules." + module, handle.name],
            capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(root)), timeout=600, check=False,
        )
    finally:
        os.unlink(handle.name)
    try:
        result: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError("module %s printed no JSON (rc=%s)\nstdout:\n%s\nstderr:\n%s"
                             % (module, proc.returncode, proc.stdout, proc.stderr)) from exc
    result.setdefault("failed", False)
    return result
