"""The image service on SQLite and PostgreSQL: uploads checked by the real qemu-img, checksums,
the store left clean after a refused upload, visibility between projects, and what may change."""

from __future__ import annotations

import hashlib
import stat
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from stackling.config import config_from_mapping
from stackling.context import Context
from stackling.errors import ConfigError, Conflict, NotFound, PolicyNotAuthorized, ValidationError
from stackling.images import Image, ImageSpec
from stackling.identity.types import Project
from stackling.images.inspect import inspect_image
from stackling.images.store import _SafeRedirects
from tests.library.helpers import Cloud


def qemu_img(*args: str) -> None:
    subprocess.run(["qemu-img", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture()
def disks(tmp_path: Path) -> dict[str, Path]:
    """Small disk files made by qemu-img: a qcow2, a raw, a qcow2 over a backing file, a qcow2 with a data file."""
    d = tmp_path / "disks"
    d.mkdir()
    qemu_img("create", "-f", "qcow2", str(d / "small.qcow2"), "3M")
    qemu_img("create", "-f", "raw", str(d / "small.raw"), "2M")
    qemu_img("create", "-f", "qcow2", "-b", str(d / "small.qcow2"), "-F", "qcow2", str(d / "over.qcow2"))
    qemu_img("create", "-f", "qcow2", "-o", "data_file=%s" % (d / "data.raw"), str(d / "datafile.qcow2"), "1M")
    return {path.name: path for path in d.iterdir()}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def store_files(cloud: Cloud) -> list[str]:
    directory = cloud.c.images.store.directory
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


@dataclass
class Tenants:
    """Projects img-a (alice: member, rita: reader), img-b (bob) and img-c (carol), and their logins."""

    a: Project
    b: Project
    c: Project
    alice: Context
    rita: Context
    bob: Context
    carol: Context


def tenants(cloud: Cloud) -> Tenants:
    a, b, c = cloud.project("img-a"), cloud.project("img-b"), cloud.project("img-c")
    cloud.user("alice", a)
    cloud.user("rita", a, role="reader")
    cloud.user("bob", b)
    cloud.user("carol", c)
    return Tenants(a, b, c, cloud.login("alice", a.id), cloud.login("rita", a.id), cloud.login("bob", b.id),
                   cloud.login("carol", c.id))  # fmt: skip


def test_config_section() -> None:
    config = config_from_mapping({"images": {"store_dir": "images", "max_size_gb": 2}}, base_dir=Path("/etc/stk"))
    assert config.images.store_dir == Path("/etc/stk/images") and config.images.max_size_gb == 2
    with pytest.raises(ConfigError, match="images.store: unknown key"):
        config_from_mapping({"images": {"store": "/x"}})
    with pytest.raises(ConfigError, match="images.max_size_gb: expected an integer >= 1"):
        config_from_mapping({"images": {"max_size_gb": 0}})


def test_upload_checks_format_and_checksum_and_stores_the_file(cloud: Cloud, disks: dict[str, Path]) -> None:
    source = disks["small.qcow2"]
    image = cloud.c.images.create(cloud.admin, "cirros", disk_format="qcow2", filename=source,
                                  checksum=sha256(source).upper(),
                                  spec=ImageSpec(properties={"architecture": "x86_64", "os_distro": "cirros"},
                                                 min_disk_gb=1, min_ram_mb=64))  # fmt: skip
    assert (image.status, image.disk_format, image.visibility) == ("active", "qcow2", "private")
    assert image.virtual_size_bytes == 3 * 1024**2 and image.size_bytes == source.stat().st_size
    assert image.checksum == sha256(source) and image.md5 == hashlib.md5(source.read_bytes()).hexdigest()
    assert image.properties == {"architecture": "x86_64", "os_distro": "cirros"}
    stored = cloud.c.images.file_path(cloud.admin, "cirros")
    assert stored.name == image.id and stored.read_bytes() == source.read_bytes()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o640 and store_files(cloud) == [image.id]

    raw = cloud.c.images.create_from_file(cloud.admin, "snap", disks["small.raw"], disk_format="raw")
    assert raw.virtual_size_bytes == 2 * 1024**2 and raw.disk_format == "raw"
    url = cloud.c.images.create(cloud.admin, "from-url", disk_format="raw", url=disks["small.raw"].as_uri())
    assert url.checksum == raw.checksum
    assert [i.name for i in cloud.c.images.list(cloud.admin)] == ["cirros", "from-url", "snap"]


@pytest.mark.parametrize(
    ("disk", "declared", "field", "words"),
    [
        ("over.qcow2", "qcow2", "disk_format", "backing file"),
        ("datafile.qcow2", "qcow2", "disk_format", "data file"),
        ("small.qcow2", "raw", "disk_format", "reads the file as qcow2"),
        ("small.raw", "qcow2", "disk_format", "reads the file as raw"),
        ("small.raw", "vmdk", "disk_format", "expected one of qcow2, raw"),
    ],
)
def test_unsafe_or_mismatched_files_are_refused_and_leave_nothing(
    cloud: Cloud, disks: dict[str, Path], disk: str, declared: str, field: str, words: str
) -> None:
    with pytest.raises(ValidationError, match=words) as caught:
        cloud.c.images.create(cloud.admin, "bad", disk_format=declared, filename=disks[disk])
    assert caught.value.field == field
    assert store_files(cloud) == [] and cloud.c.images.find(cloud.admin, "bad") is None


def test_bad_sources_and_checksums_leave_nothing(cloud: Cloud, disks: dict[str, Path], tmp_path: Path) -> None:
    images, admin = cloud.c.images, cloud.admin
    cases = [
        ({"filename": disks["small.raw"], "checksum": "0" * 64}, "checksum", "sha256 is"),
        ({"filename": disks["small.raw"], "checksum": "abc"}, "checksum", "64 hex digits"),
        ({"filename": tmp_path / "missing.raw"}, "filename", "not a regular file"),
        ({"url": "ftp://example.invalid/x.raw"}, "url", "only http, https, file"),
        ({"url": (tmp_path / "missing.raw").as_uri()}, "url", "cannot fetch"),
        ({}, "filename", "exactly one of filename and url"),
    ]
    for source, field, words in cases:
        with pytest.raises(ValidationError, match=words) as caught:
            images.create(admin, "bad", disk_format="raw", **source)
        assert caught.value.field == field, source
    images.store.max_size_bytes = 1024 * 1024
    with pytest.raises(ValidationError, match="larger than images.max_size_gb"):
        images.create(admin, "big", disk_format="raw", filename=disks["small.raw"])
    assert store_files(cloud) == []


def test_properties_and_minimums_are_validated(cloud: Cloud, disks: dict[str, Path]) -> None:
    for spec, field in (
        (ImageSpec(properties={"architecture": "amd64"}), "properties.architecture"),
        (ImageSpec(properties={"hypervisor_type": "xen"}), "properties.hypervisor_type"),
        (ImageSpec(properties={"min_disk": "1"}), "properties.min_disk"),
        (ImageSpec(min_ram_mb=-1), "min_ram"),
        (ImageSpec(projects=["x"]), "projects"),
        (ImageSpec(visibility="community"), "visibility"),
    ):
        with pytest.raises(ValidationError) as caught:
            cloud.c.images.create(cloud.admin, "x", disk_format="raw", filename=disks["small.raw"], spec=spec)
        assert caught.value.field == field
    assert store_files(cloud) == []


def test_visibility_between_projects(cloud: Cloud, disks: dict[str, Path]) -> None:
    t = tenants(cloud)
    images, raw = cloud.c.images, disks["small.raw"]
    private = images.create(t.alice, "a-private", disk_format="raw", filename=raw)
    shared = images.create(t.alice, "a-shared", disk_format="raw", filename=raw,
                           spec=ImageSpec(visibility="shared", projects=["img-b"]))  # fmt: skip
    public = images.create(cloud.admin, "public", disk_format="raw", filename=raw, spec=ImageSpec(visibility="public"))

    def names(who: str) -> list[str]:
        return [i.name for i in images.list(getattr(t, who))]

    assert names("alice") == names("rita") == ["a-private", "a-shared", "public"]
    assert names("bob") == ["a-shared", "public"] and names("carol") == ["public"]
    assert [i.name for i in images.list(cloud.admin)] == ["a-private", "a-shared", "public"]
    assert images.find(t.carol, private.id) is None and images.find(t.carol, "a-shared") is None
    assert shared.projects == (t.b.id,)

    with pytest.raises(PolicyNotAuthorized, match="image:publicize_image"):
        images.create(t.alice, "pub", disk_format="raw", filename=raw, spec=ImageSpec(visibility="public"))
    with pytest.raises(PolicyNotAuthorized, match="image:publicize_image"):
        images.update(t.alice, "a-private", visibility="public")
    with pytest.raises(PolicyNotAuthorized, match="image:create_image"):
        images.create(t.rita, "r", disk_format="raw", filename=raw)
    with pytest.raises(PolicyNotAuthorized, match="image:update_image"):
        images.update(t.bob, "a-shared", name="mine")
    with pytest.raises(PolicyNotAuthorized, match="image:delete_image"):
        images.delete(t.bob, "public")
    with pytest.raises(NotFound):
        images.delete(t.carol, private.id)

    images.update(t.alice, "a-shared", visibility="private")
    assert names("bob") == ["public"], "members see a shared image only while it is shared"
    assert public.id in store_files(cloud)


def test_update_protect_replace_and_delete(cloud: Cloud, disks: dict[str, Path]) -> None:
    t = tenants(cloud)
    alice, images = t.alice, cloud.c.images
    first = images.create(alice, "web", disk_format="raw", filename=disks["small.raw"],
                          spec=ImageSpec(properties={"os_distro": "debian"}, protected=True))  # fmt: skip
    with pytest.raises(Conflict, match="images are immutable"):
        images.create(alice, "web", disk_format="qcow2", filename=disks["small.qcow2"])
    updated = images.update(alice, "web", properties={"os_distro": None, "hypervisor_type": "kvm"},
                            min_disk_gb=2, visibility="shared", add_projects=["img-c"])  # fmt: skip
    assert updated.properties == {"hypervisor_type": "kvm"} and updated.min_disk_gb == 2
    assert updated.projects == (t.c.id,) and updated.updated_at > first.updated_at
    with pytest.raises(ValidationError, match="protected") as caught:
        images.delete(alice, "web")
    assert caught.value.field == "protected"
    with pytest.raises(ValidationError, match="protected"):
        images.create(alice, "web", disk_format="qcow2", filename=disks["small.qcow2"], replace=True)
    images.update(alice, "web", protected=False)

    second = images.create(alice, "web", disk_format="qcow2", filename=disks["small.qcow2"], replace=True)
    assert second.id != first.id and second.disk_format == "qcow2"
    assert store_files(cloud) == [second.id], "the replaced image's file is gone"
    images.delete(alice, "web")
    assert images.find(alice, "web") is None and store_files(cloud) == []


def test_same_name_in_two_projects_resolves_to_the_own_one(cloud: Cloud, disks: dict[str, Path]) -> None:
    t = tenants(cloud)
    images = cloud.c.images
    mine: Image = images.create(t.bob, "base", disk_format="raw", filename=disks["small.raw"])
    images.create(cloud.admin, "base", disk_format="raw", filename=disks["small.raw"], spec=ImageSpec(visibility="public"))
    assert images.get(t.bob, "base").id == mine.id
    assert images.find(t.carol, "base", own=True) is None and images.find(t.bob, "base", own=True) == mine
    assert images.get(t.carol, "base").visibility == "public"
    images.create(t.alice, "base", disk_format="raw", filename=disks["small.raw"],
                  spec=ImageSpec(visibility="shared", projects=["img-c"]))  # fmt: skip
    with pytest.raises(Conflict, match="use the image id"):
        images.get(t.carol, "base")


def test_inspect_reads_the_virtual_size(disks: dict[str, Path]) -> None:
    info = inspect_image(disks["small.qcow2"], "qcow2")
    assert info.virtual_size_bytes == 3 * 1024**2 and info.disk_format == "qcow2"


def test_redirects_only_go_to_http_and_https() -> None:
    handler = _SafeRedirects()
    request = urllib.request.Request("http://images.example/x.raw")
    with pytest.raises(urllib.error.HTTPError, match="non-http"):
        handler.redirect_request(request, None, 302, "Found", {}, "file:///etc/shadow")
    followed = handler.redirect_request(request, None, 302, "Found", {}, "https://mirror.example/x.raw")
    assert followed is not None and followed.full_url == "https://mirror.example/x.raw"
