"""The outbox: every piece of work is a row in the database, written in the transaction that causes it.

Rows (rows.py) are claimed and run by workers (relay.py, paced by pacing.py; what a running row's handler may ask
of it is in running.py), each kind to its handler, lane and retry policy (kinds.py, policies.py). Redis only
carries bells that wake workers (bells.py); the sweeper rings again for due work nobody runs (sweeper.py). Dead
work and the ledger's current state are read here too.
"""
