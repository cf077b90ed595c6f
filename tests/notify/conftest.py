"""Fixtures of the customer-message tests: the stand-ins of SMTP and of Twilio's API (tests/notify/standins.py)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
from werkzeug import Response

from tests.notify.standins import MESSAGES_PATH, SmtpStandIn, twilio_answer


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    server = SmtpStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def twilio(httpserver):  # type: ignore[no-untyped-def]
    """Twilio's Messages API: every create answered like Twilio, each request kept."""
    sent: list[dict[str, list[str]]] = []

    def create(request):  # type: ignore[no-untyped-def]
        form = parse_qs(request.get_data(as_text=True))
        sent.append(form)
        sid = f"SM{len(sent):032x}"
        return Response(json.dumps(twilio_answer(sid, form["To"][0], form["Body"][0])), status=201,
                        content_type="application/json")

    httpserver.expect_request(MESSAGES_PATH, method="POST").respond_with_handler(create)
    httpserver.sent = sent
    return httpserver


