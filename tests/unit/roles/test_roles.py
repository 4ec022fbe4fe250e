"""Static checks of the deployment roles: every default typed in meta/argument_specs.yml and
documented in the role's README, and every package a role installs baked into the test node image
(tools/node-image.packages), since the nodes have no package mirror."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
ROLES = REPO / "roles"
ROLE_NAMES = sorted(p.name for p in ROLES.iterdir() if (p / "defaults" / "main.yml").is_file())
NODE_PACKAGES = REPO / "tools" / "node-image.packages"
NODE_IMAGE = REPO / "tools" / "node-image"
# Variables a role takes but does not default (the cloud-wide ones).
SHARED = {"stackling_admin_password"}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def defaults(role: str) -> dict[str, Any]:
    return load(ROLES / role / "defaults" / "main.yml") or {}


def main_options(role: str) -> dict[str, Any]:
    return load(ROLES / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]


def role_packages() -> dict[str, set[str]]:
    """Every Debian package named in a `*_packages` list of some role's defaults (not the Python
    packages of `*_pip_packages`), with the roles naming it."""
    found: dict[str, set[str]] = {}
    for role in ROLE_NAMES:
        for name, value in defaults(role).items():
            if name.endswith("_packages") and not name.endswith("_pip_packages") and isinstance(value, list):
                for package in value:
                    found.setdefault(str(package), set()).add(role)
    return found


def test_the_five_roles_exist() -> None:
    assert ROLE_NAMES == ["common", "compute", "controller", "network", "storage"]


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_argument_specs_match_defaults(role: str) -> None:
    options = main_options(role)
    values = defaults(role)
    assert set(values) - set(options) == set(), "defaults without an argument spec"
    assert set(options) - set(values) <= SHARED, "argument specs of variables with no default"
    for name, spec in options.items():
        assert spec.get("description"), "%s: no description" % name
        assert "type" in spec, "%s: no type" % name
        if "default" in spec:
            assert spec["default"] == values[name], "%s: the spec's default differs from defaults/main.yml" % name


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_variable_is_documented_in_the_readme(role: str) -> None:
    readme = (ROLES / role / "README.md").read_text(encoding="utf-8")
    missing = [name for name in main_options(role) if "`%s`" % name not in readme]
    assert missing == []


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_variables_are_prefixed_by_the_role(role: str) -> None:
    assert [name for name in defaults(role) if not name.startswith(role + "_")] == []


def node_image_packages() -> set[str]:
    listed = set()
    for line in NODE_PACKAGES.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            listed.add(line)
    # The image always adds its base packages (debootstrap --include), named in tools/node-image.
    script = NODE_IMAGE.read_text(encoding="utf-8") if NODE_IMAGE.is_file() else ""
    match = re.search(r"^base_include=(\S+)$", script, re.M)
    if match:
        listed.update(match.group(1).split(","))
    return listed


def test_role_packages_are_in_the_node_image() -> None:
    if not NODE_PACKAGES.is_file():
        pytest.skip("tools/node-image.packages does not exist yet (the systemd test node image lists its packages there)")
    missing = {pkg: sorted(roles) for pkg, roles in sorted(role_packages().items()) if pkg not in node_image_packages()}
    assert missing == {}, "packages the roles install but the test node image lacks (add them to tools/node-image.packages)"
