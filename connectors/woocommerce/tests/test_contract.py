"""WooCommerce against the hub's connector contract: the same tests every connector passes.

Its payloads: valid settings carry the owner's own webhook secret, so the kit also checks that it is never
shown; the recorded requests are signed with the secret derived from the consumer secret (their
``.settings.json`` has no webhook secret), so changing the consumer secret must break them too."""

from __future__ import annotations

from pathlib import Path

from hub.testing import ConnectorContract


class TestWooCommerceContract(ConnectorContract):
    connector = "woocommerce"
    payloads = Path(__file__).parent / "fixtures"
