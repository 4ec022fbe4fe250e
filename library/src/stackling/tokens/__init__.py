"""Tokens: the Fernet key repository, versioned payloads and the token provider."""

from stackling.tokens.keys import KeyRepository
from stackling.tokens.payload import TokenData
from stackling.tokens.provider import FernetTokenProvider, TokenProvider

__all__ = ["FernetTokenProvider", "KeyRepository", "TokenData", "TokenProvider"]
