"""`hub demo`'s stores step against the test runtime: the stand-in Shopify shop and WooCommerce store are
installed through the API over real HTTP, send signed webhooks, and get their write-backs. The worker
is replaced by running the queued jobs in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.woocommerce.testing import wp_json_encode
from hub.demo.stores import StoreReport, print_store_report, run_store_demo
from hub.runtime import Runtime
from hub.testing import standin as demo_standin
from hub.testing.standin import hmac_b64


def _by_name(reports: list[StoreReport]) -> dict[str, StoreReport]:
    return {r.name: r for r in reports}


def test_both_stores_send_orders_and_get_their_write_backs(hub_url: str, clean: Runtime, tenant: dict[str, Any],
                                                            run_jobs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    reports = _by_name(run_store_demo(clean, hub_url, tenant["key"], wait=run_jobs))
    shop, woo = reports["Shopify"], reports["WooCommerce"]

    assert shop.registered == ["orders/create", "orders/updated", "orders/cancelled", "app/uninstalled"]
    assert woo.registered == ["order.created", "order.updated", "order.deleted", "order.restored"]
    for report in (shop, woo):
        assert (report.sent, report.created, report.updated, report.cancelled) == (22, 20, 1, 1), report
        assert list(report.driven.values()) == ["delivered"] * 3

    # Shopify: a fulfilment per delivery (from its open fulfillment order), then in_transit and delivered events.
    fulfilments = [c for c in shop.writebacks if c.method == "POST" and c.path == "fulfillments.json"]
    assert len(fulfilments) == 3
    assert all(c.body["fulfillment"]["tracking_info"]["company"] == "Kiezkurier Berlin" for c in fulfilments)
    # The customer's tracking page: the hub serves it, so the link answers (tests/customer).
    assert all("/t/" in c.body["fulfillment"]["tracking_info"]["url"] for c in fulfilments)
    events = [c.body["event"]["status"] for c in shop.writebacks if c.path.endswith("/events.json")]
    assert sorted(events) == ["delivered"] * 3 + ["in_transit"] * 3
    assert not [c for c in shop.writebacks if c.summary in ("no such route",) or c.summary.startswith("refused")]

    # WooCommerce: a customer note on dispatch with the tracking link, the order completed on delivery.
    notes = [c.body for c in woo.writebacks if c.method == "POST" and c.path.endswith("/notes")]
    assert len(notes) == 3 and all(n["customer_note"] and "/t/" in n["note"] for n in notes)
    assert [c.body for c in woo.writebacks if c.method == "PUT"] == [{"status": "completed"}] * 3

    print_store_report(list(reports.values()))
    out = capsys.readouterr().out
    assert "20 deliveries created, 1 updated, 1 cancelled" in out and "fulfilment event delivered" in out


def test_without_the_payload_samples_the_built_in_templates_still_make_deliveries(
        hub_url: str, clean: Runtime, tenant: dict[str, Any], run_jobs: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_standin, "PAYLOADS_DIR", tmp_path)  # an empty folder: no samples
    reports = _by_name(run_store_demo(clean, hub_url, tenant["key"], wait=run_jobs, orders=5))
    for name in ("Shopify", "WooCommerce"):
        assert (reports[name].created, reports[name].updated, reports[name].cancelled) == (5, 1, 1)
        assert reports[name].writebacks, name


def test_woocommerce_bodies_are_encoded_and_signed_like_wp_json_encode() -> None:
    body = wp_json_encode({"name": "Café Müller", "url": "https://shop.example/a/b"})
    assert body == b'{"name":"Caf\\u00e9 M\\u00fcller","url":"https:\\/\\/shop.example\\/a\\/b"}'
    assert json.loads(body)["url"] == "https://shop.example/a/b"
    # The stand-ins sign like the platforms; the connectors' own verifiers agree.
    from connectors.shopify.webhooks import sign as shopify_sign
    from connectors.woocommerce.webhooks import sign as woo_sign

    assert hmac_b64("s3cret", body) == shopify_sign("s3cret", body) == woo_sign("s3cret", body)
