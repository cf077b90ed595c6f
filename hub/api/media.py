"""GET /media/<id>?expires=&signature=: a stored POD file, for whoever holds a valid, unexpired signed link."""

from __future__ import annotations

import base64

from flask import Response, request
from flask_smorest import Blueprint

from hub.api.errors import ApiError, not_found
from hub.db.media import MediaMissing, check_signature, media_store
from hub.db.models.execution import PodMedia
from hub.runtime import get_runtime

blp = Blueprint("media", __name__, url_prefix="/media", description="Proof-of-delivery files behind signed links")


@blp.route("/<media_id>", methods=["GET"])
@blp.doc(summary="A proof-of-delivery file (signed link)", security=[],
         description="The link comes from the hub (completion answers, GET /api/v1/deliveries/<id>/pod). 403 when "
         "the signature does not match or the link expired. Repr-Digest carries the file's SHA-256.")
def get_media(media_id: str) -> Response:
    config = get_runtime().config
    if not media_id.isascii():  # the hub's ids are ASCII: no such file, whatever the signature says
        raise not_found("file", media_id)
    problem = check_signature(config, media_id, request.args.get("expires"), request.args.get("signature"))
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
