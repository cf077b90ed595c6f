"""Hub configuration: defaults, then HUB_* environment variables, then explicit overrides."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from hub.errors import ConfigurationError

# Where `hub serve` listens by default; stores and carriers are told this address unless HUB_PUBLIC_URL is set.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
# The file under HUB_DATA_DIR holding the secret key the hub made itself (hub init, or a first start on SQLite)
# when HUB_SECRET_KEY is unset: never a default anyone could read in this source.
SECRET_KEY_FILE = "secret_key"
# Config field <- environment variable, for the rate limits.
RATE_LIMIT_VARIABLES = {"rate_limit_auth_failures": "HUB_RATE_LIMIT_AUTH_FAILURES",
                        "rate_limit_public": "HUB_RATE_LIMIT_PUBLIC"}
# 32 random bytes: as strong as the SHA-256/HKDF keys derived from it.
SECRET_KEY_BYTES = 32
# A canonical delivery or a store's order webhook is a few KB (the largest real sample in
# tests/data/payloads is under 20 KB); 2 MB leaves room for big orders and refuses a flood.
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
# A proof of delivery: up to ten photos and a signature of at most 10 MB each (hub/execution/pod.py),
# plus the form fields.
DEFAULT_MAX_UPLOAD_BYTES = 11 * 10 * 1024 * 1024 + 1024 * 1024


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _bytes(value: str | None, default: int) -> int:
    return int(value) if (value or "").strip().isdigit() else default


def _keys(value: str | None) -> tuple[str, ...]:
    return tuple(k.strip() for k in (value or "").split(",") if k.strip())


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database_url: str
    redis_url: str | None  # None: the hub starts and uses an embedded Redis under data_dir
    public_url: str
    secret_key: str = field(repr=False)
    # Where secret_key came from: "environment" (HUB_SECRET_KEY), "explicit" (passed in), "file"
    # (HUB_DATA_DIR/secret_key) or "unset" (none yet: resolve_secret_key makes one on SQLite).
    secret_key_from: str = "environment"
    # HUB_SECRET_KEY_PREVIOUS: older secret keys that still decrypt secrets stored with them (hub.db.encryption).
    secret_key_previous: tuple[str, ...] = field(default=(), repr=False)
    allow_private_webhook_targets: bool = False
    # HUB_MEDIA_STORE: where POD files go, by name: "filesystem" (HUB_DATA_DIR/media) or an installed
    # `delivery_hub.media_stores` entry point (hub.db.media).
    media_store: str = "filesystem"
    # Per client address (hub/api/limits.py), in the `limits` notation ("N per second|minute|hour").
    # Failed authentications: a person mistyping a key or a misconfigured client stays far below 30 a minute;
    # a key-guessing script is stopped after 30 guesses, whatever the key space.
    rate_limit_auth_failures: str = "30 per minute"
    # Each public endpoint (/hooks/*, /t/*, /healthz, /media/*): 20 a second sustained per address covers a
    # store's burst of order webhooks after an outage (stores retry a 429) and a page of tracking or media.
    rate_limit_public: str = "1200 per minute"
    # HUB_MAX_BODY_BYTES / HUB_MAX_UPLOAD_BYTES: the largest request body the API and hooks accept, and the
    # largest proof-of-delivery upload (hub/api/body_limits.py).
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    testing: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "Config":
        env = os.environ if env is None else env
        data_dir = Path(env.get("HUB_DATA_DIR") or "var").resolve()
        secret_key, secret_key_from = env.get("HUB_SECRET_KEY") or "", "environment"
        if not secret_key:
            secret_key = stored_secret_key(data_dir) or ""
            secret_key_from = "file" if secret_key else "unset"
        config = cls(
            data_dir=data_dir,
            database_url=env.get("HUB_DATABASE_URL") or f"sqlite:///{data_dir / 'hub.db'}",
            redis_url=env.get("HUB_REDIS_URL") or None,
            public_url=(env.get("HUB_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/"),
            secret_key=secret_key,
            secret_key_from=secret_key_from,
            secret_key_previous=_keys(env.get("HUB_SECRET_KEY_PREVIOUS")),
            allow_private_webhook_targets=_flag(env.get("HUB_ALLOW_PRIVATE_WEBHOOK_TARGETS")),
            media_store=(env.get("HUB_MEDIA_STORE") or "").strip() or "filesystem",
            **{name: env[var].strip() for name, var in RATE_LIMIT_VARIABLES.items() if (env.get(var) or "").strip()},
            max_body_bytes=_bytes(env.get("HUB_MAX_BODY_BYTES"), DEFAULT_MAX_BODY_BYTES),
            max_upload_bytes=_bytes(env.get("HUB_MAX_UPLOAD_BYTES"), DEFAULT_MAX_UPLOAD_BYTES),
        )
        known = {k: v for k, v in overrides.items() if k in cls.__dataclass_fields__}
        if known.get("secret_key"):
            known.setdefault("secret_key_from", "explicit")
        if isinstance(known.get("secret_key_previous"), str):
            known["secret_key_previous"] = _keys(known["secret_key_previous"])
        extra = {k: v for k, v in overrides.items() if k not in cls.__dataclass_fields__}
        if extra:
            known["extra"] = {**config.extra, **extra}
        return replace(config, **known)

    @property
    def embedded_database(self) -> bool:
        """SQLite: one machine's file, so a key in that machine's data directory serves every process."""
        return self.database_url.startswith("sqlite")


def stored_secret_key(data_dir: Path) -> str | None:
    """The key in HUB_DATA_DIR/secret_key, or None when there is no such file (or it is empty)."""
    try:
        return (data_dir / SECRET_KEY_FILE).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def ensure_secret_key_file(data_dir: Path) -> tuple[Path, bool]:
    """Write a random key to HUB_DATA_DIR/secret_key (mode 0600) unless one is there; (path, written now).
    Created exclusively, so a serve and a worker starting together on a fresh directory agree on one key."""
    path = data_dir / SECRET_KEY_FILE
    if stored_secret_key(data_dir):
        return path, False
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it a moment ago (or left it empty: refuse to guess)
        if stored_secret_key(data_dir):
            return path, False
        raise ConfigurationError(f"{path} is empty: delete it, or set HUB_SECRET_KEY") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(SECRET_KEY_BYTES) + "\n")
    return path, True


def resolve_secret_key(config: Config) -> Config:
    """The config with a secret key: as given, or on SQLite one the hub makes in its data directory. A shared
    database with no key is refused: each machine would make its own and could not read the others' secrets."""
    if config.secret_key:
        return config
    if not config.embedded_database:
        raise ConfigurationError(
            "HUB_SECRET_KEY is not set: it encrypts the secrets stored in the database and signs media links, "
            "so every hub process on a shared database must use the same long random value. Set HUB_SECRET_KEY "
            f"(or run 'hub init' to write one to {config.data_dir / SECRET_KEY_FILE} on this machine).")
    ensure_secret_key_file(config.data_dir)
    return replace(config, secret_key=stored_secret_key(config.data_dir) or "", secret_key_from="file")


def require_explicit_secret_key(config: Config) -> None:
    """`hub serve` and `hub worker` on a shared database: HUB_SECRET_KEY must be set where every process sees it,
    not picked up from one machine's data directory."""
    if config.embedded_database or config.secret_key_from in ("environment", "explicit"):
        return
    raise ConfigurationError(
        f"HUB_SECRET_KEY is not set, and the database is not SQLite ({config.database_url.split(':', 1)[0]}): "
        "every hub process that shares it (serve, workers, on any machine) must use the same secret key, "
        "which encrypts the stored shop tokens and webhook secrets and signs media links. Set HUB_SECRET_KEY "
        "to a long random value (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`) for "
        "every process; the hub will not start with a key only this machine has.")
