"""Postgres, the gateway's one port to it: every SQL statement and the only importer of `asyncpg`.

`pool.Database` runs queries and turns driver errors into the gateway's own (`DatabaseUnavailable`, ...);
the query modules (`events`, `live`, `payouts`, `ledger`, `audit_log`) return frozen typed rows (`rows`);
`migrations`, `embedded` and the `demo_*` modules set up the embedded default and the tests' databases.
"""
