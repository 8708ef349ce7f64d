"""The Postgres adapter: an asyncpg pool, named queries, a ping, and driver errors turned into ours.

Every statement is a `Query` with a name (its module and question); a `QueryObserver` seam sees each one run
(the bench counts them). Read queries return one `jsonb` document per call (one round trip), decoded with
Decimal for numbers so money stays exact; the query modules validate it into `rows`. No asyncpg error leaves
this package: a lost or refused connection is `DatabaseUnavailable`, a duplicate key `DatabaseConflict`,
anything else `QueryFailed`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import asyncpg

from mcp_server.errors import DatabaseConflict, DatabaseUnavailable, QueryFailed

QueryObserver = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Query:
    name: str
    sql: str


def decode_document(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


async def _init_connection(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec("jsonb", encoder=json.dumps, decoder=decode_document, schema="pg_catalog")
    await connection.set_type_codec("json", encoder=json.dumps, decoder=decode_document, schema="pg_catalog")


@contextmanager
def translated_errors(what: str) -> Iterator[None]:
    """The driver's errors as the gateway's, by type (never by message)."""
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        raise DatabaseConflict(f"{what}: a row with that key exists") from exc
    except (
        OSError,
        TimeoutError,
        asyncpg.PostgresConnectionError,
        asyncpg.InterfaceError,  # a closed pool or connection, "another operation is in progress"
        asyncpg.InternalClientError,  # the protocol state when the server went away mid-query
        asyncpg.CannotConnectNowError,
        asyncpg.QueryCanceledError,  # statement_timeout
        asyncpg.AdminShutdownError,
        asyncpg.TooManyConnectionsError,
        asyncpg.InsufficientResourcesError,
    ) as exc:
        raise DatabaseUnavailable(f"{what}: {exc.__class__.__name__}") from exc
    except asyncpg.PostgresError as exc:
        raise QueryFailed(f"{what}: {exc.__class__.__name__}") from exc


@dataclass(frozen=True, slots=True)
class PoolStats:
    size: int
    idle: int
    max_size: int


class Database:
    """Wraps the pool; the query modules ask it for documents, rows or a transaction."""

    def __init__(self, pool: asyncpg.Pool, observer: QueryObserver | None = None) -> None:
        self._pool = pool
        self._observer = observer

    @classmethod
    async def connect(
        cls,
        dsn: str,
        max_size: int,
        statement_timeout: float,
        observer: QueryObserver | None = None,
    ) -> Database:
        """A pool that opens connections on demand (so start-up does not wait for Postgres)."""
        with translated_errors("connecting to Postgres"):
            pool = await asyncpg.create_pool(
                dsn,
                min_size=0,
                max_size=max_size,
                init=_init_connection,
                server_settings={
                    "statement_timeout": str(int(statement_timeout * 1000)),
                    "application_name": "abcodex-gateway",
                },
                # Supabase's transaction pooler (pgbouncer) cannot keep prepared statements.
                statement_cache_size=0 if ":6543" in dsn else 100,
            )
        return cls(pool, observer)

    def _ran(self, query: Query) -> None:
        if self._observer is not None:
            self._observer(query.name)

    async def document(self, query: Query, *args: Any) -> Any:
        """The single jsonb value a query returns (None when it returns no row)."""
        self._ran(query)
        with translated_errors(query.name):
            return await self._pool.fetchval(query.sql, *args)

    async def fetch(self, query: Query, *args: Any) -> list[asyncpg.Record]:
        self._ran(query)
        with translated_errors(query.name):
            return await self._pool.fetch(query.sql, *args)

    async def value(self, query: Query, *args: Any) -> Any:
        self._ran(query)
        with translated_errors(query.name):
            return await self._pool.fetchval(query.sql, *args)

    async def execute(self, query: Query, *args: Any) -> None:
        self._ran(query)
        with translated_errors(query.name):
            await self._pool.execute(query.sql, *args)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """One connection in a transaction, for the query modules (errors inside are translated too)."""
        with translated_errors("transaction"):
            async with self._pool.acquire() as connection, connection.transaction():
                yield cast(asyncpg.Connection, connection)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """One connection outside a transaction (statements that refuse to run inside one)."""
        with translated_errors("connection"):
            async with self._pool.acquire() as connection:
                yield cast(asyncpg.Connection, connection)

    async def ping(self) -> None:
        await self.value(Query("ping", "SELECT 1"))

    def stats(self) -> PoolStats:
        return PoolStats(self._pool.get_size(), self._pool.get_idle_size(), self._pool.get_max_size())

    async def close(self) -> None:
        await self._pool.close()
