"""The warehouse connector against the hub's connector contract: the same tests every connector passes."""

from __future__ import annotations

from hub.testing import ConnectorContract

from connectors.wms import CONNECTOR
from connectors.wms.tests.signing import PICK_BY_SECRET, SECRET, fixture_bytes, signed_request

# Inbound verification only depends on webhook_secret; the kit's "another secret must be refused" test
# changes every secret it finds in these settings, so the signed requests carry only the inbound one.
INBOUND = {"webhook_secret": SECRET, "location_id": "wh-berlin-1"}
FULL = {**INBOUND, "pick_by_url": "https://wms.example.com/hub/pick-by", "pick_by_secret": PICK_BY_SECRET}


class TestWarehouseContract(ConnectorContract):
    spec = CONNECTOR
    valid_settings = FULL
    invalid_settings = [
        ({"location_id": "wh-1"}, "webhook_secret"),
        ({"webhook_secret": "s3cret-but-not-standard-webhooks"}, "webhook_secret"),
        ({"webhook_secret": "whsec_c2hvcnQ="}, "webhook_secret"),  # 5 bytes
        ({"webhook_secret": "whsec_not base64!!"}, "webhook_secret"),
        ({**INBOUND, "pick_by_url": "https://wms.example.com/pick-by"}, "pick_by_secret"),
        ({**INBOUND, "pick_by_url": "ftp://wms.example.com/"}, "pick_by_url"),
        ({**INBOUND, "pickby_url": "https://typo.example.com"}, "pickby_url"),
    ]
    signature_header = "webhook-signature"
    signed_requests = [
        (signed_request(fixture_bytes("picking_started"), msg_id="wh-evt-000101"), INBOUND),
        (signed_request(fixture_bytes("packed"), msg_id="wh-evt-000102"), INBOUND),
        (signed_request(fixture_bytes("ready_for_dispatch"), msg_id="wh-evt-000103"), INBOUND),
    ]
