"""The connector against a stand-in Magento over real HTTP: polling, auth, errors and write-back."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from hub.plugins import retry_after_s
from hub.testing import classify_exception
from hub.plugins import load_settings

from connectors.magento import CONNECTOR
from connectors.magento.client import MagentoClient
from connectors.magento.connector import Magento
from connectors.magento.testing import Failure, StandInMagento, sample_order

TOKEN = "magento-access-token-0123456789"


def connector(magento: StandInMagento, **extra: Any) -> Any:
    settings = {"base_url": magento.base_url, "access_token": TOKEN, "initial_lookback_days": 0, **extra}
    return CONNECTOR.create(load_settings(CONNECTOR, settings))


def drain(conn: Any, limit: int) -> list[tuple[list[int], bool]]:
    pages, bookmark = [], None
    for _ in range(10):
        batch = conn.pull(bookmark, limit=limit)
        pages.append(([int(o["entity_id"]) for o in batch.items], batch.has_more))
        bookmark = batch.next_bookmark
        if not batch.has_more:
            break
    return pages


def test_pages_through_three_pages_oldest_change_first(magento: StandInMagento) -> None:
    magento.put(*(sample_order(10 + n, f"2024-05-0{n} 08:00:00") for n in range(7, 0, -1)))
    assert drain(connector(magento), limit=3) == [([11, 12, 13], True), ([14, 15, 16], True), ([17], False)]
    assert {s["searchCriteria[currentPage]"] for s in magento.searches} == {"1"}  # keyset paging, no offsets
    assert magento.searches[-1]["searchCriteria[filter_groups][0][filters][0][value]"] == "2024-05-06 08:00:00"


@pytest.mark.parametrize("or_groups", [True, False], ids=["magento", "store-ignoring-or-groups"])
def test_many_orders_saved_in_the_same_second_are_each_handed_over_once(
        magento: StandInMagento, or_groups: bool) -> None:
    magento.honour_or_groups = or_groups
    magento.put(*(sample_order(n, "2024-05-01 12:00:00") for n in (5, 3, 9, 7, 1)))
    magento.put(sample_order(2, "2024-05-01 12:00:01"))
    pages = drain(connector(magento), limit=2)
    handed_over = [i for ids, _ in pages for i in ids]
    assert handed_over == [1, 3, 5, 7, 9, 2]
    assert pages[-1][1] is False


def test_a_later_change_is_pulled_again_and_nothing_new_means_an_empty_batch(magento: StandInMagento) -> None:
    magento.put(sample_order(3, "2024-05-01 12:00:00"))
    conn = connector(magento)
    first = conn.pull(None, limit=50)
    assert ([o["entity_id"] for o in first.items], first.next_bookmark) == ([3], "2024-05-01 12:00:00|3")
    again = conn.pull(first.next_bookmark, limit=50)
    assert (again.items, again.next_bookmark, again.has_more) == ([], first.next_bookmark, False)
    magento.put(sample_order(3, "2024-05-01 12:05:00", state="canceled", status="canceled"))
    changed = conn.pull(first.next_bookmark, limit=50)
    assert [(o["entity_id"], o["state"]) for o in changed.items] == [(3, "canceled")]


def test_first_poll_starts_the_lookback_window_ago(magento: StandInMagento) -> None:
    connector(magento, initial_lookback_days=7).pull(None, limit=10)
    since = magento.searches[0]["searchCriteria[filter_groups][0][filters][0][value]"]
    assert since != "1970-01-01 00:00:00" and len(since) == 19


def test_oauth1_signed_requests_are_accepted_and_a_wrong_secret_is_not(magento: StandInMagento) -> None:
    magento.oauth = {"consumer_key": "ck-0123456789", "consumer_secret": "cs-0123456789",
                     "token": TOKEN, "token_secret": "ts-0123456789"}
    magento.put(sample_order(3, "2024-05-01 12:00:00"))
    oauth = {"auth": "oauth1", "consumer_key": "ck-0123456789", "consumer_secret": "cs-0123456789",
             "access_token_secret": "ts-0123456789"}
    assert [o["entity_id"] for o in connector(magento, **oauth).pull(None, limit=10).items] == [3]
    with pytest.raises(requests.HTTPError) as caught:
        connector(magento, **{**oauth, "consumer_secret": "cs-wrong-0123"}).pull(None, limit=10)
    assert caught.value.response.status_code == 401
    with pytest.raises(requests.HTTPError):
        connector(magento).pull(None, limit=10)  # a Bearer token where the store wants signatures


def test_401_is_a_configuration_error_naming_the_status_not_the_body(magento: StandInMagento) -> None:
    """The body stays out: base_url can point at any server, whose error page must not reach the hub's records."""
    with pytest.raises(requests.HTTPError) as caught:
        connector(magento, access_token="wrong-token-0123456789").pull(None, limit=10)
    assert classify_exception(caught.value) == "configuration"
    assert "HTTP 401" in str(caught.value) and "Magento_Sales::actions_view" not in str(caught.value)


def test_429_carries_retry_after_and_500_is_transient(magento: StandInMagento) -> None:
    magento.failures = [Failure(429, {"Retry-After": "30"}, {"message": "Too many requests"}), Failure(500)]
    conn = connector(magento)
    with pytest.raises(requests.HTTPError) as caught:
        conn.pull(None, limit=10)
    assert classify_exception(caught.value) == "transient"
    assert retry_after_s(caught.value.response.headers) == 30
    with pytest.raises(requests.HTTPError) as caught:
        conn.pull(None, limit=10)
    assert classify_exception(caught.value) == "transient" and caught.value.response.status_code == 500


def test_a_store_that_does_not_answer_times_out(magento: StandInMagento) -> None:
    magento.failures = [Failure(200, delay_s=1.0)]
    settings = load_settings(CONNECTOR, {"base_url": magento.base_url, "access_token": TOKEN})
    slow = Magento(settings, client=MagentoClient({**settings, "request_timeout_s": 0.2}))
    with pytest.raises(requests.Timeout) as caught:
        slow.pull(None, limit=10)
    assert classify_exception(caught.value) == "transient"


# -- write-back ----------------------------------------------------------------------------------

def delivery(entity_id: int = 3) -> dict[str, Any]:
    return {"id": "dlv_01J0000000000000000000000A", "source": {"connector": "magento", "external_id": str(entity_id)}}


def event(status: str, *, external_ref: str | None = None, actor: dict[str, Any] | None = None, **data: Any) -> dict[str, Any]:
    return {"type": "delivery.status_changed", "data": {"status": status, **data},
            "actor": actor or {"kind": "system", "id": "test"},
            "writeback": {"external_ref": external_ref, "refs": [external_ref] if external_ref else []},
            "tracking_url": "http://hub.test/track/dlv_01J0000000000000000000000A"}


def test_dispatched_ships_once_with_the_open_items_and_a_track(magento: StandInMagento) -> None:
    magento.put(sample_order(3, "2024-05-01 12:00:00"))
    conn = connector(magento, carrier_title="Acme Couriers")
    first = conn.push_status(delivery(), event("dispatched", tracking_number="TRK-1"))
    assert (first.ok, first.external_ref) == (True, "1001")
    (order_id, body), = magento.ships
    assert order_id == "3"
    assert body["items"] == [{"order_item_id": 3, "qty": 1}, {"order_item_id": 5, "qty": 1}, {"order_item_id": 11, "qty": 1}]
    assert body["tracks"] == [{"track_number": "TRK-1", "title": "Acme Couriers", "carrier_code": "custom"}]
    assert body["notify"] is True and "http://hub.test/track/" in body["comment"]["comment"]
    again = conn.push_status(delivery(), event("dispatched", external_ref="1001"))
    assert (again.ok, again.external_ref, len(magento.ships)) == (True, "1001", 1)


def test_nothing_left_to_ship_and_a_cancelled_order_are_not_shipped(magento: StandInMagento) -> None:
    shipped = sample_order(3, "2024-05-01 12:00:00")
    for item in shipped["items"]:
        item["qty_shipped"] = item["qty_ordered"]
    magento.put(shipped, sample_order(4, "2024-05-01 12:00:00", state="canceled"))
    conn = connector(magento)
    assert conn.push_status(delivery(3), event("dispatched")).ok
    assert conn.push_status(delivery(4), event("dispatched")).ok
    assert magento.ships == []


def test_failed_attempt_returned_and_cancelled_become_internal_comments(magento: StandInMagento) -> None:
    conn = connector(magento)
    for status in ("failed_attempt", "returned", "cancelled"):
        result = conn.push_status(delivery(), event(status, external_ref="1001", reason="nobody home"))
        assert (result.ok, result.external_ref) == (True, "1001")  # the shipment id travels on
    assert [c[0] for c in magento.comments] == ["3", "3", "3"]
    assert all(c[1]["statusHistory"]["is_customer_notified"] == 0 for c in magento.comments)
    store_cancel = event("cancelled", actor={"kind": "connector", "id": "ins_1", "connector": "magento"})
    assert conn.push_status(delivery(), store_cancel).ok and len(magento.comments) == 3  # the store knows
    assert conn.push_status(delivery(), event("in_transit")).ok and len(magento.comments) == 3


def test_a_note_for_the_staff_is_an_internal_comment(magento: StandInMagento) -> None:
    result = connector(magento).push_note(delivery(), "The recipient chose a new delivery window.")
    assert result.ok and result.external_ref is None  # a note creates nothing later write-backs refer to
    ((order_id, body),) = magento.comments
    assert order_id == "3" and body["statusHistory"]["comment"] == "The recipient chose a new delivery window."
    assert body["statusHistory"]["is_customer_notified"] == 0 and body["statusHistory"]["is_visible_on_front"] == 0


def test_write_back_errors_surface_for_the_hub_to_retry(magento: StandInMagento) -> None:
    magento.put(sample_order(3, "2024-05-01 12:00:00"))
    magento.failures = [Failure(429, {"Retry-After": "12"})]
    with pytest.raises(requests.HTTPError) as caught:
        connector(magento).push_status(delivery(), event("dispatched"))
    assert retry_after_s(caught.value.response.headers) == 12 and magento.ships == []
