"""Polling Magento's order search: the query and the bookmark. Pure (the client does the I/O).

Magento Open Source sends no webhooks, so the hub asks ``GET /V1/orders`` for orders changed since a
bookmark. The bookmark is ``"<updated_at>|<entity_id>"`` of the last order handed over, and the search
is keyset-paged on (updated_at, entity_id)::

    updated_at >= T   AND   (updated_at > T  OR  entity_id > ID)      sorted by updated_at, entity_id

Two filter groups: groups are ANDed, filters inside a group ORed. Any number of orders saved in the
same second page through correctly, and an order saved while we page cannot shift the window the way
offset paging (currentPage 2, 3…) would. As a second guard, orders at or before the bookmark are
dropped here and, should a page hold only such orders, the next page of the same search is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

#: Magento's own timestamp format (UTC, no zone designator).
MAGENTO_TIME = "%Y-%m-%d %H:%M:%S"
BEGINNING = "1970-01-01 00:00:00"


@dataclass(frozen=True, order=True)
class Bookmark:
    updated_at: str  # "YYYY-MM-DD HH:MM:SS": sorts like the time it names
    entity_id: int

    def __str__(self) -> str:
        return f"{self.updated_at}|{self.entity_id}"


def parse_bookmark(text: str | None) -> Bookmark | None:
    if not text:
        return None
    stamp, _, entity = text.rpartition("|")
    try:
        datetime.strptime(stamp, MAGENTO_TIME)
        return Bookmark(stamp, int(entity))
    except ValueError:
        raise ValueError(f"not a Magento bookmark: {text!r} (expected 'YYYY-MM-DD HH:MM:SS|entity_id')") from None


def start_bookmark(now: datetime, lookback_days: int) -> Bookmark:
    """Where a new installation starts: ``lookback_days`` before ``now`` (0: the beginning)."""
    if lookback_days <= 0:
        return Bookmark(BEGINNING, 0)
    return Bookmark((now - timedelta(days=lookback_days)).strftime(MAGENTO_TIME), 0)


def order_key(order: Mapping[str, Any]) -> Bookmark | None:
    """The (updated_at, entity_id) position of an order, or None when it lacks either."""
    try:
        stamp = str(order["updated_at"])[:19]
        datetime.strptime(stamp, MAGENTO_TIME)
        return Bookmark(stamp, int(order["entity_id"]))
    except (KeyError, TypeError, ValueError):
        return None


def search_query(after: Bookmark, *, page_size: int, page: int = 1) -> list[tuple[str, str]]:
    """``searchCriteria`` query pairs for the orders after ``after``, oldest change first."""
    def flt(group: int, index: int, field: str, value: Any, condition: str) -> list[tuple[str, str]]:
        prefix = f"searchCriteria[filter_groups][{group}][filters][{index}]"
        return [(f"{prefix}[field]", field), (f"{prefix}[value]", str(value)), (f"{prefix}[condition_type]", condition)]

    return [
        *flt(0, 0, "updated_at", after.updated_at, "gteq"),
        *flt(1, 0, "updated_at", after.updated_at, "gt"),
        *flt(1, 1, "entity_id", after.entity_id, "gt"),
        ("searchCriteria[sortOrders][0][field]", "updated_at"),
        ("searchCriteria[sortOrders][0][direction]", "ASC"),
        ("searchCriteria[sortOrders][1][field]", "entity_id"),
        ("searchCriteria[sortOrders][1][direction]", "ASC"),
        ("searchCriteria[pageSize]", str(page_size)),
        ("searchCriteria[currentPage]", str(page)),
    ]


@dataclass(frozen=True)
class Page:
    fresh: list[Mapping[str, Any]]  # orders after the bookmark, in order
    more: bool  # the search has matches beyond this page
    next_bookmark: Bookmark | None  # the last fresh order's position


def read_page(result: Mapping[str, Any], after: Bookmark, *, page_size: int, page: int) -> Page:
    """Split one search result into the orders not seen yet and whether more are waiting."""
    items = [o for o in result.get("items") or [] if isinstance(o, Mapping)]
    keyed = [(order_key(o), o) for o in items]
    fresh = sorted(((k, o) for k, o in keyed if k is not None and k > after), key=lambda pair: pair[0])
    total = result.get("total_count")
    more = int(total) > page * page_size if isinstance(total, int) else len(items) >= page_size
    return Page(fresh=[o for _, o in fresh], more=more, next_bookmark=fresh[-1][0] if fresh else None)
