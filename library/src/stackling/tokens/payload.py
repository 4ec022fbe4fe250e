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

import dataclasses
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

from stackling.errors import TokenInvalid

METHOD_BITS = {"password": 1, "application_credential": 2}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_FLOAT_EXACT_US = 2**32 * 1_000_000  # 2106-02-07: see from_microseconds
_ALL_BITS = sum(METHOD_BITS.values())
# Every combination of method bits, decoded once (bits_to_methods runs at every validation).
_METHODS_BY_BITS = {
    bits: tuple(method for method, bit in METHOD_BITS.items() if bits & bit) for bits in range(_ALL_BITS + 1)
}
# One encoder and one scanner for the process: json.dumps with options builds a new encoder
# per call, and json.loads detects the encoding and skips whitespace with a regex first; these
# are the same C code without that. The scanner raises StopIteration on what is not JSON.
_ENCODER = json.JSONEncoder(separators=(",", ":"))
_SCAN: Callable[[str, int], tuple[Any, int]] = getattr(json.JSONDecoder(), "scan_once")


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


# TokenData's optional fields and their defaults, for _trusted_token_data.
_OPTIONAL_FIELDS = {
    field.name: field.default for field in dataclasses.fields(TokenData) if field.default is not dataclasses.MISSING
}


def _trusted_token_data(values: dict[str, Any]) -> TokenData:
    """``TokenData(**values)`` without the frozen dataclass's ``object.__setattr__`` per field.

    That costs about as much as the rest of decoding; this fills the instance's ``__dict__``
    directly. Only for values already converted (``unpack``); every field must be present.
    """
    token_data = TokenData.__new__(TokenData)
    token_data.__dict__.update(values)
    return token_data


def to_microseconds(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_microseconds(value: int) -> datetime:
    if 0 <= value < _FLOAT_EXACT_US:
        # Twice as fast, and exact here: below 2**32 s a double is within 0.24 us of value / 10**6,
        # and fromtimestamp rounds to the nearest microsecond.
        return datetime.fromtimestamp(value / 1_000_000, timezone.utc)
    return _EPOCH + timedelta(microseconds=value)


def methods_to_bits(methods: tuple[str, ...]) -> int:
    return sum(METHOD_BITS[method] for method in set(methods))


def bits_to_methods(bits: int) -> tuple[str, ...]:
    return _METHODS_BY_BITS[bits & _ALL_BITS]  # unknown bits are ignored


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
    def unscope(cls, values: dict[str, Any], scope_id: Any, extra: list[Any]) -> None:
        """Set the scope fields of ``values`` from what ``scope`` packed (its first item, then the rest)."""

    @classmethod
    def pack(cls, data: TokenData) -> list[Any]:
        head = [cls.version, data.user_id, methods_to_bits(data.methods)]
        times = [to_microseconds(data.issued_at), to_microseconds(data.expires_at), data.audit_id]
        scope = cls.scope(data)
        return head + scope[:1] + times + scope[1:]

    @classmethod
    def unpack(cls, fields: list[Any]) -> TokenData:
        _version, user_id, bits, scope_id, issued, expires, audit_id, *extra = fields
        values = {
            "user_id": str(user_id),
            "methods": _METHODS_BY_BITS[int(bits) & _ALL_BITS],
            "issued_at": from_microseconds(int(issued)),
            "expires_at": from_microseconds(int(expires)),
            "audit_id": str(audit_id),
            **_OPTIONAL_FIELDS,
        }
        cls.unscope(values, scope_id, extra)
        return _trusted_token_data(values)


class ProjectScopedPayload(Payload):
    version = 1

    @classmethod
    def handles(cls, data: TokenData) -> bool:
        return data.project_id is not None and data.application_credential_id is None

    @classmethod
    def scope(cls, data: TokenData) -> list[Any]:
        return [data.project_id]

    @classmethod
    def unscope(cls, values: dict[str, Any], scope_id: Any, extra: list[Any]) -> None:
        values["project_id"] = str(scope_id)


class DomainScopedPayload(Payload):
    version = 2

    @classmethod
    def handles(cls, data: TokenData) -> bool:
        return data.domain_id is not None and data.project_id is None

    @classmethod
    def scope(cls, data: TokenData) -> list[Any]:
        return [data.domain_id]

    @classmethod
    def unscope(cls, values: dict[str, Any], scope_id: Any, extra: list[Any]) -> None:
        values["domain_id"] = str(scope_id)


class ApplicationCredentialPayload(Payload):
    version = 3

    @classmethod
    def handles(cls, data: TokenData) -> bool:
        return data.project_id is not None and data.application_credential_id is not None

    @classmethod
    def scope(cls, data: TokenData) -> list[Any]:
        return [data.project_id, data.application_credential_id]

    @classmethod
    def unscope(cls, values: dict[str, Any], scope_id: Any, extra: list[Any]) -> None:
        values["project_id"] = str(scope_id)
        values["application_credential_id"] = str(extra[0])


PAYLOADS: dict[int, type[Payload]] = {
    payload.version: payload for payload in (ProjectScopedPayload, DomainScopedPayload, ApplicationCredentialPayload)
}


def encode(data: TokenData) -> bytes:
    for payload in PAYLOADS.values():
        if payload.handles(data):
            return _ENCODER.encode(payload.pack(data)).encode("utf-8")
    raise ValueError("no payload version carries this scope (a token needs a project or a domain)")


def decode(raw: bytes) -> TokenData:
    try:
        text = raw.decode("utf-8")
        fields, end = _SCAN(text, 0)
        if end != len(text):
            raise ValueError("trailing data after the payload")
        if not isinstance(fields, list) or isinstance(fields[0], bool) or not isinstance(fields[0], int):
            raise TypeError("not a versioned payload")
        payload = PAYLOADS[fields[0]]
        return payload.unpack(fields)
    except (ValueError, KeyError, IndexError, TypeError, OverflowError, StopIteration) as exc:
        raise TokenInvalid("token payload is malformed or of an unknown version") from exc
