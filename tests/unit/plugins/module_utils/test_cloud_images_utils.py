"""The image and keypair modules' pure pieces, in process: file hashing, key files, what counts
as another file for an existing image, and the keypair plan (force, re-runs without a key)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from ansible_collections.stackling.cloud.plugins.module_utils._cloud_images import file_sha256, read_key_file
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput
from ansible_collections.stackling.cloud.plugins.modules import image, keypair
from stackling.compute.keypairs import fingerprint


def image_params(**given: Any) -> dict[str, Any]:
    params = dict.fromkeys(image.ARGUMENT_SPEC)
    params.update(state="present", replace=False, **given)
    return params


def key_line() -> str:
    public = ed25519.Ed25519PrivateKey.generate().public_key()
    return public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() + " c"


def test_file_sha256_and_unreadable_files_name_the_option(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x" * 3_000_000)
    assert file_sha256("filename", str(tmp_path / "f")) == (hashlib.sha256(b"x" * 3_000_000).hexdigest(), 3_000_000)
    with pytest.raises(InvalidInput) as caught:
        file_sha256("filename", str(tmp_path / "missing"))
    assert caught.value.field == "filename"


def test_key_files_hold_exactly_one_line(tmp_path: Path) -> None:
    (tmp_path / "one.pub").write_text("\nssh-ed25519 AAAA c\n\n")
    (tmp_path / "two.pub").write_text("ssh-ed25519 AAAA a\nssh-ed25519 AAAA b\n")
    assert read_key_file("public_key_file", str(tmp_path / "one.pub")) == "ssh-ed25519 AAAA c"
    with pytest.raises(InvalidInput, match="found 2"):
        read_key_file("public_key_file", str(tmp_path / "two.pub"))


def test_source_checksum_and_immutable_differences(tmp_path: Path) -> None:
    (tmp_path / "disk").write_bytes(b"disk")
    digest = hashlib.sha256(b"disk").hexdigest()
    source = image.source_of(image_params(filename=str(tmp_path / "disk")))
    assert source == {"field": "filename", "checksum": digest, "size": 4}
    with pytest.raises(InvalidInput) as caught:
        image.source_of(image_params(filename=str(tmp_path / "disk"), checksum="0" * 64))
    assert caught.value.field == "checksum"
    assert image.source_of(image_params(url="http://x/d", checksum=digest.upper()))["checksum"] == digest
    assert image.source_of(image_params(url="http://x/d"))["checksum"] is None

    current = {"name": "d", "checksum": digest, "disk_format": "raw"}
    assert image.immutable_difference(current, image_params(disk_format="raw"), source) is None
    assert image.immutable_difference(current, image_params(), {"field": "url", "checksum": None}) is None
    other = image.immutable_difference(current, image_params(), {"field": "url", "checksum": "1" * 64})
    assert other is not None and other[0] == "url"
    assert image.immutable_difference(current, image_params(disk_format="qcow2"), None)[0] == "disk_format"  # type: ignore[index]


def test_keypair_plans() -> None:
    cloud = SimpleNamespace(ctx=SimpleNamespace(user_id="u1"))
    line = key_line()
    params = {"name": "k", "state": "present", "public_key": None, "public_key_file": None, "force": False,
              "user": None}
    current = {"id": "1", "name": "k", "user_id": "u1", "type": "ssh", "public_key": line,
               "fingerprint": fingerprint(line), "created_at": None}
    assert not keypair.planned(cloud, params, current).changed, "no key given: the existing one stays"
    assert not keypair.planned(cloud, dict(params, public_key=line + "  "), current).changed
    other = dict(params, public_key=key_line())
    with pytest.raises(InvalidInput, match="force: true") as caught:
        keypair.planned(cloud, other, current)
    assert caught.value.field == "public_key"
    assert keypair.planned(cloud, dict(other, force=True), current).action == "replace"
    created = keypair.planned(cloud, params, None)
    assert created.action == "create" and created.after["user_id"] == "u1" and created.after["public_key"] is None
