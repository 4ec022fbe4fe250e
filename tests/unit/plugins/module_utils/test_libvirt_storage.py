"""The pure parts of _libvirt_storage: normalisers, spec <-> XML, image headers, the result shape."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt_storage import (
    image_info, normalise_devices, normalise_path, parse_pool_xml, parse_volume_xml, render_pool_xml,
    render_volume_xml, round_capacity, task_result,
)


def test_normalise_path() -> None:
    assert normalise_path("path", "/srv//images/") == "/srv/images"
    with pytest.raises(InvalidInput) as err:
        normalise_path("path", "images")
    assert err.value.field == "path"


def test_normalise_devices_is_an_ordered_set() -> None:
    assert normalise_devices("devices", ["/dev/sdc", "/dev/sdb", "/dev//sdc"]) == ["/dev/sdb", "/dev/sdc"]


@pytest.mark.parametrize("size, fmt, pool_type, expected", [
    (1000, "qcow2", "dir", 1024),
    (1024, "qcow2", "dir", 1024),
    (1000, "raw", "dir", 1000),
    (10 * 1024 ** 2, "raw", "logical", 12 * 1024 ** 2),
    (8 * 1024 ** 2, "raw", "logical", 8 * 1024 ** 2),
])
def test_round_capacity(size: int, fmt: str, pool_type: str, expected: int) -> None:
    assert round_capacity(size, fmt, pool_type) == expected


def test_dir_pool_xml_round_trip() -> None:
    spec = {"type": "dir", "path": "/srv/a&b<c"}
    xml = render_pool_xml("images", spec)
    assert ET.fromstring(xml).findtext("name") == "images"
    assert parse_pool_xml(xml) == spec


def test_logical_pool_xml_round_trip() -> None:
    spec = {"type": "logical", "path": "/dev/vg0", "vg": "vg0", "devices": ["/dev/sdb", "/dev/sdc"]}
    assert parse_pool_xml(render_pool_xml("lvm", spec)) == spec


def test_redefining_keeps_what_the_module_does_not_manage() -> None:
    base = ("<pool type='dir'><name>images</name><uuid>7eb34485-60bd-4ecc-85d9-e9bdd8e12bac</uuid>"
            "<target><path>/old</path><permissions><mode>0711</mode></permissions></target></pool>")
    root = ET.fromstring(render_pool_xml("images", {"type": "dir", "path": "/new"}, base))
    assert root.findtext("uuid") == "7eb34485-60bd-4ecc-85d9-e9bdd8e12bac"
    assert root.findtext("target/path") == "/new" and root.findtext("target/permissions/mode") == "0711"


def test_volume_xml_round_trip() -> None:
    spec = {"format": "qcow2", "capacity": 1024, "backing": "/srv/base.qcow2", "backing_format": "raw"}
    parsed = parse_volume_xml(render_volume_xml("web1", spec))
    assert dict((key, parsed[key]) for key in spec) == spec
    assert parsed["allocation"] == 0, "file volumes are made sparse"


def test_block_volume_xml_has_no_format_and_reads_as_raw() -> None:
    root = ET.fromstring(render_volume_xml("lv1", {"format": "raw", "capacity": 4096}, block=True))
    assert root.find("target") is None and root.find("allocation") is None
    assert parse_volume_xml("<volume type='block'><capacity>4096</capacity></volume>")["format"] == "raw"


def test_image_info_reads_qcow2_and_raw_headers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    qcow2 = tmp_path / "a.qcow2"
    qcow2.write_bytes(struct.pack(">4sIQIIQ", b"QFI\xfb", 3, 0, 0, 16, 5 * 1024 ** 2) + b"\0" * 100)
    raw = tmp_path / "a.raw"
    raw.write_bytes(b"x" * 3000)
    assert image_info("src", str(qcow2))["format"] == "qcow2"
    assert image_info("src", str(qcow2))["virtual_size"] == 5 * 1024 ** 2
    assert image_info("src", str(raw)) == {"path": str(raw), "format": "raw", "virtual_size": 3000, "file_size": 3000}


@pytest.mark.parametrize("name", ["missing.img", "a-directory"])
def test_image_info_refuses_what_is_not_a_file(tmp_path, name: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a-directory").mkdir()
    with pytest.raises(InvalidInput) as err:
        image_info("backing", str(tmp_path / name))
    assert err.value.field == "backing" and "does not exist" in err.value.msg


def test_task_result_diff_holds_only_changed_keys() -> None:
    before = {"state": "present", "capacity": 1, "format": "qcow2"}
    after = {"state": "present", "capacity": 2, "format": "qcow2"}
    result = task_result("volume", before, after, ["resize"], {}, True)
    assert result["diff"] == {"before": {"capacity": 1}, "after": {"capacity": 2}}
    assert result["changes"] == [{"name": "capacity", "current": 1, "desired": 2}]
    assert result["changed"] is True


def test_task_result_for_a_new_object_leaves_out_keys_it_did_not_have() -> None:
    result = task_result("pool", {"state": "absent"}, {"state": "active", "type": "dir"}, ["define"], {}, True)
    assert result["diff"] == {"before": {"state": "absent"}, "after": {"state": "active", "type": "dir"}}
    assert "diff" not in task_result("pool", {"state": "absent"}, {"state": "absent"}, [], {}, False)
