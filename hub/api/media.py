"""GET /media/<id>?expires=&signature=: a stored POD file, for whoever holds a valid, unexpired signed link."""

from __future__ import annotations

import base64
from typing import Any

from flask import Response
from marshmallow import Schema, fields

from hub.api.declare import Blueprint
from hub.api.errors import ApiError, not_found
from hub.db.media import MediaMissing, check_signature, media_store
from hub.db.models.execution import PodMedia
from hub.execution.pod import IMAGE_TYPES
from hub.runtime import get_runtime

blp = Blueprint("media", __name__, url_prefix="/media", description="Proof-of-delivery files behind signed links")

# The file as stored: one of the image types a proof of delivery may hold.
FILE = {"description": "The file, with the type it was uploaded with",
        "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in sorted(IMAGE_TYPES)},
        "headers": {name: {"schema": {"type": "string"}, "description": text} for name, text in (
            ("ETag", "The file's SHA-256 (hex), quoted"),
            ("Repr-Digest", "The file's SHA-256 (RFC 9530), e.g. sha-256=:...:"))}}


class SignedLink(Schema):
    # Not required here: a link without them is refused with 403 like a wrong one, saying what is missing.
    expires = fields.Integer(metadata={"description": "Unix time (seconds) the link expires"})
    signature = fields.String(metadata={"description": "The hub's signature of this file and expiry"})


@blp.route("/<media_id>", methods=["GET"])
@blp.doc(summary="A proof-of-delivery file (signed link)", security=[], responses={"200": FILE},
         description="The link comes from the hub (completion answers, GET /api/v1/deliveries/<id>/pod). 403 when "
         "the signature does not match or the link expired; 404 when no such file is stored.")
@blp.arguments(SignedLink, location="query")
def get_media(link: dict[str, Any], media_id: str) -> Response:
    config = get_runtime().config
    if not media_id.isascii():  # the hub's ids are ASCII: no such file, whatever the signature says
        raise not_found("file", media_id)
    expires = str(link["expires"]) if "expires" in link else None
    problem = check_signature(config, media_id, expires, link.get("signature"))
    if problem:
        raise ApiError(403, "forbidden", problem)
    with get_runtime().sessions() as session:
        row = session.get(PodMedia, media_id)
        if row is None:
            raise not_found("file", media_id)
        key, content_type, digest = row.storage_key, row.content_type, row.sha256
    try:
        data = media_store(config).read(key)
    except MediaMissing:
        raise not_found("file", media_id) from None
    response = Response(data, mimetype=content_type)
    response.headers["Cache-Control"] = "private, max-age=300"  # the link itself expires; do not cache beyond
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["ETag"] = f'"{digest}"'
    response.headers["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(digest)).decode()}:"
    return response
