"""Media for proofs of delivery: a pluggable byte store, the SHA-256 of every file, and time-limited signed URLs.

`MediaStore` is the interface (put / read / delete by key). HUB_MEDIA_STORE names the implementation:
`filesystem` (built in, the default) keeps files under HUB_DATA_DIR/media/<tenant>/<media id>; any other name
is an entry point in the group `delivery_hub.media_stores`, declared by the deployment's own package::

    [project.entry-points."delivery_hub.media_stores"]
    s3 = "acme_hub_storage:S3MediaStore"

The entry point names a callable that takes the hub's `Config` and returns a MediaStore (a class whose
constructor takes the config fits). An unknown name stops the hub at start, naming the stores it knows.

Files are written before the rows that reference them, in the caller's transaction. `store_media` ties each
new file to that transaction (or savepoint): if it ends without committing (a 422, a 409, any error), the file
is deleted again. `put` never replaces a key, so the only files deleted are ones that transaction created.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from hub.canonical.ids import sortable_id
from hub.config import Config
from hub.db.models import Delivery
from hub.db.models.execution import PodMedia
from hub.errors import ConfigurationError

MEDIA_STORE_GROUP = "delivery_hub.media_stores"
log = logging.getLogger(__name__)

# Long enough to open a POD in the dashboard or attach it to a support ticket, short enough that a leaked
# link soon stops working.
SIGNED_URL_TTL_S = 15 * 60


class MediaMissing(Exception):
    """The store has no bytes under this key."""


class MediaExists(Exception):
    """The store already has bytes under this key; a key is written once and never replaced."""


class MediaStore(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Store new bytes; raise MediaExists rather than replace a key that exists."""

    def read(self, key: str) -> bytes:
        """The bytes, or MediaMissing."""

    def delete(self, key: str) -> None:
        """Remove the key (a missing key is not an error). The hub calls it only for files written in a
        transaction that then did not commit."""


StoreFactory = Callable[[Config], MediaStore]


class UnknownMediaStore(ConfigurationError):
    """HUB_MEDIA_STORE names no store this hub can load."""


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
        tmp = path.with_name(f"{path.name}.{secrets.token_hex(8)}.part")
        try:
            with open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, path)  # atomic like a rename (readers never see half a file), but never replaces
            except FileExistsError:
                raise MediaExists(key) from None
        finally:
            tmp.unlink(missing_ok=True)

    def read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise MediaMissing(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def path_of(self, key: str) -> Path:
        return self._path(key)


def filesystem_store(config: Config) -> FilesystemMediaStore:
    return FilesystemMediaStore(config.data_dir / "media")


# Built in, so the default works without any package metadata; a plugin cannot shadow these names.
BUILT_IN_STORES: dict[str, StoreFactory] = {"filesystem": filesystem_store}


def media_store_names() -> list[str]:
    """Every store HUB_MEDIA_STORE may name: the built-in ones and the installed entry points."""
    return sorted({*BUILT_IN_STORES, *(ep.name for ep in metadata.entry_points(group=MEDIA_STORE_GROUP))})


@functools.lru_cache(maxsize=None)
def media_store_factory(name: str) -> StoreFactory:
    """The factory `name` stands for, loaded once (`media_store_factory.cache_clear()` after installing a
    store at runtime); UnknownMediaStore, naming the known stores, when there is none or it does not load."""
    if name in BUILT_IN_STORES:
        return BUILT_IN_STORES[name]
    found = {ep.value: ep for ep in metadata.entry_points(group=MEDIA_STORE_GROUP) if ep.name == name}
    if not found:
        raise UnknownMediaStore(f"HUB_MEDIA_STORE={name!r} is not a known media store; known: "
                                f"{', '.join(media_store_names())} (a package adds one under the entry-point "
                                f"group {MEDIA_STORE_GROUP!r})")
    if len(found) > 1:
        raise UnknownMediaStore(f"HUB_MEDIA_STORE={name!r} is declared more than once ({', '.join(sorted(found))}); "
                                f"uninstall all but one")
    (entry_point,) = found.values()
    try:
        factory = entry_point.load()
    except Exception as exc:  # reported at start, with what failed, instead of a bare traceback per request
        raise UnknownMediaStore(f"HUB_MEDIA_STORE={name!r}: {entry_point.value} failed to load: "
                                f"{type(exc).__name__}: {exc}") from exc
    if not callable(factory):
        raise UnknownMediaStore(f"HUB_MEDIA_STORE={name!r}: {entry_point.value} is a {type(factory).__name__}, "
                                f"not a callable taking the hub's Config")
    return factory  # type: ignore[no-any-return]


def media_store(config: Config) -> MediaStore:
    return media_store_factory(config.media_store)(config)


# ---- files follow the transaction that wrote them --------------------------------------------------------

_WRITTEN = "hub.media_written"  # session.info: {transaction: [(store, key), ...]}, files not yet committed


def _unit(session: Session) -> SessionTransaction:
    """The transaction that decides a write's fate: the innermost savepoint, else the session's transaction."""
    return session.get_nested_transaction() or session.get_transaction() or session.begin()


def _enclosing(transaction: SessionTransaction) -> SessionTransaction | None:
    """The savepoint or outer transaction around `transaction`; None for the outer transaction itself."""
    parent = transaction.parent
    while parent is not None and not (parent.nested or parent.parent is None):
        parent = parent.parent
    return parent


def delete_unless_committed(session: Session, store: MediaStore, key: str) -> None:
    """`key` was just created by `store`: delete it again unless the session's current transaction commits."""
    session.info.setdefault(_WRITTEN, {}).setdefault(_unit(session), []).append((store, key))
    for name, listener in (("after_commit", _committed), ("after_transaction_end", _ended)):
        if not event.contains(session, name, listener):
            event.listen(session, name, listener)


def _committed(session: Session) -> None:
    written = session.info.get(_WRITTEN, {})
    unit = session.get_nested_transaction() or session.get_transaction()  # the one committing now
    files = written.pop(unit, [])
    outer = _enclosing(unit) if unit is not None else None
    if files and outer is not None:  # a savepoint was released: its files now go with the enclosing transaction
        written.setdefault(outer, []).extend(files)


def _ended(session: Session, transaction: SessionTransaction) -> None:
    """Rolled back or closed without a commit: the rows are gone, so are the files they would have referenced."""
    for store, key in session.info.get(_WRITTEN, {}).pop(transaction, []):
        try:
            store.delete(key)
        except Exception as exc:  # never hide the error that caused the rollback
            log.warning("could not delete media %s after its transaction rolled back: %s", key, exc)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Upload:
    kind: str  # signature | photo
    content_type: str
    data: bytes


def store_media(session: Session, store: MediaStore, delivery: Delivery, upload: Upload,
                actor: dict[str, Any]) -> PodMedia:
    """Write the bytes, then the row (in the caller's transaction, which the file follows: a rollback deletes
    it). Returns the row with its SHA-256."""
    media_id = sortable_id("med_")
    key = f"{delivery.tenant_id}/{media_id}"  # a new random id per upload: files are not shared between rows
    store.put(key, upload.data)
    delete_unless_committed(session, store, key)
    row = PodMedia(id=media_id, tenant_id=delivery.tenant_id, delivery_id=delivery.id, kind=upload.kind,
                   content_type=upload.content_type, size_bytes=len(upload.data), sha256=sha256_hex(upload.data),
                   storage_key=key, actor=actor)
    session.add(row)
    return row


def media_ref(row: PodMedia) -> dict[str, Any]:
    """The Media object of schemas/events/pod_captured.v1.json."""
    return {"id": row.id, "content_type": row.content_type, "sha256": row.sha256, "size_bytes": row.size_bytes}


def _signature(secret: str, media_id: str, expires: int) -> str:
    return hmac.new(secret.encode("utf-8"), f"{media_id}.{expires}".encode("utf-8"), hashlib.sha256).hexdigest()


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
    if not hmac.compare_digest(_signature(config.secret_key, media_id, expires_at).encode(), signature.encode()):
        return "the signature does not match this file and expiry"
    if expires_at < (time.time() if now is None else now):
        return "the link has expired; ask the hub for a new one"
    return ""
