"""Delivery hub: the control tower between stores, warehouses, fleets and carriers."""

__version__ = "0.1.0"
