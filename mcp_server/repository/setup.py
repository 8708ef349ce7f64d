"""Setting a database up: migrations over a direct connection, the embedded demo database, scale data.

These run outside the pool (migrations take an advisory lock for their transaction; CONCURRENTLY index
builds refuse to run inside one), so they open their own connection, with errors translated like the pool's.
"""

from __future__ import annotations

import asyncpg
import structlog

from mcp_server.repository.demo_loader import load_demo_data
from mcp_server.repository.demo_scale import load_scale_data
from mcp_server.repository.embedded import EmbeddedPostgres
from mcp_server.repository.migrations import MigrationSet, apply_migrations, recommended_index_statements
from mcp_server.repository.pool import translated_errors

_log = structlog.get_logger("abcodex.repository")
EMBEDDED_DATABASE = "abcodex"


async def migrate(dsn: str, sets: tuple[MigrationSet, ...], connect_seconds: float = 5.0) -> list[str]:
    """Apply what is missing of `sets`; returns the names applied now."""
    with translated_errors("migrations"):
        connection = await asyncpg.connect(dsn, timeout=connect_seconds)
        try:
            return await apply_migrations(connection, sets)
        finally:
            await connection.close()


async def build_recommended_indexes(dsn: str) -> list[str]:
    """Build the tools' indexes on production tables, CONCURRENTLY, one at a time; returns what ran."""
    done: list[str] = []
    with translated_errors("recommended indexes"):
        connection = await asyncpg.connect(dsn)
        try:
            for statement in recommended_index_statements():
                await connection.execute(statement)
                done.append(statement.splitlines()[0])
        finally:
            await connection.close()
    return done


async def prepare_embedded_database(embedded: EmbeddedPostgres) -> str:
    """Start the private cluster; create, migrate and fill the demo database on first run. Returns its DSN."""
    created = embedded.ensure_initialized()
    embedded.start()
    with translated_errors("embedded demo database"):
        connection = await asyncpg.connect(await embedded.create_database(EMBEDDED_DATABASE))
        try:
            await apply_migrations(connection, ("production", "abcodex"))
            loaded = await load_demo_data(connection)
        finally:
            await connection.close()
    _log.info("embedded_postgres_ready", created=created, demo_data_loaded=loaded, cluster=str(embedded.cluster_dir))
    return embedded.dsn(EMBEDDED_DATABASE)


async def add_scale_data(dsn: str, scale: float) -> dict[str, int]:
    """Add the `--scale` load-test data once; what was added, by table (empty when already there)."""
    with translated_errors("scale data"):
        connection = await asyncpg.connect(dsn)
        try:
            added = await load_scale_data(connection, scale)
        finally:
            await connection.close()
    return added
