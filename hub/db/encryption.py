"""Secrets at rest: the columns that hold secrets are encrypted with Fernet, keyed from HUB_SECRET_KEY.

Keys. The Fernet key is HKDF-SHA256 of HUB_SECRET_KEY with an `info` naming this use, so the same
secret also signing media URLs gives an unrelated key here. HUB_SECRET_KEY_PREVIOUS (optional,
comma-separated) lists older secret keys: a value is decrypted with whichever key fits and always
written with the current one (MultiFernet). Rows keep their old key until they are written again, so
keep an old key listed while rows written with it may remain.

Where the keys live. `build_runtime` makes a `Keyring` from its Config and binds it to its engine
(`bind_keyring`); the column types look it up by the dialect every value passes through. So the key
travels with the engine, not with the process: two runtimes in one process (tests) each use their own,
and an engine nobody bound refuses to read or write a secret rather than guess a key.

Stored forms. `EncryptedText` stores the Fernet token itself; `EncryptedJSON` stores the token as a
JSON string in the same JSON/JSONB column, so the schema does not change. A stored value that is not a
Fernet token is a row written before migration 0006 and is read as it is. Encrypted JSON cannot be
queried in SQL (`Installation.settings["x"]` raises): filter such columns in Python.
"""

from __future__ import annotations

import base64
import binascii
import json
import weakref
from typing import TYPE_CHECKING, Any, Iterable, NoReturn

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import JSON, Engine, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

if TYPE_CHECKING:
    from hub.config import Config

# Names this use of HUB_SECRET_KEY; a new derivation would get a new `info`, never a silent change.
HKDF_INFO = b"delivery-hub/secrets-at-rest/fernet/v1"
# Fernet's layout: version byte 0x80, 8-byte timestamp, 16-byte IV, AES-CBC blocks (at least one), 32-byte HMAC.
_FERNET_VERSION = 0x80
_FERNET_OVERHEAD = 1 + 8 + 16 + 32
_AES_BLOCK = 16
# How migrations find the runtime's keyring: `migrate()` puts it in the Alembic config's attributes.
ALEMBIC_ATTRIBUTE = "hub_keyring"


class SecretKeyError(RuntimeError):
    """A stored secret that no configured key decrypts: the secret key changed without the old one listed."""

    def __init__(self) -> None:
        super().__init__(
            "a secret stored in the database cannot be decrypted with HUB_SECRET_KEY nor with any key in "
            "HUB_SECRET_KEY_PREVIOUS: it was written with another secret key. Set HUB_SECRET_KEY_PREVIOUS "
            "to the secret key the database was written with (comma-separated for several), or put that "
            "key back in HUB_SECRET_KEY."
        )


def derive_fernet_key(secret_key: str) -> bytes:
    """The Fernet key (urlsafe base64 of 32 bytes) for one HUB_SECRET_KEY value."""
    if not secret_key:
        raise ValueError("HUB_SECRET_KEY is empty: secrets cannot be encrypted at rest without it")
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret_key.encode("utf-8"))
    return base64.urlsafe_b64encode(raw)


def is_token(value: str) -> bool:
    """True if `value` has the shape of a Fernet token (and so is not a secret stored in clear)."""
    if not value.startswith("gAAAAA"):  # version 0x80, then a timestamp whose high bytes are zero
        return False
    try:
        raw = base64.b64decode(value.encode("ascii"), altchars=b"-_", validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False
    body = len(raw) - _FERNET_OVERHEAD
    return raw[0] == _FERNET_VERSION and body >= _AES_BLOCK and body % _AES_BLOCK == 0


class Keyring:
    """The current secret key, which encrypts, and the previous ones, which only decrypt."""

    def __init__(self, secret_key: str, previous: Iterable[str] = ()) -> None:
        keys = [secret_key, *(k for k in previous if k and k != secret_key)]
        self._fernet = MultiFernet([Fernet(derive_fernet_key(k)) for k in keys])

    @classmethod
    def from_config(cls, config: "Config") -> "Keyring":
        return cls(config.secret_key, config.secret_key_previous)

    def __repr__(self) -> str:
        return "Keyring(<redacted>)"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str) -> str:
        """The plaintext of a stored value; a value stored in clear (before migration 0006) as it is."""
        if not is_token(stored):
            return stored
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise SecretKeyError() from None

    def rotate(self, stored: str) -> str:
        """The same secret under the current key (a value stored in clear gets encrypted)."""
        if not is_token(stored):
            return self.encrypt(stored)
        try:
            return self._fernet.rotate(stored.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise SecretKeyError() from None

    def rotate_json(self, stored: Any) -> str:
        return self.rotate(stored) if isinstance(stored, str) and is_token(stored) else self.encrypt_json(stored)

    def encrypt_json(self, value: Any) -> str:
        return self.encrypt(json.dumps(value, separators=(",", ":"), sort_keys=True))

    def decrypt_json(self, stored: Any) -> Any:
        """A JSON column's value: a token string is decrypted and parsed; anything else is legacy clear JSON."""
        if isinstance(stored, str) and is_token(stored):
            return json.loads(self.decrypt(stored))
        return stored


# One keyring per engine (its dialect is the engine's own object); weak, so a disposed engine leaves nothing.
_bound: "weakref.WeakKeyDictionary[Dialect, Keyring]" = weakref.WeakKeyDictionary()


def bind_keyring(engine: Engine, keyring: Keyring) -> None:
    """Encrypt and decrypt the secret columns read and written through `engine` with `keyring`."""
    _bound[engine.dialect] = keyring


def keyring_for(dialect: Dialect) -> Keyring:
    try:
        return _bound[dialect]
    except KeyError:
        raise RuntimeError(
            "no secret key is bound to this database engine, so its secret columns cannot be read or "
            "written: build the engine with hub.runtime.build_runtime (it binds HUB_SECRET_KEY)"
        ) from None


class _NotQueryable(TypeDecorator.Comparator):  # type: ignore[type-arg]
    def __getitem__(self, index: Any) -> NoReturn:
        raise TypeError("this column is encrypted at rest and cannot be queried in SQL; filter it in Python")


class EncryptedText(TypeDecorator[str]):
    """A string encrypted at rest; the column holds the Fernet token (TEXT)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring_for(dialect).encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring_for(dialect).decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value encrypted at rest; the JSON (JSONB on PostgreSQL) column holds the token as a string."""

    impl = JSON
    cache_ok = True
    comparator_factory = _NotQueryable

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else keyring_for(dialect).encrypt_json(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else keyring_for(dialect).decrypt_json(value)


# Every column these types cover, for `reencrypt`. A new secret column belongs here as well as in its model.
SECRET_COLUMNS: dict[str, tuple[tuple[str, bool], ...]] = {  # table -> (column, holds JSON)
    "installations": (("settings", True), ("state", True)),
    "webhook_subscriptions": (("secret", False), ("previous_secret", False)),
    "notify_secrets": (("secrets", True),),
}


def reencrypt(engine: Engine, keyring: Keyring) -> dict[str, int]:
    """Rewrite every stored secret under the current key, in one transaction; returns the rows per table.
    Afterwards the keys in HUB_SECRET_KEY_PREVIOUS are no longer needed."""
    from sqlalchemy import column, select, table

    counts: dict[str, int] = {}
    with engine.begin() as conn:
        for name, columns in SECRET_COLUMNS.items():
            json_type = JSONB() if engine.dialect.name == "postgresql" else JSON()
            tbl = table(name, column("id", Text()), *(column(c, json_type if is_json else Text())
                                                      for c, is_json in columns))
            counts[name] = 0
            for row in conn.execute(select(tbl)).all():
                values = {c: (keyring.rotate_json if is_json else keyring.rotate)(getattr(row, c))
                          for c, is_json in columns if getattr(row, c) is not None}
                if values:
                    conn.execute(tbl.update().where(tbl.c.id == row.id).values(**values))
                    counts[name] += 1
    return counts
