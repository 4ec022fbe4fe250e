"""The controller configuration file: defaults, every key, errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackling.config import ControllerConfig, config_from_mapping, load_config
from stackling.errors import ConfigError
from stackling.quota import BUILTIN_DEFAULTS


def test_an_empty_file_gives_the_documented_defaults(tmp_path: Path) -> None:
    path = tmp_path / "controller.yaml"
    path.write_text("")
    config = load_config(path)
    assert config == ControllerConfig()
    assert config.token.expiration == 3600
    assert config.fernet_tokens.max_active_keys == 3
    assert config.password_hashing.memory_cost == 65536
    assert dict(config.quota.defaults) == dict(BUILTIN_DEFAULTS)


def test_every_section_is_read_and_relative_paths_follow_the_file(tmp_path: Path) -> None:
    path = tmp_path / "controller.yaml"
    path.write_text("""
database: {url: "postgresql+psycopg://stackling@127.0.0.1:55432/stackling"}
token: {expiration: 600}
fernet_tokens: {key_repository: keys, max_active_keys: 5}
policy: {file: policy.yaml}
quota: {defaults: {instances: 4, cores: -1}}
password_hashing: {time_cost: 2, memory_cost: 1024, parallelism: 2}
identity: {admin_project_name: ops, admin_project_domain_name: Infra}
""")
    config = load_config(path)
    assert config.database.url.startswith("postgresql+psycopg://")
    assert config.token.expiration == 600
    assert config.fernet_tokens.key_repository == tmp_path / "keys"
    assert config.fernet_tokens.max_active_keys == 5
    assert config.policy.file == tmp_path / "policy.yaml"
    assert config.quota.defaults["instances"] == 4
    assert config.quota.defaults["cores"] == -1
    assert config.quota.defaults["ram_mb"] == BUILTIN_DEFAULTS["ram_mb"]
    assert (config.password_hashing.time_cost, config.password_hashing.parallelism) == (2, 2)
    assert config.identity.admin_project_name == "ops"


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"token": {"expiration": "soon"}}, "token.expiration"),
        ({"token": {"expiration": 0}}, "token.expiration"),
        ({"token": {"expiration": True}}, "token.expiration"),
        ({"token": {"lifetime": 5}}, "token.lifetime: unknown key"),
        ({"tokens": {}}, "tokens: unknown section"),
        ({"fernet_tokens": {"max_active_keys": 1}}, "fernet_tokens.max_active_keys"),
        ({"quota": {"defaults": {"gpus": 1}}}, "quota.defaults.gpus"),
        ({"quota": {"defaults": {"instances": -2}}}, "quota.defaults.instances"),
        ({"database": {"url": ""}}, "database.url"),
        ({"database": {"url": "not a url"}}, "database.url"),
        ({"database": "sqlite://"}, "database: expected a mapping"),
        ({"password_hashing": {"memory_cost": 8, "parallelism": 4}}, "password_hashing.memory_cost"),
    ],
)
def test_errors_name_the_key(raw: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        config_from_mapping(raw)


def test_a_missing_or_broken_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("token: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="mapping of sections"):
        load_config(listing)


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)
