"""The connector object the hub talks to: settings in, five capabilities out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.woocommerce import mapping, webhooks, writeback
from connectors.woocommerce.client import WooClient
from hub.plugins import (
    InboundEvent,
    InboundRequest,
    MappedDelivery,
    MappingContext,
    RegisteredHook,
    Verification,
    WriteBackResult,
)


class WooCommerce:
    """``receive_webhook``, ``map_delivery``, ``register_webhooks``, ``unregister_webhooks``, ``push_fulfillment``."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.url: str = str(settings["url"]).rstrip("/")
        self._client = WooClient(self.url, settings["consumer_key"], settings["consumer_secret"],
                                 timeout_s=float(settings.get("timeout_s") or 15.0))
        # The owner's webhook secret, else one derived from the consumer secret (see the package docstring).
        self._webhook_secret: str = settings.get("webhook_secret") or webhooks.derive_webhook_secret(
            settings["consumer_secret"], self.url)

    def __repr__(self) -> str:  # never show a secret
        return f"WooCommerce(url={self.url!r})"

    # receive_webhook
    def verify(self, request: InboundRequest) -> Verification:
        return webhooks.verify(request, self._webhook_secret)

    def parse(self, request: InboundRequest) -> list[InboundEvent]:
        return webhooks.parse(request)

    # map_delivery
    def to_delivery(self, raw: Mapping[str, Any], ctx: MappingContext) -> MappedDelivery:
        return mapping.to_delivery(raw, ctx)

    # register_webhooks
    def register_webhooks(self, target_url: str) -> list[RegisteredHook]:
        """Subscribe the order topics to ``target_url``. Idempotent: a webhook the store already has for
        the same topic and URL is updated (secret, status active: it may have been disabled after
        failures), not duplicated."""
        existing = {(w.get("topic"), w.get("delivery_url")): w for w in reversed(self._client.list_webhooks())}
        registered = []
        for topic in webhooks.TOPICS:
            body = {"name": f"Delivery hub: {topic}", "topic": topic, "delivery_url": target_url,
                    "secret": self._webhook_secret, "status": "active"}
            found = existing.get((topic, target_url))
            hook = (self._client.update_webhook(found["id"], body) if found and found.get("id") is not None
                    else self._client.create_webhook(body))
            hook_id = hook.get("id") if isinstance(hook, Mapping) else None
            registered.append(RegisteredHook(topic=topic, address=target_url,
                                             external_id=str(hook_id) if hook_id is not None else None))
        return registered

    # unregister_webhooks
    def unregister_webhooks(self, registered: list[RegisteredHook]) -> None:
        """Delete the webhooks ``register_webhooks`` made (by the ids it returned at install time)."""
        for hook in registered:
            if hook.external_id is not None:
                self._client.delete_webhook(hook.external_id)

    # push_fulfillment
    def push_status(self, delivery: Mapping[str, Any], event: Mapping[str, Any]) -> WriteBackResult:
        step = writeback.plan(delivery, event)
        if isinstance(step, str):
            return WriteBackResult(ok=True, detail=step)
        if step.action == "complete":
            order = self._client.update_order(step.order_id, {"status": "completed"})
            return WriteBackResult(ok=True, detail=f"order {step.order_id} set to {order.get('status', 'completed')}")
        public = step.action == "customer_note"
        note = self._client.add_order_note(step.order_id, step.note, customer_note=public)
        kind = "customer note" if public else "private note"
        note_id = note.get("id") if isinstance(note, Mapping) else None
        return WriteBackResult(ok=True, detail=f"{kind} {note_id} added to order {step.order_id}")

    # push_note
    def push_note(self, delivery: Mapping[str, Any], note: str) -> WriteBackResult:
        """A private order note (shop staff only; WooCommerce emails nobody)."""
        order_id = str((delivery.get("source") or {}).get("external_id") or "").strip()
        if not order_id:
            return WriteBackResult(ok=False, detail="the delivery has no WooCommerce order id")
        added = self._client.add_order_note(order_id, note, customer_note=False)
        note_id = added.get("id") if isinstance(added, Mapping) else None
        return WriteBackResult(ok=True, detail=f"private note {note_id} added to order {order_id}")

