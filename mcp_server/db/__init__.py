"""Postgres: the embedded default, migrations, demo data and the connection pool."""
