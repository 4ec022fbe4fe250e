"""The image and keypair cloud modules (image, image_info, keypair, keypair_info) against a real
controller, run as processes, with files made by the real qemu-img. The URL upload fetches from
an http.server on the loopback of a network namespace the test made, the module running inside it.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.functional.cloud_support import CloudRig, cloud_rig, unique  # noqa: F401  (fixture)
from tests.functional.test_cloud_scheduling import assert_fails, assert_ok, assert_refused
from tests.support.netns import NetnsFactory

PORT = 8471


def qemu_img(*args: str) -> None:
    subprocess.run(["qemu-img", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture()
def disks(tmp_path: Path) -> dict[str, Path]:
    qemu_img("create", "-f", "qcow2", str(tmp_path / "one.qcow2"), "2M")
    qemu_img("create", "-f", "qcow2", str(tmp_path / "two.qcow2"), "4M")
    qemu_img("create", "-f", "raw", str(tmp_path / "disk.raw"), "1M")
    qemu_img("create", "-f", "qcow2", "-b", str(tmp_path / "one.qcow2"), "-F", "qcow2", str(tmp_path / "over.qcow2"))
    return {path.name: path for path in tmp_path.iterdir()}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def store(rig: CloudRig) -> list[str]:
    directory = rig.controller.config.images.store_dir
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_image_upload_idempotence_checks_sharing_replace_and_protection(cloud_rig: CloudRig,
                                                                         disks: dict[str, Path]) -> None:  # fmt: skip
    name, rig = unique("img"), cloud_rig
    alice = {"as_user": "alice", "scope": "a"}
    params = {"name": name, "filename": str(disks["one.qcow2"]), "disk_format": "qcow2", "min_disk": 1,
              "checksum": sha256(disks["one.qcow2"]), "properties": {"architecture": "x86_64", "os_distro": "cirros"}}
    planned = rig.run("image", check=True, diff=True, **alice, **params)
    assert_ok(planned, True)
    assert planned["image"]["id"] is None and planned["image"]["checksum"] == sha256(disks["one.qcow2"])
    assert planned["diff"]["after"]["visibility"] == "private" and store(rig) == [], "check mode uploaded"

    made = rig.run("image", **alice, **params)
    assert_ok(made, True)
    image = made["image"]
    assert (image["status"], image["virtual_size"], image["project_id"]) == ("active", 2 * 1024**2, rig.project_id("a"))
    assert image["properties"] == {"architecture": "x86_64", "os_distro": "cirros"} and store(rig) == [image["id"]]
    results = rig.run_all({
        "again": ("image", dict(alice, diff=True, **params)),
        "other_file": ("image", dict(alice, name=name, filename=str(disks["two.qcow2"]))),
        "bad_checksum": ("image", dict(alice, name=unique("img"), filename=str(disks["disk.raw"]), disk_format="raw",
                                       checksum="0" * 64)),
        "backing": ("image", dict(alice, name=unique("img"), filename=str(disks["over.qcow2"]), disk_format="qcow2")),
        "mismatch": ("image", dict(alice, name=unique("img"), filename=str(disks["one.qcow2"]), disk_format="raw")),
        "reader": ("image", dict(as_user="rita", scope="a", name=unique("img"), filename=str(disks["disk.raw"]),
                                 disk_format="raw")),
        "public": ("image", dict(alice, name=name, visibility="public")),
        "bob": ("image_info", {"as_user": "bob", "scope": "b"}),
    })  # fmt: skip
    assert_ok(results["again"], False)
    assert results["again"]["diff"] == {"before": {}, "after": {}} and results["again"]["image"] == image
    assert_fails(results["other_file"], "filename", "immutable", "replace: true")
    assert_fails(results["bad_checksum"], "checksum", "not " + "0" * 64)
    assert_fails(results["backing"], "disk_format", "400 Bad Request", "backing file")
    assert_fails(results["mismatch"], "disk_format", "reads the file as qcow2")
    assert_refused(results["reader"], "image:create_image")
    assert_refused(results["public"], "image:publicize_image")
    assert name not in [i["name"] for i in results["bob"]["images"]]
    assert store(rig) == [image["id"]], "a refused upload left a file behind"

    shared = rig.run("image", diff=True, **alice, name=name, visibility="shared", projects=[rig.projects["b"]])
    assert_ok(shared, True)
    assert shared["diff"] == {"before": {"projects": [], "visibility": "private"},
                              "after": {"projects": [rig.project_id("b")], "visibility": "shared"}}
    seen = rig.run("image_info", as_user="bob", scope="b", name=name)["images"]
    assert [i["id"] for i in seen] == [image["id"]]

    replaced = rig.run("image", **alice, name=name, filename=str(disks["two.qcow2"]), replace=True, protected=True)
    assert_ok(replaced, True)
    new = replaced["image"]
    assert new["id"] != image["id"] and new["virtual_size"] == 4 * 1024**2 and new["visibility"] == "shared"
    assert new["properties"] == image["properties"] and store(rig) == [new["id"]]
    assert_fails(rig.run("image", **alice, name=name, state="absent"), "protected", "protected: false")
    assert_ok(rig.run("image", **alice, name=name, protected=False), True)
    assert_ok(rig.run("image", **alice, name=name, state="absent"), True)
    assert store(rig) == []


@pytest.fixture()
def http_in_netns(netns_factory: NetnsFactory, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``(namespace, served directory)``: python's http.server on 127.0.0.1 inside a new namespace."""
    ns, served = netns_factory("img"), tmp_path / "served"
    served.mkdir()
    server = subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory",
         str(served), str(PORT)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for _ in range(50):
            probe = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c",
                                    "import socket; socket.create_connection(('127.0.0.1', %d), 1)" % PORT],
                                   capture_output=True, check=False)  # fmt: skip
            if probe.returncode == 0:
                break
            time.sleep(0.1)
        yield ns, served
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_image_from_a_url_inside_a_namespace(cloud_rig: CloudRig, disks: dict[str, Path],
                                             http_in_netns: tuple[str, Path]) -> None:  # fmt: skip
    ns, served = http_in_netns
    (served / "disk.raw").write_bytes(disks["disk.raw"].read_bytes())
    name, url = unique("web"), "http://127.0.0.1:%d/disk.raw" % PORT
    params: dict[str, Any] = {"as_user": "alice", "scope": "a", "in_netns": ns, "url": url, "disk_format": "raw"}
    made = cloud_rig.run("image", name=name, checksum=sha256(disks["disk.raw"]), **params)
    assert_ok(made, True)
    assert made["image"]["checksum"] == sha256(disks["disk.raw"]) and made["image"]["virtual_size"] == 1024**2
    results = cloud_rig.run_all({
        "again": ("image", dict(params, name=name, checksum=sha256(disks["disk.raw"]))),
        "missing": ("image", dict(params, name=unique("web"), url=url + ".gone")),
    })
    assert_ok(results["again"], False)
    assert_fails(results["missing"], "url", "HTTP 404")
    cloud_rig.controller.images.delete(cloud_rig.admin, made["image"]["id"])


def public_line() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() + " t@x"


def test_keypair_generate_import_force_and_privacy(cloud_rig: CloudRig, tmp_path: Path) -> None:
    name, rig = unique("kp"), cloud_rig
    alice, bob = {"as_user": "alice", "scope": "a"}, {"as_user": "bob", "scope": "b"}
    made = rig.run("keypair", diff=True, name=name, **alice)
    assert_ok(made, True)
    private = made["keypair"]["private_key"]
    assert private.startswith("-----BEGIN OPENSSH PRIVATE KEY-----") and "PRIVATE" not in str(made["diff"])
    serialization.load_ssh_private_key(private.encode(), password=None)
    (tmp_path / "bob.pub").write_text(public_line() + "\n")
    results = rig.run_all({
        "again": ("keypair", dict(alice, name=name)),
        "other_key": ("keypair", dict(alice, name=name, public_key=public_line())),
        "info": ("keypair_info", dict(alice)),
        "bob_imports": ("keypair", dict(bob, name=name, public_key_file=str(tmp_path / "bob.pub"))),
        "bob_peeks": ("keypair_info", dict(bob, user="alice")),
        "admin_lists": ("keypair_info", {"user": "alice", "name": name}),
        "planned": ("keypair", dict(alice, check=True, name=unique("kp"))),
        "bad_key": ("keypair", dict(alice, name=unique("kp"), public_key="ssh-rsa AAAA")),
    })  # fmt: skip
    assert_ok(results["again"], False)
    assert results["again"]["keypair"]["private_key"] is None, "the private key is returned once"
    assert_fails(results["other_key"], "public_key", "force: true")
    assert [k["name"] for k in results["info"]["keypairs"]] == [name] and private not in str(results["info"])
    assert_ok(results["bob_imports"], True)
    assert results["bob_imports"]["keypair"]["fingerprint"] != made["keypair"]["fingerprint"]
    assert_refused(results["bob_peeks"], "keypair:list_keypairs")
    assert [k["fingerprint"] for k in results["admin_lists"]["keypairs"]] == [made["keypair"]["fingerprint"]]
    assert_ok(results["planned"], True)
    assert results["planned"]["keypair"]["private_key"] is None
    assert_fails(results["bad_key"], "public_key", "not an OpenSSH public key")
    assert rig.controller.keypairs.list(rig.admin, user="alice") == [rig.controller.keypairs.get(rig.admin, name,
                                                                                                 user="alice")]

    forced = rig.run("keypair", diff=True, name=name, public_key=public_line(), force=True, **alice)
    assert_ok(forced, True)
    assert forced["diff"]["after"]["fingerprint"] != made["keypair"]["fingerprint"]
    assert_ok(rig.run("keypair", name=name, state="absent", **alice), True)
    assert rig.controller.keypairs.find(rig.admin, name, user="alice") is None
    assert rig.controller.keypairs.find(rig.admin, name, user="bob") is not None, "bob's keypair of that name stays"
