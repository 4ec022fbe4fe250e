"""The controller's one configuration file (YAML), loaded into typed, frozen dataclasses.

Every key is optional and documented in docs/identity.md; an unknown key, a wrong
type or an out-of-range value is a ConfigError whose message names the key
(``token.expiration: expected an integer >= 1, got 'soon'``). Relative paths are
resolved against the directory of the file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from stackling.errors import ConfigError
from stackling.ipam.config import IpamConfig, ipam_config_from_mapping
from stackling.quota.resources import BUILTIN_DEFAULTS, UNLIMITED
from stackling.scheduler.config import (
    SchedulerConfig,
    VolumeSchedulerConfig,
    scheduler_config_from_mapping,
    volume_scheduler_config_from_mapping,
)

DEFAULT_CONFIG_PATH = Path("/etc/stackling/controller.yaml")


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite:////var/lib/stackling/db/stackling.db"


@dataclass(frozen=True)
class TokenConfig:
    expiration: int = 3600  # seconds


@dataclass(frozen=True)
class FernetTokensConfig:
    key_repository: Path = Path("/etc/stackling/fernet-keys")
    max_active_keys: int = 3


@dataclass(frozen=True)
class PolicyConfig:
    file: Path | None = None


@dataclass(frozen=True)
class QuotaConfig:
    defaults: Mapping[str, int] = field(default_factory=lambda: dict(BUILTIN_DEFAULTS))


@dataclass(frozen=True)
class PasswordHashingConfig:
    """argon2id cost parameters; the defaults are RFC 9106's second recommendation (64 MiB)."""

    time_cost: int = 3
    memory_cost: int = 65536  # KiB
    parallelism: int = 4


@dataclass(frozen=True)
class IdentityConfig:
    """Tokens scoped to this project carry ``is_admin_project: True`` (the cloud admin's project)."""

    admin_project_name: str = "admin"
    admin_project_domain_name: str = "Default"


@dataclass(frozen=True)
class ImagesConfig:
    """The image store: one file per image, named by its id (docs/images.md)."""

    store_dir: Path = Path("/var/lib/stackling/images")
    max_size_gb: int = 100  # largest image file accepted (GiB)


COLLECTIONS_PATH = Path("/opt/stackling/collections")


@dataclass(frozen=True)
class ConductorConfig:
    """How the conductor reaches the cloud's hosts (docs/servers.md). ``network_host``: the
    inventory host running DHCP and routers; None: the first host of the inventory's ``network``
    group (a server with networks fails with a ConfigError if there is none)."""

    inventory: Path = Path("/etc/stackling/conductor/hosts.yml")
    playbook_dir: Path = COLLECTIONS_PATH / "ansible_collections/stackling/cloud/playbooks/node"
    private_key: Path | None = None
    known_hosts: Path | None = Path("/etc/stackling/conductor/known_hosts")  # pinned host keys
    collections_path: Path | None = COLLECTIONS_PATH
    network_host: str | None = None
    work_dir: Path = Path("/var/lib/stackling/conductor")
    job_timeout: int = 1800  # seconds per node playbook run
    image_cache_dir: str = "/var/lib/stackling/image-cache"  # on the compute hosts


@dataclass(frozen=True)
class ControllerConfig:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    token: TokenConfig = field(default_factory=TokenConfig)
    fernet_tokens: FernetTokensConfig = field(default_factory=FernetTokensConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    quota: QuotaConfig = field(default_factory=QuotaConfig)
    password_hashing: PasswordHashingConfig = field(default_factory=PasswordHashingConfig)
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    volume_scheduler: VolumeSchedulerConfig = field(default_factory=VolumeSchedulerConfig)
    ipam: IpamConfig = field(default_factory=IpamConfig)
    images: ImagesConfig = field(default_factory=ImagesConfig)
    conductor: ConductorConfig = field(default_factory=ConductorConfig)


Reader = Callable[[str, Any], Any]


def _integer(minimum: int) -> Reader:
    def read(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigError("%s: expected an integer >= %d, got %r" % (key, minimum, value))
        return value

    return read


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("%s: expected a non-empty string, got %r" % (key, value))
    return value


def _database_url(key: str, value: Any) -> str:
    url = _text(key, value)
    try:
        make_url(url)
    except ArgumentError:
        raise ConfigError(
            "%s: not a database URL (sqlite:////path/to/file.db or postgresql+psycopg://...)" % key
        ) from None
    return url


def _path(base: Path) -> Reader:
    def read(key: str, value: Any) -> Path:
        return base / _text(key, value)

    return read


def _optional_path(base: Path) -> Reader:
    def read(key: str, value: Any) -> Path | None:
        return None if value is None else base / _text(key, value)

    return read


def _absolute(key: str, value: Any) -> str:
    """A path on another host: must be absolute (nothing to resolve it against here)."""
    text = _text(key, value)
    if not text.startswith("/"):
        raise ConfigError("%s: expected an absolute path (it is on the compute hosts), got %r" % (key, value))
    return text


def _quota_defaults(key: str, value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise ConfigError("%s: expected a mapping of resource: limit, got %r" % (key, value))
    merged = dict(BUILTIN_DEFAULTS)
    for resource, limit in value.items():
        if resource not in BUILTIN_DEFAULTS:
            raise ConfigError(
                "%s.%s: unknown quota resource (known: %s)" % (key, resource, ", ".join(BUILTIN_DEFAULTS))
            )
        merged[resource] = _integer(UNLIMITED)("%s.%s" % (key, resource), limit)
    return merged


def _section(raw: Mapping[str, Any], name: str, readers: Mapping[str, Reader]) -> dict[str, Any]:
    data = raw.get(name)
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError("%s: expected a mapping, got %r" % (name, data))
    for key in data:
        if key not in readers:
            raise ConfigError("%s.%s: unknown key (known: %s)" % (name, key, ", ".join(readers)))
    return {key: readers[key]("%s.%s" % (name, key), value) for key, value in data.items()}


def config_from_mapping(raw: Mapping[str, Any], base_dir: Path = Path("/")) -> ControllerConfig:
    """Build a ControllerConfig from already-parsed YAML; ``base_dir`` anchors relative paths."""
    sections: dict[str, Mapping[str, Reader]] = {
        "database": {"url": _database_url},
        "token": {"expiration": _integer(1)},
        "fernet_tokens": {"key_repository": _path(base_dir), "max_active_keys": _integer(2)},
        "policy": {"file": _optional_path(base_dir)},
        "quota": {"defaults": _quota_defaults},
        "password_hashing": {"time_cost": _integer(1), "memory_cost": _integer(8), "parallelism": _integer(1)},
        "identity": {"admin_project_name": _text, "admin_project_domain_name": _text},
        "images": {"store_dir": _path(base_dir), "max_size_gb": _integer(1)},
        "conductor": {"inventory": _path(base_dir), "playbook_dir": _path(base_dir),
                      "private_key": _optional_path(base_dir),
                      "known_hosts": _optional_path(base_dir), "collections_path": _optional_path(base_dir),
                      "network_host": _text, "work_dir": _path(base_dir), "job_timeout": _integer(1),
                      "image_cache_dir": _absolute},  # fmt: skip
    }
    # Sections with their own readers (stackling.scheduler.config, stackling.ipam.config).
    own: dict[str, Callable[[Any], Any]] = {
        "scheduler": scheduler_config_from_mapping,
        "volume_scheduler": volume_scheduler_config_from_mapping,
        "ipam": ipam_config_from_mapping,
    }
    for name in raw:
        if name not in sections and name not in own:
            raise ConfigError("%s: unknown section (known: %s)" % (name, ", ".join([*sections, *own])))
    parsed = {name: _section(raw, name, readers) for name, readers in sections.items()}
    hashing = PasswordHashingConfig(**parsed["password_hashing"])
    if hashing.memory_cost < 8 * hashing.parallelism:
        raise ConfigError("password_hashing.memory_cost: must be at least 8 KiB per lane (8 * parallelism)")
    return ControllerConfig(
        database=DatabaseConfig(**parsed["database"]),
        token=TokenConfig(**parsed["token"]),
        fernet_tokens=FernetTokensConfig(**parsed["fernet_tokens"]),
        policy=PolicyConfig(**parsed["policy"]),
        quota=QuotaConfig(**parsed["quota"]),
        password_hashing=hashing,
        identity=IdentityConfig(**parsed["identity"]),
        scheduler=own["scheduler"](raw.get("scheduler")),
        volume_scheduler=own["volume_scheduler"](raw.get("volume_scheduler")),
        ipam=own["ipam"](raw.get("ipam")),
        images=ImagesConfig(**parsed["images"]),
        conductor=ConductorConfig(**parsed["conductor"]),
    )


def load_config(path: str | Path) -> ControllerConfig:
    """Read and validate the controller configuration file at ``path``."""
    config_path = Path(path)
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("config file %s not found" % config_path) from None
    except OSError as exc:
        raise ConfigError("cannot read config file %s: %s" % (config_path, exc.strerror)) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError("config file %s is not valid YAML: %s" % (config_path, exc)) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError("config file %s: expected a mapping of sections at the top level" % config_path)
    return config_from_mapping(raw, base_dir=config_path.resolve().parent)
