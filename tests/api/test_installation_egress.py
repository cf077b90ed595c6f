"""Installing a connector whose URL points inside: refused when saved, naming the field (422); and an
internal server's error page never reaches the hub's answer (502 with the status only)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from hub.egress import policy

SECRET_PAGE = "aws_secret_access_key=AKIA-INTERNAL-ONLY"
INSTALLS = {  # connector: (its URL setting, the other settings it needs)
    "woocommerce": ("url", {"consumer_key": "ck_" + "a" * 40, "consumer_secret": "cs_" + "b" * 40}),
    "shopify": ("api_url", {"shop": "maple-goods.myshopify.com", "access_token": "shpat_x", "client_secret": "s" * 32}),
    "magento": ("base_url", {"access_token": "magento-token-0123456789"}),
    "hub_carrier": ("endpoint_url", {"secret": "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}),
}


def install(client: Any, tenant: dict[str, Any], connector: str, url: str) -> Any:
    field, settings = INSTALLS[connector]
    return client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": connector, "register_webhooks": connector != "hub_carrier",
        "settings": {**settings, field: url}})


@pytest.mark.parametrize("connector", sorted(INSTALLS))
@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://100.100.100.200", "http://[2002:7f00:1::]"])
def test_a_url_setting_on_a_non_public_address_is_refused_when_saved(client, tenant, connector, url):
    with policy.bound(False):
        response = install(client, tenant, connector, url)
    assert response.status_code == 422, response.json
    field = INSTALLS[connector][0]
    assert [d["path"] for d in response.json["error"]["details"]] == [f"$.settings.{field}"]
    assert "not a public address" in response.json["error"]["details"][0]["message"]


@pytest.mark.parametrize("connector", ["woocommerce", "shopify"])  # the stores the hub registers webhooks at
def test_an_error_page_from_the_other_side_is_summarised_not_echoed(client, tenant, connector,
                                                                    httpserver: HTTPServer):
    httpserver.expect_request(re.compile("^/.*")).respond_with_data(SECRET_PAGE, status=500)
    response = install(client, tenant, connector, httpserver.url_for("/").rstrip("/"))
    assert response.status_code == 502, response.json
    message = response.json["error"]["message"]
    assert "HTTP 500" in message and SECRET_PAGE not in response.get_data(as_text=True)
