"""The tenant's tracking-page settings through the API: defaults, validation with field paths, an uploaded logo
served behind the page's own token, and every language holding the same sentences."""

from __future__ import annotations

import base64
import re

from hub.customer.words import CATALOGUES, ENGLISH_KEYS, LANGUAGES
from tests.customer.scene import PNG, plan_day

URL = "/api/v1/settings/tracking-page"


def test_defaults_then_a_saved_block(client, tenant, clean, run_jobs) -> None:
    shown = client.get(URL, headers=tenant["headers"])
    assert shown.status_code == 200
    assert shown.get_json() == {"brand_name": tenant["name"], "colour": "#1f5fbf", "logo_url": None,
                                "logo_uploaded": False, "support_contact": None, "link_days_after_end": 7,
                                "position_within_stops": 3, "tile_url": None}
    bad = client.put(URL, json={"colour": "blue", "tile_url": "https://tiles.example/a.png",
                                "position_within_stops": -1}, headers=tenant["headers"])
    assert bad.status_code == 422
    assert {d["path"] for d in bad.get_json()["error"]["details"]} == {"$.colour", "$.tile_url",
                                                                        "$.position_within_stops"}
    unknown = client.put(URL, json={"favicon": "x"}, headers=tenant["headers"])
    assert unknown.status_code == 422
    saved = client.put(URL, json={"brand_name": "Blumen Berlin", "colour": "#0b6e4f",
                                  "logo_base64": base64.b64encode(PNG).decode(), "logo_content_type": "image/png",
                                  "tile_url": "https://tiles.example/{z}/{x}/{y}.png"}, headers=tenant["headers"])
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["logo_uploaded"] is True and saved.get_json()["brand_name"] == "Blumen Berlin"

    scene = plan_day(client, tenant, clean, run_jobs)
    page = client.get(f"{scene.path()}?lang=en")
    html = page.get_data(as_text=True)
    assert f'src="/t/{scene.tokens["tor"]}/logo"' in html
    assert "img-src 'self' https://tiles.example;" in page.headers["Content-Security-Policy"]
    assert re.search(r'<image href="https://tiles\.example/\d+/\d+/\d+\.png"', html)  # tiles under the map
    logo = client.get(f"{scene.path()}/logo")
    assert logo.status_code == 200 and logo.data == PNG and logo.mimetype == "image/png"
    assert client.get("/t/" + "y" * 43 + "/logo").status_code == 404


def test_the_settings_need_an_admin_key(client, tenant, clean) -> None:
    assert client.get(URL).status_code == 401


def test_every_language_says_every_sentence() -> None:
    for lang in LANGUAGES:
        if lang != "en":
            assert set(CATALOGUES[lang]) == ENGLISH_KEYS, lang
            for key, text in CATALOGUES[lang].items():  # the same placeholders in every translation
                assert set(re.findall(r"{\w+}", key)) == set(re.findall(r"{\w+}", text)), (lang, key)
