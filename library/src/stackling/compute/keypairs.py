"""Keypairs (nova's): a user's SSH public keys, by name. A keypair belongs to its user alone:
other users, even in the same project, neither see nor use it; a cloud admin may list, read and
delete any user's keypairs (``user=``). A generated keypair is ed25519; its private key is in
the result of ``create`` once and is never stored.

    made = cloud.keypairs.create(ctx, "laptop")                # generated
    made.private_key                                            # OpenSSH PEM, shown once
    cloud.keypairs.create(ctx, "ci", public_key=open("id_ed25519.pub").read())

Fingerprints are nova's: MD5 of the key blob in colon-separated hex (``ab:cd:...``), which
``ssh-keygen -l -E md5 -f key.pub`` also prints. The ``keypairs`` quota limits how many
keypairs each user holds: the limit of the project the caller's token is scoped to (counted,
as nova counts key pairs per user).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ed25519, rsa
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stackling.clock import Clock
from stackling.compute._base import PolicyService
from stackling.context import Context
from stackling.db import Database
from stackling.db import models as m
from stackling.errors import Conflict, NotFound, OverQuota, ValidationError
from stackling.identity import lookup
from stackling.policy import Enforcer
from stackling.quota import QuotaEngine
from stackling.quota.resources import UNLIMITED

LOG = logging.getLogger(__name__)
NAME = re.compile(r"^[A-Za-z0-9 @._-]{1,255}$")  # nova's keypair name characters
MIN_RSA_BITS = 2048
GENERATED_COMMENT = "Generated-by-Stackling"


@dataclass(frozen=True)
class Keypair:
    """A keypair; ``private_key`` is set only in the result of the create that generated it."""

    id: str
    name: str
    user_id: str
    type: str
    public_key: str
    fingerprint: str
    created_at: datetime
    private_key: str | None = None


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name) or name != name.strip():
        raise ValidationError("a keypair name has 1 to 255 letters, digits, spaces and @._- (no leading or "
                              "trailing space), got %r" % (name,), field="name")  # fmt: skip
    return name


def parse_public_key(text: str) -> tuple[str, str]:
    """``(normalised key line, fingerprint)`` of an OpenSSH public key line (the comment is kept)."""
    line = text.strip() if isinstance(text, str) else ""
    if not line or "\n" in line:
        raise ValidationError("expected one OpenSSH public key line (ssh-ed25519 AAAA... comment)", field="public_key")
    try:
        key = serialization.load_ssh_public_key(line.encode("utf-8"))
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValidationError("not an OpenSSH public key: %s" % exc, field="public_key") from None
    if isinstance(key, dsa.DSAPublicKey):
        raise ValidationError("DSA keys are not accepted (use ed25519, ECDSA or RSA)", field="public_key")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise ValidationError("RSA keys need at least %d bits, this one has %d" % (MIN_RSA_BITS, key.key_size),
                              field="public_key")  # fmt: skip
    return " ".join(line.split()), fingerprint(line)


def fingerprint(public_key: str) -> str:
    """Nova's fingerprint: MD5 of the base64-decoded key blob, as colon-separated hex."""
    blob = base64.b64decode(public_key.split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def generate() -> tuple[str, str]:
    """A new ed25519 keypair: ``(public key line, private key in OpenSSH PEM)``."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode("ascii")
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return "%s %s" % (public.decode("ascii"), GENERATED_COMMENT), private


class KeypairService(PolicyService):
    def __init__(self, db: Database, enforcer: Enforcer, clock: Clock, quotas: QuotaEngine) -> None:
        super().__init__(db, enforcer)
        self._clock = clock
        self._quotas = quotas

    # --- reading -------------------------------------------------------------------------------------
    def find(self, ctx: Context, name: str, *, user: str | None = None) -> Keypair | None:
        """The keypair ``name`` of the caller (or of ``user``, for a cloud admin), else None."""
        with self._db.read() as session:
            user_id = self._whose(session, ctx, user, "keypair:get_keypair")
            row = _row(session, user_id, name)
            return None if row is None else _keypair(row)

    def get(self, ctx: Context, name: str, *, user: str | None = None) -> Keypair:
        found = self.find(ctx, name, user=user)
        if found is None:
            raise NotFound("keypair", name)
        return found

    def list(self, ctx: Context, *, user: str | None = None) -> list[Keypair]:
        """The caller's keypairs (or ``user``'s, for a cloud admin), by name."""
        with self._db.read() as session:
            user_id = self._whose(session, ctx, user, "keypair:list_keypairs")
            rows = session.scalars(select(m.Keypair).where(m.Keypair.user_id == user_id).order_by(m.Keypair.name))
            return [_keypair(row) for row in rows]

    def _whose(self, session: Session, ctx: Context, user: str | None, action: str) -> str:
        """The id of the user whose keypairs are meant, once the caller passed ``action`` on them."""
        user_id = ctx.user_id if user is None else lookup.user_row(session, user).id
        self._enforce(ctx, action, {"user_id": user_id})
        return user_id

    # --- writing -------------------------------------------------------------------------------------
    def create(self, ctx: Context, name: str, *, public_key: str | None = None, user: str | None = None,
               replace_existing: bool = False) -> Keypair:  # fmt: skip
        """Import ``public_key`` or, without one, generate an ed25519 keypair (the result then
        carries ``private_key``, the only time it exists). ``replace_existing``: a keypair of that
        name is swapped for the new key in the same transaction."""
        check_name(name)
        private = None
        if public_key is None:
            public_key, private = generate()
        line, print_ = parse_public_key(public_key)
        try:
            with self._db.write() as session:
                user_id = self._whose(session, ctx, user, "keypair:create_keypair")
                old = _row(session, user_id, name)
                if old is not None and not replace_existing:
                    raise Conflict("you have a keypair named %r" % name)
                if old is not None:
                    session.delete(old)
                    session.flush()
                else:
                    self._check_quota(session, ctx, user_id)
                row = m.Keypair(id=m.new_id(), user_id=user_id, name=name, type="ssh", public_key=line,
                                fingerprint=print_, created_at=self._clock())  # fmt: skip
                session.add(row)
                session.flush()
                LOG.info("created keypair %s of user %s (%s)", name, user_id, print_)
                return replace(_keypair(row), private_key=private)
        except IntegrityError:
            raise Conflict("you have a keypair named %r" % name) from None

    def delete(self, ctx: Context, name: str, *, user: str | None = None) -> None:
        with self._db.write() as session:
            user_id = self._whose(session, ctx, user, "keypair:delete_keypair")
            row = _row(session, user_id, name)
            if row is None:
                raise NotFound("keypair", name)
            session.delete(row)
            LOG.info("deleted keypair %s of user %s", name, user_id)

    def _check_quota(self, session: Session, ctx: Context, user_id: str) -> None:
        if ctx.project_id is None:
            return
        limit = self._quotas.limits(session, ctx.project_id)["keypairs"]
        count = session.scalar(select(func.count()).select_from(m.Keypair).where(m.Keypair.user_id == user_id)) or 0
        if limit != UNLIMITED and count + 1 > limit:
            raise OverQuota("keypairs", limit, count, 1)


def _row(session: Session, user_id: str, name: str) -> m.Keypair | None:
    return session.scalars(select(m.Keypair).where(m.Keypair.user_id == user_id, m.Keypair.name == name)).first()


def _keypair(row: m.Keypair) -> Keypair:
    return Keypair(id=row.id, name=row.name, user_id=row.user_id, type=row.type, public_key=row.public_key,
                   fingerprint=row.fingerprint, created_at=row.created_at)  # fmt: skip
