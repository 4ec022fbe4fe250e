"""Versioned token payloads: what a token carries, packed as compact JSON before encryption.

A payload is a JSON array whose first element is its version; the version fixes the
meaning of every other position (Keystone does the same with msgpack)::

    1  project-scoped         [1, user_id, methods, project_id, issued_at_us, expires_at_us, audit_id]
    2  domain-scoped          [2, user_id, methods, domain_id,  issued_at_us, expires_at_us, audit_id]
    3  application credential [3, user_id, methods, project_id, issued_at_us, expires_at_us, audit_id,
                                  application_credential_id]

``methods`` is a bit mask (password=1, application_credential=2); times are integer
microseconds since the Unix epoch (UTC). A new field means a new version; old
versions keep decoding until no token of theirs can still be unexpired.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar

from stackling.errors import TokenInvalid

METHOD_BITS = {"password": 1, "application_credential": 2}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class TokenData:
    """The facts a token asserts; roles are not among them (they are resolved when validating)."""

    user_id: str
    methods: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    audit_id: str
    project_id: str | None = None
    domain_id: str | None = None
    application_credential_id: str | None = None


def to_microseconds(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_microseconds(value: int) -> datetime:
    seconds, micros = divmod(value, 1_000_000)
    return datetime.fromtimestamp(seconds, timezone.utc).replace(microsecond=micros)


def methods_to_bits(methods: tuple[str, ...]) -> int:
    return sum(METHOD_BITS[method] for method in set(methods))


def bits_to_methods(bits: int) -> tuple[str, ...]:
    return tuple(method for method, bit in METHOD_BITS.items() if bits & bit)


class Payload(ABC):
    """One payload version: ``pack`` TokenData into a list, ``unpack`` it back."""

    version: ClassVar[int]

    @classmethod
    @abstractmethod
    def handles(cls, data: TokenData) -> bool: ...

    @classmethod
    @abstractmethod
    def scope(cls, data: TokenData) -> list[Any]: ...

    @classmethod
    @abstractmethod
    def unscope(cls, fields: list[Any]) -> dict[str, Any]: ...

    @classmethod
    def pack(cls, data: TokenData) -> list[Any]:
        head = [cls.version, data.user_id, methods_to_bits(data.methods)]
        times = [to_microseconds(data.issued_at), to_microseconds(data.expires_at), data.audit_id]
        scope = cls.scope(data)
        return head + scope[:1] + times + scope[1:]

    @classmethod
    def unpack(cls, fields: list[Any]) -> TokenData:
        _version, user_id, bits, scope_id, issued, expires, audit_id, *extra = fields
        return TokenData(
            user_id=str(user_id),
            methods=bits_to_methods(int(bits)),
            issued_at=from_microseconds(int(issued)),
            expires_at=from_microseconds(int(expires)),
            audit_id=str(audit_id),
            **cls.unscope([scope_id, *extra]),
        )


class ProjectScopedPayload(Payload):
    version = 1

    @classmethod
    def handles(cls, data: TokenData) -> bool:
        return data.project_id is not None and data.application_credential_id is None

    @classmethod
    def scope(cls, data: TokenData) -> list[Any]:
        return [data.project_id]

    @classmethod
    def unscope(cls, fields: list[Any]) -> dict[str, Any]:
        return {"project_id": str(fields[0])}


class DomainScopedPayload(Payload):
    version = 2

    @classmethod
    def handles(cls, data: TokenData) -> bool:
        return data.domain_id is not None and data.project_id is None

    @classmethod
    def scope(cls, data: TokenData) -> list[Any]:
        return [data.domain_id]

    @classmethod
    def unscope(cls, fields: list[Any]) -> dict[str, Any]:
        return {"domain_id": str(fields[0])}


class ApplicationCredentialPayload(Payload):
    version = 3

    @classmethod
    def handles(cls, data: TokenData) -> bool:
        return data.project_id is not None and data.application_credential_id is not None

    @classmethod
    def scope(cls, data: TokenData) -> list[Any]:
        return [data.project_id, data.application_credential_id]

    @classmethod
    def unscope(cls, fields: list[Any]) -> dict[str, Any]:
        return {"project_id": str(fields[0]), "application_credential_id": str(fields[1])}


PAYLOADS: dict[int, type[Payload]] = {
    payload.version: payload for payload in (ProjectScopedPayload, DomainScopedPayload, ApplicationCredentialPayload)
}


def encode(data: TokenData) -> bytes:
    for payload in PAYLOADS.values():
        if payload.handles(data):
            return json.dumps(payload.pack(data), separators=(",", ":")).encode("utf-8")
    raise ValueError("no payload version carries this scope (a token needs a project or a domain)")


def decode(raw: bytes) -> TokenData:
    try:
        fields = json.loads(raw)
        if not isinstance(fields, list) or isinstance(fields[0], bool) or not isinstance(fields[0], int):
            raise TypeError("not a versioned payload")
        payload = PAYLOADS[fields[0]]
        return payload.unpack(fields)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise TokenInvalid("token payload is malformed or of an unknown version") from exc
