"""The pure parts of _tgt: iSCSI name and initiator normalisers, tgtadm output parsers, masking."""

from __future__ import annotations

import pytest

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput
from ansible_collections.stackling.cloud.plugins.module_utils._tgt import (
    masked, normalise_initiator, parse_accounts, parse_portals, parse_targets, validate_iscsi_name,
    validate_portal,
)

SHOW = """Target 1: iqn.2024-01.org.stackling:t1
    System information:
        Driver: iscsi
        State: ready
    I_T nexus information:
        I_T nexus: 3
            Initiator: iqn.2008-11.org.linux-kvm: alias: none
            Connection: 0
                IP Address: 127.0.0.1
    LUN information:
        LUN: 0
            Type: controller
            Size: 0 MB, Block size: 1
            Backing store type: null
            Backing store path: None
        LUN: 1
            Type: disk
            Size: 105 MB, Block size: 512
            Readonly: No
            Backing store type: rdwr
            Backing store path: /tmp/a.img
            Backing store flags:
    Account information:
        bob
        alice (outgoing)
    ACL information:
        127.0.0.1
        10.0.0.0/8
        iqn.2024-01.org.x:init
Target 2: iqn.2024-01.org.stackling:t2
    System information:
        Driver: iscsi
    I_T nexus information:
    LUN information:
        LUN: 0
            Type: controller
    Account information:
    ACL information:
"""


def test_parse_targets() -> None:
    targets = parse_targets(SHOW)
    first = targets[1]
    assert first["name"] == "iqn.2024-01.org.stackling:t1" and first["sessions"] == 1
    assert first["luns"][1] == {"lun": 1, "type": "disk", "size_mb": 105, "readonly": "No",
                                "backing_store_type": "rdwr", "backing_store_path": "/tmp/a.img"}
    assert first["luns"][0]["type"] == "controller"
    assert first["accounts"] == ["bob"] and first["outgoing_accounts"] == ["alice"]
    assert first["acl"] == ["127.0.0.1", "10.0.0.0/8", "iqn.2024-01.org.x:init"]
    assert targets[2]["acl"] == [] and targets[2]["accounts"] == [] and targets[2]["sessions"] == 0
    assert parse_targets("") == {}


def test_parse_accounts_and_portals() -> None:
    assert parse_accounts("Account list:\n    bob\n    alice (outgoing)\n") == ["bob", "alice"]
    assert parse_accounts("") == []
    assert parse_portals("Portal: 127.0.0.1:3260,1\nPortal: [::1]:3260,1\n") == ["127.0.0.1:3260", "[::1]:3260"]


@pytest.mark.parametrize("name", [
    "iqn.2024-01.org.stackling:volume-1", "iqn.2003-01.org.linux-iscsi.host.x8664:sn.1234",
    "iqn.1993-08.org.debian:01:abcdef", "eui.02004567A425678D", "naa.52004567BA64678D",
])
def test_valid_iscsi_names(name: str) -> None:
    assert validate_iscsi_name("iqn", name) == name


@pytest.mark.parametrize("name", [
    "", "iqn.2024-13.org.x", "iqn.24-01.org.x", "IQN.2024-01.ORG.X", "iqn.2024-01.-org",
    "iqn.2024-01.org.x:with space", "eui.123", "target1", "iqn.2024-01.org." + "x" * 220,
])
def test_invalid_iscsi_names(name: str) -> None:
    with pytest.raises(InvalidInput) as err:
        validate_iscsi_name("iqn", name)
    assert err.value.field == "iqn"


@pytest.mark.parametrize("value, expected", [
    ("127.0.0.1", ("address", "127.0.0.1")),
    (" 10.1.2.3/8 ", ("address", "10.0.0.0/8")),
    ("fe80::0:1", ("address", "fe80::1")),
    ("ALL", ("address", "ALL")),
    ("iqn.1993-08.org.debian:01:abc", ("name", "iqn.1993-08.org.debian:01:abc")),
])
def test_normalise_initiator(value: str, expected: tuple) -> None:
    assert normalise_initiator("initiators", value) == expected


@pytest.mark.parametrize("value", ["all", "host.example", "300.1.1.1", "iqn.bad"])
def test_normalise_initiator_rejects(value: str) -> None:
    with pytest.raises(InvalidInput) as err:
        normalise_initiator("initiators", value)
    assert err.value.field == "initiators"


def test_validate_portal() -> None:
    assert validate_portal("portal", "127.0.0.1:3260") == "127.0.0.1:3260"
    assert validate_portal("portal", None) is None
    with pytest.raises(InvalidInput):
        validate_portal("portal", "localhost:3260")


def test_masked() -> None:
    assert masked(["tgtadm", "--password", "pw"], {"pw"}) == ["tgtadm", "--password", "********"]
