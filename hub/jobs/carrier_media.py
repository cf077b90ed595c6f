"""Outbox handler "carrier_media": a carrier's proof of delivery that comes as image links (Uber Direct keeps
its signature and photo for 30 days) is downloaded, stored as hub media with its SHA-256, and recorded as the
delivery's proof; a `delivered` that was waiting for it is then applied (hub.carriers.exchange).

The links are the carrier's, so they get the webhook targets' protections: private addresses refused (also
on every redirect), the connection pinned to the checked address, one deadline for the whole download, a size
cap and image types only. A link that cannot serve (404, not an image, too big) is noted on the proof; one
that may recover (timeout, 5xx, 429) makes the job retry under the external policy.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin

import requests
import urllib3

from hub.carriers.exchange import alarm_if_unproven, apply_report, find_job
from hub.db.engine import transaction
from hub.db.media import Upload, media_ref, media_store, store_media
from hub.db.models import Delivery
from hub.outbox.running import payload_of
from hub.errors import PermanentError, TransientError
from hub.execution.pod import IMAGE_TYPES, MAX_FILE_BYTES
from hub.runtime import Runtime
from hub.egress.targets import TargetRefused, check_target
from hub.egress.transport import webhook_session

log = logging.getLogger(__name__)

# Image hosts answer within seconds; a minute for the whole download, redirects included, is generous.
DOWNLOAD_DEADLINE_S = 60.0
READ_TIMEOUT_S = 15
# Signed storage links often redirect once or twice; more is a loop.
MAX_REDIRECTS = 3


def download(runtime: Runtime, url: str) -> tuple[str, bytes]:
    """(content type, bytes) of one image link. PermanentError when it cannot serve, TransientError when a
    later try may succeed."""
    allow_private = runtime.config.allow_private_webhook_targets
    for _ in range(MAX_REDIRECTS + 1):
        try:
            pinned = check_target(url, allow_private=allow_private)
        except TargetRefused as exc:
            raise PermanentError(f"refused: {exc}") from None
        try:
            with webhook_session(pinned, deadline_s=DOWNLOAD_DEADLINE_S) as http, http.get(
                    url, timeout=READ_TIMEOUT_S, stream=True, allow_redirects=False) as response:
                if response.is_redirect and response.headers.get("location"):
                    url = urljoin(url, response.headers["location"])  # checked again at the top of the loop
                    continue
                if response.status_code in (408, 429) or response.status_code >= 500:
                    raise TransientError(f"answered {response.status_code}")
                if response.status_code != 200:
                    raise PermanentError(f"answered {response.status_code}")
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if content_type not in IMAGE_TYPES:
                    raise PermanentError(f"not an image ({content_type or 'no content type'})")
                data = response.raw.read(MAX_FILE_BYTES + 1, decode_content=True)
        except (requests.ConnectionError, requests.Timeout, urllib3.exceptions.HTTPError, OSError) as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from None
        if len(data) > MAX_FILE_BYTES:
            raise PermanentError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        return content_type, data
    raise PermanentError(f"more than {MAX_REDIRECTS} redirects")


def fetch_proof(runtime: Runtime, item_id: int) -> None:
    """Download the links of one proof (outside any transaction), then store and record it in one."""
    payload = payload_of(runtime, item_id)
    if not payload:
        return
    report = payload["report"]
    links = report.get("media_urls") or {}
    wanted = [("signature", links["signature"])] if links.get("signature") else []
    wanted += [("photo", link) for link in links.get("photos") or []]
    uploads: list[Upload] = []
    missing: list[str] = []
    for kind, link in wanted:
        try:
            uploads.append(Upload(kind, *download(runtime, link)))
        except PermanentError as exc:
            missing.append(f"{kind} {link}: {exc}")
    data = dict(report["data"])
    if missing:
        log.warning("carrier proof for %s: could not fetch %s", payload["delivery_id"], "; ".join(missing))
        data["notes"] = "; ".join(filter(None, [data.get("notes"), "not fetched: " + "; ".join(missing)]))
    with transaction(runtime.sessions) as session:
        delivery = session.get(Delivery, payload["delivery_id"])
        assignment = find_job(session, report["job_id"]) if report.get("job_id") else None
        if delivery is None or assignment is None:
            return
        store, actor = media_store(runtime.config), {"kind": "carrier", "id": payload["carrier_id"]}
        refs = [(u.kind, media_ref(store_media(session, store, delivery, u, actor))) for u in uploads]
        signature = [ref for kind, ref in refs if kind == "signature"]
        photos = [ref for kind, ref in refs if kind == "photo"]
        if signature:
            data["signature"] = signature[0]
        if photos:
            data["photos"] = photos
        proof = {k: v for k, v in report.items() if k != "media_urls"}
        outcome = apply_report(session, assignment, {**proof, "data": data}, carrier_id=payload["carrier_id"])
        if missing:
            alarm_if_unproven(session, delivery, actor, "could not fetch " + "; ".join(missing))
    log.info("carrier proof for %s: %d file(s) stored, %s", payload["delivery_id"], len(uploads), outcome)
