"""The disk XML of libvirt_disk: built from the options, read back, and the source checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt_disk import build_disk, disk_source, find_disk

BASE = {"target": "vdc", "format": "raw", "serial": None, "readonly": False, "initiator": None, "path": None,
        "protocol": None, "host": None, "port": 3260, "name": None}


def test_a_file_disk_round_trips(tmp_path: Path) -> None:
    image = tmp_path / "volume.img"
    image.write_bytes(b"\0")
    params = dict(BASE, path=str(image), serial="0123456789abcdef0123456789")
    source = disk_source(params)
    assert source == {"file": str(image)}
    xml = "<domain><devices>%s</devices></domain>" % build_disk(params, source)
    element, parsed = find_disk(xml, "vdc")
    assert parsed == source and element.findtext("serial") == "0123456789abcdef0123", "serials are cut to 20"
    assert find_disk(xml, "vdd") is None


def test_an_iscsi_disk_carries_the_initiator_name() -> None:
    params = dict(BASE, protocol="iscsi", host="192.0.2.10", name="iqn.2024-01.org.stackling:volume-1/1",
                  initiator="iqn.2024-01.org.stackling:compute-cn1")
    source = disk_source(params)
    xml = build_disk(params, source)
    assert "<iqn name=\"iqn.2024-01.org.stackling:compute-cn1\" />" in xml
    assert find_disk("<domain><devices>%s</devices></domain>" % xml, "vdc")[1] == source


@pytest.mark.parametrize("params, field", [
    (dict(BASE), "path"),
    (dict(BASE, path="/nonexistent/volume.img"), "path"),
    (dict(BASE, protocol="iscsi", name="iqn.2024-01.org.x:v/1"), "host"),
])  # fmt: skip
def test_a_missing_source_names_the_option(params: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        disk_source(params)
    assert raised.value.field == field
