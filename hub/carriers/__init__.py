"""Carriers: where a delivery goes when the hub hands it to a 3PL or crowdsourced network.

Carrier jobs out (schemas/carrier_job.v1.json, through the carrier's connector), carrier reports in
(status and proof of delivery).
"""
