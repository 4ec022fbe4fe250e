"""Password and secret hashing: argon2id (argon2-cffi), parameters from the configuration.

Only PHC strings (``$argon2id$v=19$m=..,t=..,p=..$salt$hash``) are stored; clear secrets
are never stored, logged or put into an error message.
"""

from __future__ import annotations

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from stackling.config import PasswordHashingConfig
from stackling.errors import ValidationError

MAX_SECRET_LENGTH = 4096


class SecretHasher:
    def __init__(self, config: PasswordHashingConfig) -> None:
        self._argon2 = Argon2Hasher(
            time_cost=config.time_cost,
            memory_cost=config.memory_cost,
            parallelism=config.parallelism,
            type=Type.ID,
        )
        self._dummy: str | None = None

    def hash(self, secret: str) -> str:
        if not secret:
            raise ValidationError("a password or secret must not be empty")
        if len(secret) > MAX_SECRET_LENGTH:
            raise ValidationError("a password or secret must be at most %d characters" % MAX_SECRET_LENGTH)
        return self._argon2.hash(secret)

    def verify(self, stored: str | None, secret: str) -> bool:
        """True when ``secret`` matches ``stored``. With nothing stored a dummy hash is still
        checked, so an unknown user costs as much time as a wrong password."""
        if stored is None:
            if self._dummy is None:
                self._dummy = self._argon2.hash("stackling-dummy-secret")
            stored, secret = self._dummy, secret + "-never-matches"
        try:
            return self._argon2.verify(stored, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """True when ``stored`` was hashed with other parameters than the configured ones."""
        try:
            return self._argon2.check_needs_rehash(stored)
        except InvalidHashError:
            return True
