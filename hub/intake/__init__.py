"""Intake: where a webhook becomes a delivery.

Inbound requests are stored raw in the inbox (verified, once per sender id); the ingest job runs the
installation's connector over them and the handlers here turn each inbound event into deliveries and events:
orders created, updated and cancelled, warehouse events, carrier reports; every delivery passes the
data-quality checks on the way in.
"""
