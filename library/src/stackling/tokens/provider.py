"""Token providers: a small abstract interface and the Fernet implementation.

A provider only turns TokenData into an opaque string and back, checking integrity.
Expiry, revocation and roles are the validator's job (stackling.identity.tokens).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from cryptography.fernet import InvalidToken

from stackling.errors import TokenInvalid
from stackling.tokens.keys import KeyRepository
from stackling.tokens.payload import TokenData, decode, encode, to_microseconds

# Validation reuses the keys of a directory listing at most this old (seconds). A token that
# does not verify with them is retried after a fresh listing, so keys added by another process
# (a rotation) are used at once; a key pruned by another process is refused within this time.
KEY_RECHECK_INTERVAL = 1.0


class TokenProvider(ABC):
    @abstractmethod
    def issue(self, data: TokenData) -> str:
        """An opaque token string asserting ``data``."""

    @abstractmethod
    def decode(self, token: str) -> TokenData:
        """The data ``token`` asserts; TokenInvalid if it is forged, damaged or signed with an unknown key."""


class FernetTokenProvider(TokenProvider):
    """Fernet tokens (AES-128-CBC + HMAC-SHA256) over versioned JSON payloads; nothing is stored."""

    def __init__(self, keys: KeyRepository) -> None:
        self.keys = keys

    def issue(self, data: TokenData) -> str:
        fernet_time = to_microseconds(data.issued_at) // 1_000_000
        return self.keys.multifernet().encrypt_at_time(encode(data), fernet_time).decode("ascii")

    def decode(self, token: str) -> TokenData:
        try:
            raw_token = token.encode("ascii")
            cached = self.keys.multifernet(max_age=KEY_RECHECK_INTERVAL)
            try:
                raw = cached.decrypt(raw_token)
            except InvalidToken:
                current = self.keys.multifernet()  # lists the directory: the keys may have changed meanwhile
                if current is cached:
                    raise
                raw = current.decrypt(raw_token)
        except (InvalidToken, UnicodeEncodeError):
            raise TokenInvalid("token is not valid (damaged, forged or signed with a retired key)") from None
        return decode(raw)
