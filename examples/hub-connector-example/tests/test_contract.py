"""Acme Orders against the hub's connector contract: the same tests every connector passes.

Everything the kit needs besides the connector is in ``fixtures/``: ``settings.json`` (valid and invalid
settings), ``golden/`` (recorded orders and their canonical mapping) and ``requests/`` (webhooks as Acme
sends them, signed with the test secret of settings.json)."""

from __future__ import annotations

from pathlib import Path

from hub.testing import ConnectorContract


class TestAcmeOrdersContract(ConnectorContract):
    connector = "acme_orders"
    payloads = Path(__file__).parent / "fixtures"
