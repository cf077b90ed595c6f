"""Operator accounts: people who sign in to the console, with a hashed password and a role per tenant
(admin, dispatcher, viewer). Machines keep using API keys (hub.ledger.keys)."""
