"""Shopify's checkout asks the hub for delivery-window rates: its carrier-calculated shipping callback
(CarrierService, callback URL `{hub}/hooks/<installation_id>/shopify-rates`) posts the cart's destination and
items, and the hub answers one rate per open window of the next days, from the same slot engine.

The installation is found by the id in the URL and the request verified by its connector exactly as its
webhooks are (X-Shopify-Hmac-Sha256 with the app's client secret, hub/api/hooks.py). The chosen rate's code,
`hub-slot:<start>/<end>`, comes back on the order's shipping line and becomes its promised window
(connectors/shopify/mapping.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from marshmallow import INCLUDE, Schema, fields, validate

from hub.api.declare import AsSent, Blueprint
from hub.api.errors import ApiError, not_found
from hub.api.hooks import inbound_request
from hub.db.models import Installation, utcnow
from hub.ledger.installations import connector_for
from hub.plugins.capabilities import require, supports
from hub.runtime import get_runtime
from hub.slots.engine import Drop, covering_depots, slots_for
from hub.slots.settings import load_settings

blp = Blueprint("shopify_rates", __name__, url_prefix="/hooks",
                description="Shopify checkout: delivery-window rates (carrier-calculated shipping)")
# Shopify waits a few seconds for a rate callback; three days of windows answer well inside that and cover
# same-day, next-day and the day after, which is what a checkout shows.
CHECKOUT_DAYS = 3


class ShopifyDestination(Schema):
    class Meta:
        unknown = INCLUDE  # Shopify sends the whole address; these are what a window depends on

    postal_code = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)


class ShopifyItem(Schema):
    class Meta:
        unknown = INCLUDE

    grams = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    quantity = fields.Integer(allow_none=True, validate=validate.Range(min=1))
    requires_shipping = fields.Boolean(allow_none=True)


class ShopifyRateRequest(Schema):
    class Meta:
        unknown = INCLUDE

    destination = fields.Nested(ShopifyDestination, allow_none=True)
    items = fields.List(fields.Nested(ShopifyItem), allow_none=True)


class ShopifyRateBody(AsSent, Schema):
    """What Shopify posts (its CarrierService callback); verified against the raw body, read as sent."""

    class Meta:
        unknown = INCLUDE

    rate = fields.Nested(ShopifyRateRequest, required=True)


class RateSchema(Schema):
    service_name = fields.String(required=True)
    service_code = fields.String(required=True)
    total_price = fields.String(required=True, metadata={"description": "in the currency's subunit (cents)"})
    currency = fields.String(required=True)
    min_delivery_date = fields.String(required=True)
    max_delivery_date = fields.String(required=True)
    description = fields.String()


class RatesSchema(Schema):
    rates = fields.List(fields.Nested(RateSchema), required=True)


def _shopify_time(moment: datetime) -> str:
    """Shopify's rate dates: "2013-04-12 14:48:45 -0400"."""
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


def drop_from_rate(rate: dict[str, Any]) -> Drop:
    destination = rate.get("destination") or {}
    items = [i for i in rate.get("items") or [] if isinstance(i, dict) and i.get("requires_shipping", True)]
    lat, lng = destination.get("latitude"), destination.get("longitude")
    point = (float(lat), float(lng)) if isinstance(lat, (int, float)) and isinstance(lng, (int, float)) else None
    return Drop(postal_code=str(destination.get("postal_code") or ""), country=str(destination.get("country") or ""),
                point=point, weight_g=sum(int(i.get("grams") or 0) * int(i.get("quantity") or 1) for i in items),
                parcels=max(1, sum(int(i.get("quantity") or 1) for i in items)))


@blp.route("/<installation_id>/shopify-rates", methods=["POST"])
@blp.doc(summary="Shopify carrier-calculated rates: one per open delivery window",
         description='Shopify posts {"rate": {"origin", "destination", "items", "currency", ...}} signed with the '
         'app\'s client secret; the answer is {"rates": [...]}, empty when the address is not served. 401 when '
         "the signature does not verify.", security=[])
@blp.arguments(ShopifyRateBody)
@blp.response(200, RatesSchema)
def shopify_rates(body: dict[str, Any], installation_id: str) -> dict[str, Any]:
    runtime = get_runtime()
    with runtime.sessions() as session:
        installation = session.get(Installation, installation_id)
        if installation is None or installation.connector != "shopify":
            raise not_found("Shopify installation", installation_id)
        connector = connector_for(runtime.registry, installation)
    inbound = inbound_request()
    if not supports(connector, "receive_webhook") or not require(connector, "receive_webhook").verify(inbound).ok:
        raise ApiError(401, "signature_invalid", "the rate request did not verify with this installation's secret")
    drop = drop_from_rate(body["rate"])
    now = utcnow()
    with runtime.sessions() as session:
        settings = load_settings(session, installation.tenant_id)
        depots = covering_depots(session, installation.tenant_id, drop)
        if not depots:
            return {"rates": []}
        first_day = (now + timedelta(minutes=depots[0].utc_offset_min or 0)).date()
        rates = []
        price = str(int(Decimal(settings.price) * 100))
        for ahead in range(CHECKOUT_DAYS):
            answer = slots_for(session, installation.tenant_id, first_day + timedelta(days=ahead), drop, now)
            for w in answer.windows:
                if not w.open:
                    continue
                rates.append({
                    "service_name": f"Delivery {w.start:%a %d %b}, {w.start:%H:%M}–{w.end:%H:%M}",
                    "service_code": f"hub-slot:{w.start.isoformat()}/{w.end.isoformat()}",
                    "total_price": price, "currency": settings.currency,
                    "min_delivery_date": _shopify_time(w.start), "max_delivery_date": _shopify_time(w.end),
                    "description": "Delivered by our own drivers inside this window",
                })
    return {"rates": rates}
