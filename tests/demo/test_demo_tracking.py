"""`hub demo`'s tracking step against the test runtime: the link it prints opens the live page over HTTP."""

from __future__ import annotations

from typing import Any

import requests

from hub.demo.tracking import tracking_lines
from tests.customer.scene import plan_day, start_route


def test_the_printed_link_opens_the_page_of_a_delivery_under_way(hub_url: str, client: Any, tenant: dict[str, Any],
                                                                 clean: Any, run_jobs: Any) -> None:
    scene = plan_day(client, tenant, clean, run_jobs)
    start_route(client, scene, run_jobs)
    route = [scene.ids[name] for name in ("alex", "hackescher", "tor")]
    url, note = tracking_lines(clean, hub_url, tenant["id"], route)
    assert url == f"{hub_url}/t/{scene.tokens['alex']}"
    assert "answers 200" in note and '"On the way"' in note
    assert requests.get(url, timeout=10).status_code == 200
