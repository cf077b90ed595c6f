"""Hub configuration: defaults, then HUB_* environment variables, then explicit overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

# Where `hub serve` listens by default; stores and carriers are told this address unless HUB_PUBLIC_URL is set.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
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
    # HUB_SECRET_KEY_PREVIOUS: older secret keys that still decrypt secrets stored with them (hub.db.encryption).
    secret_key_previous: tuple[str, ...] = field(default=(), repr=False)
    allow_private_webhook_targets: bool = False
    # HUB_MEDIA_STORE: where POD files go, by name: "filesystem" (HUB_DATA_DIR/media) or an installed
    # `delivery_hub.media_stores` entry point (hub.db.media).
    media_store: str = "filesystem"
    # HUB_MAX_BODY_BYTES / HUB_MAX_UPLOAD_BYTES: the largest request body the API and hooks accept, and the
    # largest proof-of-delivery upload (hub/api/limits.py).
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    testing: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "Config":
        env = os.environ if env is None else env
        data_dir = Path(env.get("HUB_DATA_DIR") or "var").resolve()
        config = cls(
            data_dir=data_dir,
            database_url=env.get("HUB_DATABASE_URL") or f"sqlite:///{data_dir / 'hub.db'}",
            redis_url=env.get("HUB_REDIS_URL") or None,
            public_url=(env.get("HUB_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/"),
            secret_key=env.get("HUB_SECRET_KEY") or "dev-insecure-secret-change-me",
            secret_key_previous=_keys(env.get("HUB_SECRET_KEY_PREVIOUS")),
            allow_private_webhook_targets=_flag(env.get("HUB_ALLOW_PRIVATE_WEBHOOK_TARGETS")),
            media_store=(env.get("HUB_MEDIA_STORE") or "").strip() or "filesystem",
            max_body_bytes=_bytes(env.get("HUB_MAX_BODY_BYTES"), DEFAULT_MAX_BODY_BYTES),
            max_upload_bytes=_bytes(env.get("HUB_MAX_UPLOAD_BYTES"), DEFAULT_MAX_UPLOAD_BYTES),
        )
        known = {k: v for k, v in overrides.items() if k in cls.__dataclass_fields__}
        if isinstance(known.get("secret_key_previous"), str):
            known["secret_key_previous"] = _keys(known["secret_key_previous"])
        extra = {k: v for k, v in overrides.items() if k not in cls.__dataclass_fields__}
        if extra:
            known["extra"] = {**config.extra, **extra}
        return replace(config, **known)
