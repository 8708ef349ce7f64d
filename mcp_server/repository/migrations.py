"""Ordered SQL migrations, recorded in `abcodex_schema_migrations`.

Two sets: `abcodex` (the gateway's own tables, applied everywhere) and `production` (the shape of the
production tables plus indexes, applied only to the embedded/demo database and in tests).
"""

from __future__ import annotations

from importlib import resources
from typing import Literal

import asyncpg

MigrationSet = Literal["production", "abcodex"]

_LEDGER = """
CREATE TABLE IF NOT EXISTS abcodex_schema_migrations (
    name text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
# Serialises concurrent replicas migrating at start-up.
_MIGRATION_LOCK_KEY = 0x0ABC0DE5


def migration_files(migration_set: MigrationSet) -> list[tuple[str, str]]:
    """(name, sql) pairs of one set, in file-name order."""
    folder = resources.files("mcp_server.repository").joinpath("sql", migration_set)
    files = sorted((entry for entry in folder.iterdir() if entry.name.endswith(".sql")), key=lambda e: e.name)
    return [(f"{migration_set}/{entry.name}", entry.read_text(encoding="utf-8")) for entry in files]


async def apply_migrations(connection: asyncpg.Connection, sets: tuple[MigrationSet, ...]) -> list[str]:
    """Apply what has not been applied yet; returns the names applied now."""
    applied_now: list[str] = []
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK_KEY)
        await connection.execute(_LEDGER)
        done = {row["name"] for row in await connection.fetch("SELECT name FROM abcodex_schema_migrations")}
        for migration_set in sets:
            for name, sql in migration_files(migration_set):
                if name in done:
                    continue
                await connection.execute(sql)
                await connection.execute("INSERT INTO abcodex_schema_migrations (name) VALUES ($1)", name)
                applied_now.append(name)
    return applied_now


def recommended_index_statements() -> list[str]:
    """Every index statement of the production set (each file's index part, in file order), rewritten to build
    CONCURRENTLY on a live database; the production tables themselves are never created there."""
    statements: list[str] = []
    for _, sql in migration_files("production"):
        # Comment lines first: a statement's leading comment would otherwise hide its CREATE INDEX.
        code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
        statements += [s.strip() for s in code.split(";") if s.strip().startswith("CREATE INDEX IF NOT EXISTS")]
    return [s.replace("CREATE INDEX IF NOT EXISTS", "CREATE INDEX CONCURRENTLY IF NOT EXISTS") for s in statements]
