"""Outbound webhooks for subscribers, following Standard Webhooks: subscriptions, fan-out, signed
delivery with retries, per-delivery ordering, a delivery log with attempts, and replay."""
