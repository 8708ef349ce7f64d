"""The one wiring place: everything a tool call uses, built once per lifespan into one typed container.

`open_services` is what the MCP server's lifespan enters (HTTP and stdio alike), and what `migrate`,
`reconcile` and the bench use too: Postgres (embedded or DATABASE_URL), the read service, the optional
payment service, the audit trail and the live-answer cache. Each dependency registers its own readiness
check in the `HealthChecks` it is given and removes it when it closes.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import structlog
from mcp.server.context import HandlerResult

from abcodex_common.retry import Backoff, retrying
from mcp_server.audit import AuditTrail
from mcp_server.auth import ClientIdentity
from mcp_server.domain.reads import ReadService
from mcp_server.errors import ConfigurationError, DatabaseUnavailable, QueryFailed
from mcp_server.health import HealthChecks
from mcp_server.live_cache import LiveCachePolicy, SharedLoads, live_answers
from mcp_server.payments.service import PaymentService
from mcp_server.payments.wiring import build_payment_service
from mcp_server.repository import setup
from mcp_server.repository.embedded import EmbeddedPostgres, default_cluster_dir, find_pg_bin
from mcp_server.repository.migrations import MigrationSet
from mcp_server.repository.pool import Database, QueryObserver
from mcp_server.settings import GatewaySettings

_log = structlog.get_logger("abcodex.services")


@dataclass(frozen=True)
class Seams:
    """What a test or the bench may change without patching: cache policy, query observer, response mode."""

    live_cache: LiveCachePolicy | None = None  # None: LIVE_CACHE_SECONDS, sharing on
    query_observer: QueryObserver | None = None
    json_response: bool = True  # False: answers as SSE streams (the bench compares the two)


@dataclass(frozen=True)
class GatewayServices:
    settings: GatewaySettings
    db: Database
    reads: ReadService
    payments: PaymentService | None
    audit: AuditTrail
    live_answers: SharedLoads[HandlerResult]
    stdio_identity: ClientIdentity
    schema_ready: asyncio.Event = field(default_factory=asyncio.Event)


def embedded_postgres(settings: GatewaySettings) -> EmbeddedPostgres:
    return EmbeddedPostgres(default_cluster_dir(settings.abcodex_data_dir), find_pg_bin(settings.pg_bin))


async def migrate_until_done(dsn: str, sets: tuple[MigrationSet, ...], ready: asyncio.Event) -> None:
    """Apply migrations, retrying with backoff while Postgres is unreachable (readiness stays red)."""

    def waiting(exc: Exception, delay: float) -> None:
        _log.warning("migrations_waiting_for_database", error=exc.__class__.__name__, retry_in=delay)

    try:
        applied = await retrying(
            lambda: setup.migrate(dsn, sets),
            backoff=Backoff(first=0.5, ceiling=15),
            retry_on=lambda exc: isinstance(exc, DatabaseUnavailable),
            on_retry=waiting,
        )
    except QueryFailed as exc:  # readiness stays red and says why in the log
        _log.error("migrations_refused", error=str(exc))
        return
    _log.info("migrations_applied", applied=applied)
    ready.set()


async def _database_dsn(settings: GatewaySettings, stack: AsyncExitStack) -> str:
    """The DSN to serve: DATABASE_URL, or the embedded cluster's (started here, stopped on exit)."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    embedded = embedded_postgres(settings)
    stack.callback(embedded.stop)
    try:
        return await setup.prepare_embedded_database(embedded)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ConfigurationError(
            f"ABCODEX_DATA_DIR: the embedded Postgres cannot run under {embedded.cluster_dir} "
            f"({exc.__class__.__name__}: {exc}); point ABCODEX_DATA_DIR at a writable directory or set DATABASE_URL"
        ) from exc


@asynccontextmanager
async def open_services(
    settings: GatewaySettings,
    stdio_identity: ClientIdentity,
    health: HealthChecks | None = None,
    seams: Seams | None = None,
) -> AsyncIterator[GatewayServices]:
    """Build every service, yield them, and close them in reverse order (the pool last, then Postgres)."""
    seams = seams or Seams()
    health = health or HealthChecks()
    policy = seams.live_cache or LiveCachePolicy(settings.live_cache_seconds)
    async with AsyncExitStack() as stack:
        dsn = await _database_dsn(settings, stack)
        db = await Database.connect(
            dsn, settings.db_pool_max_size, settings.db_statement_timeout_seconds, seams.query_observer
        )
        stack.push_async_callback(db.close)
        payments = build_payment_service(settings, db) if settings.enable_mutating_tools else None
        if payments is not None:
            stack.push_async_callback(payments.close)
        audit = AuditTrail(db, settings.audit_buffer_rows, settings.mcp_gateway_drain_seconds)
        services = GatewayServices(
            settings, db, ReadService(db, policy.max_age), payments, audit, live_answers(policy), stdio_identity
        )
        _register_health(health, services, stack)
        await _start_background(services, dsn, settings, stack)
        yield services
    _log.info("gateway_stopped")


async def _start_background(
    services: GatewayServices, dsn: str, settings: GatewaySettings, stack: AsyncExitStack
) -> None:
    if settings.uses_embedded_database:
        services.schema_ready.set()  # prepared above, before the pool opened
    elif await _first_migration(dsn):
        services.schema_ready.set()
    else:  # Postgres is not there yet: keep trying in the background while readiness says so
        migrations = asyncio.create_task(migrate_until_done(dsn, ("abcodex",), services.schema_ready))
        stack.push_async_callback(_cancelled, migrations)
    services.audit.start()
    stack.push_async_callback(services.audit.close)  # runs before the pool closes: the queue is flushed


async def _first_migration(dsn: str) -> bool:
    """Migrate now if Postgres answers (False when it does not); a database that refuses stops start-up."""
    try:
        applied = await setup.migrate(dsn, ("abcodex",))
    except DatabaseUnavailable:
        return False
    except QueryFailed as exc:
        raise ConfigurationError(
            f"DATABASE_URL: the database refused the gateway's migrations ({exc}); check that the role may "
            "create the abcodex_* tables and that no other object uses their names"
        ) from exc
    _log.info("migrations_applied", applied=applied)
    return True


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def _register_health(health: HealthChecks, services: GatewayServices, stack: AsyncExitStack) -> None:
    async def database() -> tuple[bool, str]:
        await services.db.ping()
        return True, "answers"

    async def schema() -> tuple[bool, str]:
        ready = services.schema_ready.is_set()
        return ready, "migrated" if ready else "waiting for migrations"

    for name, check in (("database", database), ("schema", schema)):
        health.register(name, check)
        stack.callback(health.unregister, name)
