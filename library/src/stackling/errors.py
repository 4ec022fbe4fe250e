"""Every error the library raises, each with a stable symbol (``code``).

Callers (the CLI, the Ansible cloud modules, a future REST API) map an error by
its ``code`` or its class, never by its message. Each class also subclasses the
builtin exception it resembles, so ``except LookupError`` keeps working.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class ErrorCode(StrEnum):
    CONFIG_INVALID = "config_invalid"
    VALIDATION_FAILED = "validation_failed"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    AUTHENTICATION_FAILED = "authentication_failed"
    TOKEN_INVALID = "token_invalid"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_REVOKED = "token_revoked"
    POLICY_NOT_AUTHORIZED = "policy_not_authorized"
    POLICY_INVALID = "policy_invalid"
    OVER_QUOTA = "over_quota"
    KEY_REPOSITORY_INVALID = "key_repository_invalid"
    TRANSACTION_MISUSED = "transaction_misused"
    # placement, the schedulers and IPAM (stackling.allocation_errors)
    CAPACITY_EXCEEDED = "capacity_exceeded"
    INVALID_ALLOCATION = "invalid_allocation"
    CONCURRENT_UPDATE = "concurrent_update"
    INVENTORY_IN_USE = "inventory_in_use"
    PROVIDER_IN_USE = "provider_in_use"
    NO_VALID_HOST = "no_valid_host"
    IP_ADDRESS_EXHAUSTED = "ip_address_exhausted"
    IP_ADDRESS_IN_USE = "ip_address_in_use"
    MAC_ADDRESS_EXHAUSTED = "mac_address_exhausted"
    SEGMENTATION_ID_EXHAUSTED = "segmentation_id_exhausted"
    SUBNET_OVERLAP = "subnet_overlap"
    NETWORK_IN_USE = "network_in_use"


class StacklingError(Exception):
    """Base class: ``code`` is the stable symbol, ``str(error)`` the one-line message."""

    code: ClassVar[ErrorCode]


class ConfigError(StacklingError, ValueError):
    code = ErrorCode.CONFIG_INVALID


class ValidationError(StacklingError, ValueError):
    """Bad input; ``field`` names the input to fix when the caller's parameter is known (``inventory``)."""

    code = ErrorCode.VALIDATION_FAILED

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(StacklingError, LookupError):
    code = ErrorCode.NOT_FOUND

    def __init__(self, kind: str, ref: str) -> None:
        super().__init__("%s %r not found" % (kind, ref))
        self.kind = kind
        self.ref = ref


class Conflict(StacklingError, ValueError):
    code = ErrorCode.CONFLICT


class AuthenticationFailed(StacklingError, PermissionError):
    """Wrong credentials, disabled user, no role on the scope. The message never says which."""

    code = ErrorCode.AUTHENTICATION_FAILED


class TokenInvalid(StacklingError, PermissionError):
    code = ErrorCode.TOKEN_INVALID


class TokenExpired(TokenInvalid):
    code = ErrorCode.TOKEN_EXPIRED


class TokenRevoked(TokenInvalid):
    code = ErrorCode.TOKEN_REVOKED


class PolicyNotAuthorized(StacklingError, PermissionError):
    code = ErrorCode.POLICY_NOT_AUTHORIZED

    def __init__(self, action: str, reason: str = "") -> None:
        message = "policy does not allow %s to be performed" % action
        super().__init__(message + ("; " + reason if reason else ""))
        self.action = action


class PolicyInvalid(StacklingError, ValueError):
    code = ErrorCode.POLICY_INVALID


class OverQuota(StacklingError, RuntimeError):
    code = ErrorCode.OVER_QUOTA

    def __init__(self, resource: str, limit: int, in_use: int, requested: int) -> None:
        super().__init__(
            "quota exceeded for %s: limit %d, in use %d, requested %d" % (resource, limit, in_use, requested)
        )
        self.resource = resource
        self.limit = limit
        self.in_use = in_use
        self.requested = requested


class KeyRepositoryError(StacklingError, RuntimeError):
    code = ErrorCode.KEY_REPOSITORY_INVALID


class TransactionMisused(StacklingError, RuntimeError):
    """A programming error: e.g. a quota reservation outside a write transaction."""

    code = ErrorCode.TRANSACTION_MISUSED
