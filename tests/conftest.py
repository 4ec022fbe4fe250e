"""Fixtures shared by every Stackling test suite."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import TEST_PREFIX  # noqa: E402,F401  (re-exported for the test modules)
from tests.support.collection import ensure_collection_link  # noqa: E402
from tests.support.netns import netns_factory  # noqa: E402,F401  (a fixture for every suite)
from tests.support.rig import rig  # noqa: E402

ensure_collection_link()
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "build" / "collections"))


@pytest.fixture(scope="session")
def libvirt_rig() -> Iterator[str]:
    """A libvirtd in the rig's network namespace; started (and later stopped) here unless already up."""
    already_up = rig("status").returncode == 0
    if not already_up:
        started = rig("start")
        if started.returncode != 0:
            pytest.fail("cannot start the libvirt rig: %s%s" % (started.stdout, started.stderr))
    yield "qemu:///system"
    if not already_up and not os.environ.get("STACKLING_KEEP_RIG"):
        rig("stop")


@pytest.fixture()
def libvirt_conn(libvirt_rig: str):  # type: ignore[no-untyped-def]
    import libvirt

    conn = libvirt.open(libvirt_rig)
    yield conn
    conn.close()
