"""Media for proofs of delivery: a pluggable byte store, the SHA-256 of every file, and time-limited signed URLs.

`MediaStore` is the interface (put / read by key); `FilesystemMediaStore` keeps files under
HUB_DATA_DIR/media/<tenant>/<media id>. An object-store implementation only has to provide the same methods.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from hub.canonical.ids import sortable_id
from hub.config import Config
from hub.db.models import Delivery
from hub.execution.models import PodMedia

# Long enough to open a POD in the dashboard or attach it to a support ticket, short enough that a leaked
# link soon stops working.
SIGNED_URL_TTL_S = 15 * 60


class MediaMissing(Exception):
    """The store has no bytes under this key."""


class MediaStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def read(self, key: str) -> bytes: ...


class FilesystemMediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"media key {key!r} leaves the media directory")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)  # readers never see half a file

    def read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise MediaMissing(key) from None

    def path_of(self, key: str) -> Path:
        return self._path(key)


def media_store(config: Config) -> MediaStore:
    return FilesystemMediaStore(config.data_dir / "media")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Upload:
    kind: str  # signature | photo
    content_type: str
    data: bytes


def store_media(session: Session, store: MediaStore, delivery: Delivery, upload: Upload,
                actor: dict[str, Any]) -> PodMedia:
    """Write the bytes, then the row (in the caller's transaction). Returns the row with its SHA-256."""
    media_id = sortable_id("med_")
    key = f"{delivery.tenant_id}/{media_id}"
    store.put(key, upload.data)
    row = PodMedia(id=media_id, tenant_id=delivery.tenant_id, delivery_id=delivery.id, kind=upload.kind,
                   content_type=upload.content_type, size_bytes=len(upload.data), sha256=sha256_hex(upload.data),
                   storage_key=key, actor=actor)
    session.add(row)
    return row


def media_ref(row: PodMedia) -> dict[str, Any]:
    """The Media object of schemas/events/pod_captured.v1.json."""
    return {"id": row.id, "content_type": row.content_type, "sha256": row.sha256, "size_bytes": row.size_bytes}


def _signature(secret: str, media_id: str, expires: int) -> str:
    return hmac.new(secret.encode("utf-8"), f"{media_id}.{expires}".encode("ascii"), hashlib.sha256).hexdigest()


def signed_url(config: Config, media_id: str, *, ttl_s: int = SIGNED_URL_TTL_S, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + ttl_s)
    query = urlencode({"expires": expires, "signature": _signature(config.secret_key, media_id, expires)})
    return f"{config.public_url}/media/{media_id}?{query}"


def check_signature(config: Config, media_id: str, expires: str | None, signature: str | None,
                    *, now: float | None = None) -> str:
    """'' when the link is good, else why not (for the 403 answer)."""
    if not expires or not signature:
        return "the link needs both expires and signature"
    try:
        expires_at = int(expires)
    except ValueError:
        return "expires must be a Unix time in seconds"
    if not hmac.compare_digest(_signature(config.secret_key, media_id, expires_at), signature):
        return "the signature does not match this file and expiry"
    if expires_at < (time.time() if now is None else now):
        return "the link has expired; ask the hub for a new one"
    return ""
