"""Warehouse (WMS): a warehouse system reports picking started, packed (final parcels) and ready for
dispatch through signed webhooks; the hub tells it when a delivery must be picked by.

Documented for warehouse developers in docs/connectors/wms.md; the body format is
connectors/wms/schema/warehouse_event.v1.json.
"""

from __future__ import annotations

from connectors.wms.connector import build
from connectors.wms.settings import WmsSettings
from hub.plugins import PUSH_PICK_BY, RECEIVE_WEBHOOK, ConnectorSpec, WebhookAuth

__version__ = "1.0.0"

CONNECTOR = ConnectorSpec(
    id="wms",
    label="Warehouse (WMS webhooks)",
    kind="warehouse",
    version=__version__,
    settings_schema=WmsSettings,
    capabilities=frozenset({RECEIVE_WEBHOOK, PUSH_PICK_BY}),
    factory=build,
    # Only webhook_secret signs what comes in; pick_by_secret signs what goes out.
    webhook_auth=WebhookAuth(header="webhook-signature", secrets=("webhook_secret",)),
    description="A warehouse reports picking started, packed (parcels with weights and dimensions) and ready "
    "for dispatch as Standard Webhooks; the hub sends it signed pick_by messages.",
    docs_url="https://github.com/delivery-hub/delivery-hub/blob/main/docs/connectors/wms.md",
)

__all__ = ["CONNECTOR"]
