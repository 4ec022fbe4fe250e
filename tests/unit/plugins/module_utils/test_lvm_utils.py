"""The pure parts of _lvm: name rules, size parsing, extent rounding, report rows -> facts."""

from __future__ import annotations

import pytest

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput
from ansible_collections.stackling.cloud.plugins.module_utils._lvm import (
    desired_extents, extents_for, lv_facts, parse_lv_size, realpath_device, validate_lvm_name,
)

MIB = 1024 * 1024
VG = {"extent_size": 4 * MIB, "extent_count": 31, "free_extents": 10}


@pytest.mark.parametrize("value, expected", [
    ("10G", ("absolute", 10 << 30)),
    ("512MiB", ("absolute", 512 * MIB)),
    ("100", ("absolute", 100 * MIB)),  # a bare number is MiB, as for lvcreate -L
    ("+5G", ("relative", 5 << 30)),
    ("50%VG", ("percent", (50.0, "VG"))),
    ("100%free", ("percent", (100.0, "FREE"))),
])
def test_parse_lv_size(value: str, expected: tuple) -> None:
    assert parse_lv_size("size", value) == expected


@pytest.mark.parametrize("value", ["0", "+0", "ten", "10Q", "-5G", "0%VG", "101%VG", "50%PVS"])
def test_parse_lv_size_rejects(value: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_lv_size("size", value)
    assert err.value.field == "size"


def test_extents_round_up_and_percentages_round_down() -> None:
    assert extents_for(10 * MIB, 4 * MIB) == 3
    assert extents_for(12 * MIB, 4 * MIB) == 3
    assert desired_extents(("absolute", 1), VG) == 1
    assert desired_extents(("relative", 4 * MIB), VG, current_extents=2) == 3
    assert desired_extents(("relative", 4 * MIB), VG) == 1
    assert desired_extents(("percent", (50.0, "VG")), VG) == 15
    assert desired_extents(("percent", (50.0, "FREE")), VG) == 5
    assert desired_extents(("percent", (50.0, "FREE")), VG, current_extents=7) is None


@pytest.mark.parametrize("name, lv, ok", [
    ("stackling-volumes", False, True), ("vg_1.a+b", False, True), ("-vg", False, False),
    ("a/b", False, False), ("..", False, False), ("", False, False), ("x" * 128, False, False),
    ("pool_tdata", True, False), ("snapshot1", True, False), ("volume-1", True, True),
])
def test_validate_lvm_name(name: str, lv: bool, ok: bool) -> None:
    if ok:
        assert validate_lvm_name("vg", name, lv=lv) == name
    else:
        with pytest.raises(InvalidInput):
            validate_lvm_name("vg", name, lv=lv)


def test_realpath_device(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as err:
        realpath_device("pvs", str(tmp_path / "missing"))
    assert err.value.field == "pvs"
    plain = tmp_path / "file"
    plain.write_text("")
    with pytest.raises(InvalidInput):
        realpath_device("pvs", str(plain))


def _row(**fields: object) -> dict:
    row = {"lv_name": "v", "vg_name": "g", "lv_uuid": "u", "lv_path": "/dev/g/v", "lv_size": 8 * MIB,
           "lv_attr": "-wi-a-----", "segtype": "linear", "pool_lv": "", "origin": "", "lv_role": "public",
           "data_percent": None, "metadata_percent": None}
    row.update(fields)
    return row


@pytest.mark.parametrize("fields, kind, active", [
    ({}, "linear", True),
    ({"segtype": "striped", "lv_attr": "-wi-------"}, "linear", False),
    ({"segtype": "thin-pool", "lv_attr": "twi-XXtz--", "lv_path": ""}, "thin-pool", None),
    ({"segtype": "thin", "pool_lv": "p"}, "thin", True),
    ({"lv_role": "public,snapshot,thicksnapshot", "origin": "o"}, "snapshot", True),
    ({"segtype": "raid1"}, "raid1", True),
])
def test_lv_facts(fields: dict, kind: str, active: object) -> None:
    facts = lv_facts(_row(**fields))
    assert facts["type"] == kind and facts["active"] is active
    assert facts["pool"] == (fields.get("pool_lv") or None)
