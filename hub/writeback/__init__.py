"""Write-back: what leaves the hub for the systems the order came from.

Status, fulfilment and tracking go back to the store (stores.py); pick-by times go to the warehouse
(pick_by.py). Both ride the outbox, so a system that is down gets its update later, in order.
"""
