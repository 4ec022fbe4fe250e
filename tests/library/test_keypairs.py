"""The keypair service on SQLite and PostgreSQL: generated keys returned once, imported keys
checked, nova's fingerprints, keypairs private to their user, and the per-user count."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from stackling.compute.keypairs import fingerprint, parse_public_key
from stackling.errors import Conflict, NotFound, OverQuota, PolicyNotAuthorized, ValidationError
from tests.library.helpers import Cloud


def public_line(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey, comment: str = "me@laptop") -> str:
    blob = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return "%s %s" % (blob.decode(), comment)


def test_fingerprint_is_what_ssh_keygen_prints_with_md5(tmp_path: Path) -> None:
    line = public_line(ed25519.Ed25519PrivateKey.generate())
    (tmp_path / "k.pub").write_text(line + "\n")
    out = subprocess.run(["ssh-keygen", "-l", "-E", "md5", "-f", str(tmp_path / "k.pub")], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    assert "MD5:" + fingerprint(line) in out
    assert parse_public_key("  %s  \n" % line) == (line, fingerprint(line))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "one OpenSSH public key line"),
        ("ssh-ed25519 notbase64", "not an OpenSSH public key"),
        ("ssh-ed25519 AAAA a\nssh-rsa AAAA b", "one OpenSSH public key line"),
    ],
)
def test_bad_public_keys_name_the_field(text: str, words: str) -> None:
    with pytest.raises(ValidationError, match=words) as caught:
        parse_public_key(text)
    assert caught.value.field == "public_key"


def test_short_rsa_keys_are_refused() -> None:
    weak = public_line(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    with pytest.raises(ValidationError, match="at least 2048 bits"):
        parse_public_key(weak)


def test_generate_import_and_keypairs_private_to_their_user(cloud: Cloud) -> None:
    web = cloud.project("kp-web")
    cloud.user("alice", web)
    cloud.user("bob", web)
    alice, bob, keypairs = cloud.login("alice", web.id), cloud.login("bob", web.id), cloud.c.keypairs

    made = keypairs.create(alice, "laptop")
    assert made.private_key is not None and made.type == "ssh" and made.public_key.startswith("ssh-ed25519 ")
    private = serialization.load_ssh_private_key(made.private_key.encode(), password=None)
    assert public_line(private, "Generated-by-Stackling") == made.public_key  # type: ignore[arg-type]
    stored = keypairs.get(alice, "laptop")
    assert stored.private_key is None and stored.fingerprint == made.fingerprint == fingerprint(made.public_key)

    imported = public_line(ed25519.Ed25519PrivateKey.generate())
    assert keypairs.create(bob, "laptop", public_key=imported).public_key == imported, "names are per user"
    assert [k.name for k in keypairs.list(bob)] == ["laptop"] and keypairs.get(bob, "laptop").public_key == imported
    with pytest.raises(Conflict, match="keypair named 'laptop'"):
        keypairs.create(alice, "laptop", public_key=imported)
    with pytest.raises(PolicyNotAuthorized, match="keypair:list_keypairs"):
        keypairs.list(bob, user="alice")
    with pytest.raises(PolicyNotAuthorized, match="keypair:delete_keypair"):
        keypairs.delete(bob, "laptop", user="alice")
    with pytest.raises(PolicyNotAuthorized, match="keypair:create_keypair"):
        keypairs.create(bob, "planted", public_key=imported, user="alice")

    assert [k.fingerprint for k in keypairs.list(cloud.admin, user="alice")] == [made.fingerprint]
    replaced = keypairs.create(alice, "laptop", public_key=imported, replace_existing=True)
    assert replaced.fingerprint == fingerprint(imported) and replaced.private_key is None
    keypairs.delete(cloud.admin, "laptop", user="alice")
    assert keypairs.find(alice, "laptop") is None and keypairs.find(bob, "laptop") is not None
    with pytest.raises(NotFound):
        keypairs.delete(alice, "laptop")
    with pytest.raises(ValidationError, match="keypair name") as caught:
        keypairs.create(alice, "a/b")
    assert caught.value.field == "name"


def test_keypairs_count_against_the_quota_per_user(cloud: Cloud) -> None:
    web = cloud.project("kp-quota")
    cloud.user("alice", web)
    cloud.user("bob", web)
    cloud.c.quotas.set_limits(cloud.admin, web.id, {"keypairs": 1})
    alice, bob = cloud.login("alice", web.id), cloud.login("bob", web.id)
    cloud.c.keypairs.create(alice, "one")
    cloud.c.keypairs.create(bob, "one")
    with pytest.raises(OverQuota, match="keypairs: limit 1, in use 1"):
        cloud.c.keypairs.create(alice, "two")
    cloud.c.keypairs.create(alice, "one", public_key=public_line(ed25519.Ed25519PrivateKey.generate()),
                            replace_existing=True)  # fmt: skip
