"""Password hashing with argon2id (argon2-cffi's PasswordHasher: RFC 9106 parameters, salt and parameters
kept inside the hash string), so a stolen table costs an attacker memory-hard work per guess."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# NIST SP 800-63B asks for at least 8 characters; an account that can act on every delivery of a tenant
# deserves a passphrase, and a length rule is the only one that helps (no composition rules).
MIN_PASSWORD_LENGTH = 12
# argon2 hashes only what it is given; a megabyte "password" would still cost one hash, but nobody types
# more than this, and the limit keeps the sign-in form from being a way to make the hub hash big inputs.
MAX_PASSWORD_LENGTH = 256

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email takes as long as a wrong password and the
# answer time does not tell which accounts exist.
_DECOY_HASH = _hasher.hash("decoy password that matches nothing")


class WeakPassword(ValueError):
    """The password is refused; the message says why."""


def check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"the password must be at most {MAX_PASSWORD_LENGTH} characters long")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing hash (unknown email) still costs one verification."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(stored_hash or _DECOY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """The hash was made with older parameters than the hasher's: re-hash on the next good sign-in."""
    return _hasher.check_needs_rehash(stored_hash)
