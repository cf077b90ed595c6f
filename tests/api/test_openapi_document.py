"""The OpenAPI document tells the truth about errors, and its UI works offline."""

from __future__ import annotations

import re


def test_every_documented_error_is_the_hubs_error_body(client):
    spec = client.get("/api/openapi.json").json
    schema = spec["components"]["schemas"]["Error"]
    assert set(schema["properties"]) == {"error"} and schema["required"] == ["error"]
    body = spec["components"]["schemas"]["ErrorBody"]
    assert set(body["properties"]) == {"code", "message", "details"}
    default = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]["application/json"]["schema"]
    assert default == {"$ref": "#/components/schemas/Error"}
    operations = [op for path in spec["paths"].values() for op in path.values() if isinstance(op, dict)]
    assert operations and all(op["responses"]["default"] == {"$ref": "#/components/responses/DEFAULT_ERROR"}
                              for op in operations)


def test_a_wrong_method_answers_405_with_allow_and_the_error_body(client, tenant):
    response = client.put("/api/v1/deliveries", headers=tenant["headers"], json={})
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert response.json["error"]["code"] == "method_not_allowed"


def test_the_docs_page_loads_its_assets_from_the_hub(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(a.startswith("/api/docs/assets/") for a in assets), assets  # no CDN
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200 and len(served.data) > 1000, asset
