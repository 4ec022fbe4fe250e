"""stackling.cloud.volume_type and volume_type_info against a real controller (no node work):
cloud admins manage types, tenants read them, check mode and diff, the default type stays."""

from __future__ import annotations

from tests.functional.cloud_support import CloudRig, cloud_rig, unique  # noqa: F401  (fixture)


def test_admins_manage_volume_types_and_tenants_read_them(cloud_rig: CloudRig) -> None:
    rig = cloud_rig
    name = unique("fast")
    planned = rig.run("volume_type", check=True, diff=True, name=name, backend="*@lvm")
    assert planned["changed"] and planned["volume_type"]["id"] is None, planned
    assert rig.run("volume_type_info", name=name)["volume_types"] == [], "check mode made nothing"
    made = rig.run("volume_type", name=name, backend="*@lvm", description="LVM")
    assert made["changed"] and made["volume_type"]["backend"] == "*@lvm", made
    assert not rig.run("volume_type", name=name, backend="*@lvm")["changed"]
    moved = rig.run("volume_type", diff=True, name=name, backend="storage1@*")
    assert moved["changed"] and moved["diff"] == {"before": {"backend": "*@lvm"}, "after": {"backend": "storage1@*"}}
    assert moved["volume_type"]["description"] == "LVM", "an omitted description is kept"

    refused = rig.run("volume_type", as_user="alice", scope="a", name=unique("mine"))
    assert refused["failed"] and "volume:create_type" in str(refused), refused
    seen = rig.run("volume_type_info", as_user="rita", scope="a")["volume_types"]
    assert {"default", name} <= {t["name"] for t in seen}, seen

    kept = rig.run("volume_type", name="default", state="absent")
    assert kept["failed"] and "cannot be deleted" in kept["msg"], kept
    assert rig.run("volume_type", name=name, state="absent")["changed"]
    assert not rig.run("volume_type", name=name, state="absent")["changed"]
