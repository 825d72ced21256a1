"""Password hashing with argon2 (argon2-cffi's recommended parameters), and token digests."""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def token_digest(token: str) -> str:
    """What the database keeps of a session or kiosk token: a leaked table opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_digest(secret: str, text: str, length: int = 16) -> str:
    """A short HMAC-SHA256 of `text`: the same text gives the same digest under one app's
    secret key (so attempts can be counted), and nobody without the key can test a guess."""
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:length]
