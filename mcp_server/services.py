"""Building and closing what the tools use: Postgres (embedded or DATABASE_URL), caches, audit, payments.

This is the one wiring place; the MCP server's lifespan calls `start_services` and `stop_services`.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any, cast

import asyncpg
import structlog

from mcp_server.audit import AuditTrail
from mcp_server.auth import ClientIdentity
from mcp_server.cache import CoalescingCache
from mcp_server.domain.reads import ReadService
from mcp_server.errors import DatabaseUnavailable
from mcp_server.repository.demo_loader import load_demo_data
from mcp_server.repository.embedded import EmbeddedPostgres, default_cluster_dir, find_pg_bin
from mcp_server.repository.migrations import MigrationSet, apply_migrations
from mcp_server.repository.pool import Database
from mcp_server.settings import GatewaySettings

_log = structlog.get_logger("abcodex.services")
EMBEDDED_DATABASE = "abcodex"


@dataclass
class GatewayServices:
    settings: GatewaySettings
    db: Database
    reads: ReadService
    audit: AuditTrail
    stdio_identity: ClientIdentity
    embedded: EmbeddedPostgres | None = None
    schema_ready: asyncio.Event = field(default_factory=asyncio.Event)
    payments: Any = None
    background: list[asyncio.Task[None]] = field(default_factory=list)


def embedded_postgres(settings: GatewaySettings) -> EmbeddedPostgres:
    return EmbeddedPostgres(default_cluster_dir(settings.abcodex_data_dir), find_pg_bin(settings.pg_bin))


async def prepare_embedded_database(embedded: EmbeddedPostgres) -> str:
    """Start the private cluster; create, migrate and fill the demo database on first run. Returns its DSN."""
    created = embedded.ensure_initialized()
    embedded.start()
    connection = await asyncpg.connect(await embedded.create_database(EMBEDDED_DATABASE))
    try:
        await apply_migrations(connection, ("production", "abcodex"))
        loaded = await load_demo_data(connection)
    finally:
        await connection.close()
    _log.info("embedded_postgres_ready", created=created, demo_data_loaded=loaded, cluster=str(embedded.cluster_dir))
    return embedded.dsn(EMBEDDED_DATABASE)


async def migrate_until_done(db_dsn: str, sets: tuple[MigrationSet, ...], ready: asyncio.Event) -> None:
    """Apply migrations, retrying with backoff while Postgres is unreachable (readiness stays red)."""
    delay = 0.5
    while True:
        try:
            connection = await asyncpg.connect(db_dsn, timeout=5)
            try:
                applied = await apply_migrations(connection, sets)
            finally:
                await connection.close()
            _log.info("migrations_applied", applied=applied)
            ready.set()
            return
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            _log.warning("migrations_waiting_for_database", error=exc.__class__.__name__, retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 15)


async def start_services(settings: GatewaySettings, stdio_identity: ClientIdentity) -> GatewayServices:
    embedded = None
    if settings.database_url is None:
        embedded = embedded_postgres(settings)
        dsn = await prepare_embedded_database(embedded)
    else:
        dsn = settings.database_url.get_secret_value()
    try:
        db = await Database.connect(dsn, 0, settings.db_pool_max_size, settings.db_statement_timeout_seconds)
    except DatabaseUnavailable:
        if embedded:
            embedded.stop()
        raise
    cache: CoalescingCache[Any] = CoalescingCache(settings.live_cache_seconds)
    audit = AuditTrail(db)
    services = GatewayServices(settings, db, ReadService(db, cache), audit, stdio_identity, embedded)
    if embedded:
        services.schema_ready.set()
    else:
        services.background.append(
            asyncio.create_task(migrate_until_done(dsn, ("abcodex",), services.schema_ready), name="migrations")
        )
    audit.start()
    return services


async def stop_services(services: GatewayServices) -> None:
    for task in services.background:
        task.cancel()
    await asyncio.gather(*services.background, return_exceptions=True)
    with contextlib.suppress(Exception):
        await services.audit.close()
    if services.payments is not None:
        await services.payments.close()
    await services.db.close()
    if services.embedded is not None:
        services.embedded.stop()
    _log.info("gateway_stopped")


def services_of(ctx: Any) -> GatewayServices:
    """The services a tool call runs with (what the MCP server's lifespan yielded)."""
    return cast(GatewayServices, ctx.request_context.lifespan_context)
