"""Analytics from the event ledger: daily facts (a read model fed by outbox jobs, rebuildable from the ledger)
and the figures on top (on-time, first-attempt success, cost, satisfaction, scorecards), as JSON, CSV and reports."""
