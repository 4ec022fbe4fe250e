"""stackling.cloud.config_drive writing real vfat and iso9660 images, read back with mtools and isoinfo.
(tools/make-config-drive builds with the same module_utils, and test_guest_image.py boots the tiny
guest from such drives.)"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.collection import run_module

SECRET_USER_DATA = "#!/bin/sh\necho password=hunter2-stktest\n"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGd0ZXN0a2V5Zm9yc3RhY2tsaW5ndGlueWltYWdl stktest@stackling"


def drive_file(image: Path, fmt: str, name: str) -> str:
    argv = (["mtype", "-i", str(image), "::" + name] if fmt == "vfat"
            else ["isoinfo", "-i", str(image), "-R", "-x", "/" + name])
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=30).stdout


def params(path: Path, **overrides: Any) -> dict[str, Any]:
    base = {"path": str(path), "instance_id": "i-0001", "hostname": "web-1", "ssh_public_keys": [KEY],
            "user_data": SECRET_USER_DATA,
            "network_config": {"version": 1, "config": [{"type": "physical", "name": "eth0",
                                                          "subnets": [{"type": "dhcp"}]}]}}
    return dict(base, **overrides)


@pytest.mark.parametrize("fmt", ["vfat", "iso9660"])
def test_drive_holds_what_was_asked_and_a_rerun_changes_nothing(tmp_path: Path, fmt: str) -> None:
    image = tmp_path / "config-drive.img"
    planned = run_module("config_drive", check=True, **params(image, format=fmt))
    assert planned["changed"] and not image.exists(), planned

    made = run_module("config_drive", diff=True, **params(image, format=fmt))
    assert made["changed"] and not made["failed"], made
    assert made["drive"]["files"] == ["meta-data", "network-config", "user-data"]
    meta = drive_file(image, fmt, "meta-data")
    assert 'instance-id: "i-0001"' in meta and 'local-hostname: "web-1"' in meta and KEY in meta
    assert drive_file(image, fmt, "user-data") == SECRET_USER_DATA
    assert '"name": "eth0"' in drive_file(image, fmt, "network-config")
    assert oct(image.stat().st_mode & 0o777) == "0o644"
    assert "hunter2" not in str(made), "user-data leaked into the module result or diff"
    assert "user-data sha256" in made["diff"]["after"]

    again = run_module("config_drive", **params(image, format=fmt))
    assert not again["changed"] and again["commands"] == [], again


def test_changed_hostname_rebuilds_and_the_diff_says_what_changed(tmp_path: Path) -> None:
    image = tmp_path / "cd.img"
    run_module("config_drive", **params(image))
    renamed = run_module("config_drive", diff=True, **params(image, hostname="web-2"))
    assert renamed["changed"]
    assert list(renamed["diff"]["after"]) == ["meta-data"]
    assert 'local-hostname: "web-2"' in drive_file(image, "vfat", "meta-data")

    as_iso = run_module("config_drive", **params(image, hostname="web-2", format="iso9660"))
    assert as_iso["changed"] and drive_file(image, "iso9660", "user-data") == SECRET_USER_DATA


def test_mode_drift_is_repaired_without_rebuilding(tmp_path: Path) -> None:
    image = tmp_path / "cd.img"
    run_module("config_drive", **params(image))
    image.chmod(0o600)
    inode = image.stat().st_ino
    fixed = run_module("config_drive", **params(image))
    assert fixed["changed"] and fixed["commands"] == ["chmod 0644 %s" % image]
    assert image.stat().st_ino == inode and oct(image.stat().st_mode & 0o777) == "0o644"


def test_absent_removes_the_image(tmp_path: Path) -> None:
    image = tmp_path / "cd.img"
    run_module("config_drive", **params(image))
    gone = run_module("config_drive", path=str(image), state="absent")
    assert gone["changed"] and not image.exists()
    assert not run_module("config_drive", path=str(image), state="absent")["changed"]
    # nothing to remove where its directory is gone too (server_delete.yml after a build that failed
    # before the instances directory existed)
    missing = run_module("config_drive", path=str(tmp_path / "gone" / "cd.img"), state="absent")
    assert not missing["failed"] and not missing["changed"], missing


@pytest.mark.parametrize(("overrides", "field", "text"), [
    ({"hostname": "bad_name!"}, "hostname", "not a valid host name"),
    ({"instance_id": ""}, "instance_id", "required"),
    ({"ssh_public_keys": ["ssh-ed25519 AAAA\nssh-rsa BBBB"]}, "ssh_public_keys", "one line"),
    ({"mode": "rw-r--r--"}, "mode", "octal"),
])
def test_bad_input_names_the_option_and_writes_nothing(tmp_path: Path, overrides: dict[str, Any], field: str,
                                                       text: str) -> None:
    image = tmp_path / "cd.img"
    result = run_module("config_drive", **params(image, **overrides))
    assert result["failed"] and field in result["msg"] and text in result["msg"], result
    assert list(tmp_path.iterdir()) == []


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    result = run_module("config_drive", **params(tmp_path / "nope" / "cd.img"))
    assert result["failed"] and "create it first" in result["msg"]
