"""The warehouse connector against the hub's connector contract: the same tests every connector passes."""

from __future__ import annotations

from pathlib import Path

from hub.testing import ConnectorContract


class TestWarehouseContract(ConnectorContract):
    connector = "wms"
    payloads = Path(__file__).parent / "fixtures"
