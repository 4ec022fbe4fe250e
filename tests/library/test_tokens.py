"""Fernet tokens: issue, validate, expiry, key rotation, the key cache, payload versions."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from stackling.errors import KeyRepositoryError, TokenExpired, TokenInvalid
from stackling.tokens import FernetTokenProvider, KeyRepository, TokenData
from stackling.tokens import payload as payloads
from stackling.tokens import provider as provider_module
from tests.library.helpers import Cloud

WHEN = datetime(2030, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)


def data(**overrides: object) -> TokenData:
    fields: dict[str, object] = dict(
        user_id="u" * 32,
        methods=("password",),
        issued_at=WHEN,
        expires_at=WHEN.replace(hour=13),
        audit_id="a" * 22,
        project_id="p" * 32,
    )
    fields.update(overrides)
    return TokenData(**fields)  # type: ignore[arg-type]


# --- payloads and the key repository (no database) ----------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "version"),
    [
        ({}, 1),
        ({"project_id": None, "domain_id": "default"}, 2),
        ({"application_credential_id": "c" * 32, "methods": ("application_credential",)}, 3),
    ],
)
def test_payload_versions_round_trip(overrides: dict[str, object], version: int) -> None:
    token_data = data(**overrides)
    raw = payloads.encode(token_data)
    assert json.loads(raw)[0] == version
    assert payloads.decode(raw) == token_data


def test_unknown_payload_versions_are_invalid() -> None:
    for raw in (b'[99,"u"]', b"{}", b"not json", b"[true,1,2,3,4,5,6]"):
        with pytest.raises(TokenInvalid):
            payloads.decode(raw)


def test_payload_times_are_exact_to_the_microsecond() -> None:
    """from_microseconds takes a float shortcut below 2**32 s; it must agree with integer arithmetic."""
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    values = [0, 1, 999_999, payloads._FLOAT_EXACT_US - 1, payloads._FLOAT_EXACT_US, 2**37 * 10**6, -1]
    for power in range(20, 34):  # the float's precision drops at every power of two seconds
        values += range(2**power * 10**6 - 1500, 2**power * 10**6 + 1500)
    for value in values:
        moment = payloads.from_microseconds(value)
        assert moment == epoch + timedelta(microseconds=value)
        assert moment.tzinfo is timezone.utc
        assert payloads.to_microseconds(moment) == value


def test_setup_creates_staged_and_primary_keys_once(tmp_path: Path) -> None:
    keys = KeyRepository(tmp_path / "keys")
    assert keys.setup()
    assert keys.key_indexes() == [1, 0]
    assert oct((tmp_path / "keys" / "0").stat().st_mode & 0o777) == "0o600"
    before = (tmp_path / "keys" / "1").read_bytes()
    assert not keys.setup()
    assert (tmp_path / "keys" / "1").read_bytes() == before


def test_rotation_promotes_the_staged_key_and_prunes_like_keystone(tmp_path: Path) -> None:
    keys = KeyRepository(tmp_path, max_active_keys=3)
    keys.setup()
    staged = (tmp_path / "0").read_bytes()
    assert keys.rotate() == [2, 1, 0]
    assert (tmp_path / "2").read_bytes() == staged  # the staged key became the primary
    assert keys.rotate() == [3, 2, 0]
    assert keys.rotate() == [4, 3, 0]


def test_rotated_tokens_stay_valid_until_their_key_is_pruned(tmp_path: Path) -> None:
    keys = KeyRepository(tmp_path, max_active_keys=3)
    keys.setup()
    provider = FernetTokenProvider(keys)
    token = provider.issue(data())  # signed with primary key 1
    keys.rotate()  # 1 is now a secondary key
    assert provider.decode(token) == data()
    keys.rotate()  # 1 is pruned
    with pytest.raises(TokenInvalid):
        provider.decode(token)


def test_a_token_signed_with_the_staged_key_validates(tmp_path: Path) -> None:
    keys = KeyRepository(tmp_path)
    keys.setup()
    staged = Fernet((tmp_path / "0").read_bytes())
    token = staged.encrypt(payloads.encode(data())).decode()
    assert FernetTokenProvider(keys).decode(token) == data()


def test_keys_are_cached_and_reloaded_when_another_process_rotates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = KeyRepository(tmp_path)
    keys.setup()
    provider = FernetTokenProvider(keys)
    reads: list[int] = []
    original = KeyRepository._read_keys

    def counting(self: KeyRepository, signature: object) -> object:
        reads.append(1)
        return original(self, signature)  # type: ignore[arg-type]

    monkeypatch.setattr(KeyRepository, "_read_keys", counting)
    token = provider.issue(data())
    for _ in range(5):
        provider.decode(token)
    assert len(reads) == 1
    KeyRepository(tmp_path).rotate()  # "another controller"
    new_token = provider.issue(data())
    provider.decode(new_token)
    assert len(reads) == 2
    assert Fernet((tmp_path / "2").read_bytes()).decrypt(new_token.encode())  # signed with the new primary


def test_validation_lists_the_keys_once_a_second_and_at_once_for_an_unknown_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = KeyRepository(tmp_path)
    keys.setup()
    provider = FernetTokenProvider(keys)
    listings: list[int] = []
    original = KeyRepository._signature

    def counting(self: KeyRepository) -> object:
        if self is keys:
            listings.append(1)
        return original(self)

    monkeypatch.setattr(KeyRepository, "_signature", counting)
    monkeypatch.setattr(provider_module, "KEY_RECHECK_INTERVAL", 3600.0)  # "within the second", however slow
    old = provider.issue(data())  # signed with key 1; issuing lists the directory every time
    for _ in range(5):
        assert provider.decode(old) == data()
    assert len(listings) == 1
    other = KeyRepository(tmp_path)  # another controller rotates twice: key 1 is pruned
    other.rotate()
    other.rotate()
    assert other.key_indexes() == [3, 2, 0]
    assert provider.decode(old) == data()  # still the cached keys: refused only at the next listing
    assert len(listings) == 1
    new = FernetTokenProvider(other).issue(data())  # signed with key 3, unknown to the cache
    assert provider.decode(new) == data()  # did not verify with the cache: listed again at once
    assert len(listings) == 2
    with pytest.raises(TokenInvalid):
        provider.decode(old)
    assert len(listings) == 3  # a token that does not verify always gets a fresh listing
    monkeypatch.setattr(provider_module, "KEY_RECHECK_INTERVAL", -1.0)  # the second is over
    provider.decode(new)
    assert len(listings) == 4


def test_a_missing_or_broken_repository_is_reported(tmp_path: Path) -> None:
    with pytest.raises(KeyRepositoryError, match="fernet setup"):
        KeyRepository(tmp_path / "absent").multifernet()
    (tmp_path / "0").write_text("not a key")
    (tmp_path / "1").write_text("not a key")
    with pytest.raises(KeyRepositoryError, match="not a Fernet key"):
        KeyRepository(tmp_path).multifernet()
    with pytest.raises(KeyRepositoryError):
        KeyRepository(tmp_path, max_active_keys=1)


def test_forged_and_damaged_tokens_are_invalid(tmp_path: Path) -> None:
    keys = KeyRepository(tmp_path)
    keys.setup()
    provider = FernetTokenProvider(keys)
    token = provider.issue(data())
    other = Fernet(Fernet.generate_key()).encrypt(payloads.encode(data())).decode()
    for bad in (other, token[:-4] + "AAAA", "", "é"):
        with pytest.raises(TokenInvalid):
            provider.decode(bad)


# --- tokens of a real cloud ---------------------------------------------------------------------------
def test_issue_and_validate(cloud: Cloud) -> None:
    web = cloud.project("web")
    alice = cloud.user("alice", web)
    issued = cloud.token("alice", "web")
    assert issued.expires_at == issued.expires_at.astimezone(timezone.utc)
    assert len(issued.token) < 400
    ctx = cloud.c.tokens.validate(issued.token)
    assert (ctx.user_id, ctx.project_id, ctx.roles, ctx.audit_id) == (
        alice.id,
        web.id,
        {"member", "reader"},
        issued.audit_id,
    )
    assert not ctx.is_admin_project
    assert ctx.methods == ("password",)
    assert issued.token not in repr(issued)


def test_tokens_expire_after_the_configured_lifetime(cloud: Cloud) -> None:
    web = cloud.project("web")
    cloud.user("alice", web)
    issued = cloud.token("alice", "web")
    cloud.clock.advance(seconds=3599)
    cloud.c.tokens.validate(issued.token)
    cloud.clock.advance(seconds=1)
    with pytest.raises(TokenExpired):
        cloud.c.tokens.validate(issued.token)


def test_validation_resolves_current_roles(cloud: Cloud) -> None:
    web = cloud.project("web")
    cloud.user("alice", web, role="reader")
    issued = cloud.token("alice", "web")
    assert cloud.c.tokens.validate(issued.token).roles == {"reader"}
    cloud.c.identity.assign_role(cloud.admin, "admin", user="alice", project="web")
    assert cloud.c.tokens.validate(issued.token).roles == {"admin", "member", "reader"}


def test_key_rotation_keeps_live_tokens_valid_in_a_cloud(cloud: Cloud) -> None:
    web = cloud.project("web")
    cloud.user("alice", web)
    issued = cloud.token("alice", "web")
    cloud.c.keys.rotate()
    cloud.c.tokens.validate(issued.token)
    cloud.c.keys.rotate()
    with pytest.raises(TokenInvalid):
        cloud.c.tokens.validate(issued.token)


def test_tampered_and_truncated_tokens_are_refused(cloud: Cloud) -> None:
    web = cloud.project("web")
    cloud.user("alice", web)
    token = cloud.token("alice", "web").token
    cloud.c.tokens.validate(token)
    middle = len(token) // 2
    flipped = token[:middle] + ("B" if token[middle] != "B" else "C") + token[middle + 1 :]
    assert flipped != token and len(flipped) == len(token)
    for bad in (flipped, token[:-1], token[:-8], token[:middle]):
        with pytest.raises(TokenInvalid):
            cloud.c.tokens.validate(bad)
    cloud.c.tokens.validate(token)


def test_the_admin_project_is_flagged(cloud: Cloud) -> None:
    assert cloud.admin.is_admin_project
    web = cloud.project("web")
    cloud.user("boss", web, role="admin")
    assert not cloud.login("boss", "web").is_admin_project


def test_the_token_file_permissions_do_not_leak(cloud: Cloud) -> None:
    repository = cloud.c.keys.path
    assert oct(os.stat(repository).st_mode & 0o777) == "0o700"
