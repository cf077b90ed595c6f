"""The ledger: deliveries, their append-only hash-chained events, tenants and installations.

The one source of truth every other room reads and writes through. Writing an event here also writes, in
the same transaction, the outbox rows of the work it causes and its subscribers' webhook rows, so nothing
that follows a change can be lost between the change and the work.
"""
