"""The one Postgres adapter: an asyncpg pool, a ping for readiness, and JSON documents out of queries.

Queries return a single `jsonb` document per call (one round trip); it is decoded with Decimal for numbers
so money stays exact.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import asyncpg

from mcp_server.errors import DatabaseUnavailable


def decode_document(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


async def _init_connection(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec("jsonb", encoder=json.dumps, decoder=decode_document, schema="pg_catalog")
    await connection.set_type_codec("json", encoder=json.dumps, decoder=decode_document, schema="pg_catalog")


@dataclass
class PoolStats:
    size: int
    idle: int
    max_size: int


class Database:
    """Wraps the pool; everything else asks it for documents, rows or a transaction."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def connect(cls, dsn: str, min_size: int, max_size: int, statement_timeout: float) -> Database:
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=min_size,
                max_size=max_size,
                init=_init_connection,
                server_settings={
                    "statement_timeout": str(int(statement_timeout * 1000)),
                    "application_name": "abcodex-gateway",
                },
                # Supabase's transaction pooler (pgbouncer) cannot keep prepared statements.
                statement_cache_size=0 if ":6543" in dsn else 100,
            )
        except (OSError, asyncpg.PostgresError) as exc:
            raise DatabaseUnavailable(f"cannot connect to Postgres: {exc.__class__.__name__}") from exc
        return cls(pool)

    async def document(self, sql: str, *args: Any) -> Any:
        """The single jsonb value a query returns (None when it returns no row)."""
        return await self._pool.fetchval(sql, *args)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await self._pool.fetch(sql, *args)

    async def execute(self, sql: str, *args: Any) -> str:
        return await self._pool.execute(sql, *args)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._pool.acquire() as connection, connection.transaction():
            yield cast(asyncpg.Connection, connection)

    async def ping(self) -> None:
        await self._pool.fetchval("SELECT 1")

    def stats(self) -> PoolStats:
        return PoolStats(self._pool.get_size(), self._pool.get_idle_size(), self._pool.get_max_size())

    async def close(self) -> None:
        await self._pool.close()
