"""Body size limits: refused before the body is read, 413 with the limit in the hub's JSON error body."""

from __future__ import annotations

from io import BytesIO

import pytest
from sqlalchemy import func, select

from hub.app import create_app
from hub.config import DEFAULT_MAX_BODY_BYTES, Config
from hub.db.models import Delivery, InboxItem
from hub.runtime import Runtime, set_runtime
from tests.api.test_inbound_webhooks import install


class Unread(BytesIO):
    """A request body that records whether anyone read it."""

    read_at_all = False

    def read(self, *args):  # type: ignore[no-untyped-def]
        Unread.read_at_all = True
        return super().read(*args)


def _rows(rt) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with rt.sessions() as session:
        return tuple(session.scalar(select(func.count()).select_from(m)) for m in (InboxItem, Delivery))  # type: ignore[return-value]


def test_a_100_mb_delivery_is_refused_by_its_content_length_before_reading(client, tenant, clean):
    Unread.read_at_all = False
    size = 100 * 1024 * 1024
    response = client.post("/api/v1/deliveries", input_stream=Unread(b"{}"), environ_overrides={"CONTENT_LENGTH": str(size)},
                           headers={**tenant["headers"], "Content-Type": "application/json"})
    assert response.status_code == 413
    error = response.json["error"]
    assert error["code"] == "body_too_large" and str(DEFAULT_MAX_BODY_BYTES) in error["message"]
    assert error["details"] == [{"path": "$", "message": f"at most {DEFAULT_MAX_BODY_BYTES} bytes"}]
    assert not Unread.read_at_all and _rows(clean) == (0, 0)


def test_a_hook_body_over_the_limit_is_refused_before_the_signature_check(client, tenant, clean):
    installation = install(client, tenant)
    body = b"{" + b" " * DEFAULT_MAX_BODY_BYTES + b"}"
    response = client.post(f"/hooks/{installation}", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json["error"]["code"] == "body_too_large"  # not 401
    assert _rows(clean) == (0, 0)


def test_a_chunked_body_without_content_length_stops_at_the_limit(client, tenant, clean):
    installation = install(client, tenant)
    body = BytesIO(b"{" + b" " * (DEFAULT_MAX_BODY_BYTES + 10) + b"}")
    response = client.post(f"/hooks/{installation}", input_stream=body,  # as a server passes a chunked body on
                           environ_overrides={"wsgi.input_terminated": True},
                           headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    assert response.status_code == 413 and str(DEFAULT_MAX_BODY_BYTES) in response.json["error"]["message"]
    assert body.tell() <= DEFAULT_MAX_BODY_BYTES + 64 * 1024  # read in chunks up to the cap, not to the end
    assert _rows(clean) == (0, 0)


@pytest.fixture
def small_limits_client(clean):  # type: ignore[no-untyped-def]
    config = Config.from_env(testing=True, max_body_bytes=1000, max_upload_bytes=5000)
    yield create_app(runtime=Runtime(config=config, engine=clean.engine, sessions=clean.sessions,
                                     redis_url=clean.redis_url)).test_client()
    set_runtime(clean)  # create_app made the small-limits runtime the process's own


def test_limits_are_configurable_and_uploads_get_their_own(small_limits_client):
    client = small_limits_client
    small = client.post("/api/v1/deliveries", data=b"x" * 1001, headers={"Content-Type": "application/json"})
    assert small.status_code == 413 and "1000 bytes" in small.json["error"]["message"]
    upload = client.post("/api/v1/driver/stops/dlv_x/complete", data=b"x" * 3000,
                         headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert upload.status_code == 401  # under the upload limit: it reaches authentication
    too_big = client.post("/api/v1/driver/stops/dlv_x/complete", data=b"x" * 5001,
                          headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert too_big.status_code == 413 and "5000 bytes" in too_big.json["error"]["message"]
