"""Operator commands: `abcodex-gateway migrate`, `reconcile` and `demo-data`."""

from __future__ import annotations

import sys

import asyncpg
import structlog

from mcp_server.auth import ClientIdentity
from mcp_server.errors import ConfigurationError
from mcp_server.payments.confirmation import PaymentRequest
from mcp_server.payments.tools import start_payments
from mcp_server.repository.demo_scale import load_scale_data
from mcp_server.repository.migrations import apply_migrations, recommended_index_statements
from mcp_server.services import embedded_postgres, prepare_embedded_database, start_services, stop_services
from mcp_server.settings import GatewaySettings

_log = structlog.get_logger("abcodex.maintenance")


def _database_url(settings: GatewaySettings) -> str:
    if settings.database_url is None:
        raise ConfigurationError("DATABASE_URL: required for this command (the embedded default migrates itself)")
    return settings.database_url.get_secret_value()


async def migrate(settings: GatewaySettings, recommended_indexes: bool) -> None:
    connection = await asyncpg.connect(_database_url(settings))
    try:
        applied = await apply_migrations(connection, ("abcodex",))
        print(f"applied: {', '.join(applied) or 'nothing new'}")
        if recommended_indexes:
            for statement in recommended_index_statements():
                await connection.execute(statement)  # CONCURRENTLY: outside a transaction, one at a time
                print(f"ok: {statement.splitlines()[0]}")
    finally:
        await connection.close()


async def reconcile(settings: GatewaySettings) -> None:
    """Settle every payout left 'processing' or 'failed' with an unknown outcome; print one line each."""
    services = await start_services(settings, ClientIdentity("reconcile", frozenset()))
    services.payments = start_payments(settings, services)
    try:
        await services.schema_ready.wait()
        open_rows = await services.payments.ledger.unresolved()
        if not open_rows:
            print("nothing to reconcile")
        for row, info in open_rows:
            request = PaymentRequest(
                info["eid"], str(info["artist_profile_id"]), info["amount"], info["currency"], info["client_name"]
            )
            outcome = await services.payments.resolve(row, request)
            _log.info("reconciled", payment_id=row.payment_id, status=outcome.status)
            print(f"{row.payment_id}: {outcome.status} {outcome.stripe_transfer_id or outcome.error or ''}".strip())
            sys.stdout.flush()
    finally:
        await stop_services(services)


async def add_scale_data(settings: GatewaySettings, scale: float) -> None:
    """Add the `--scale` data to the embedded demo database; never to a real DATABASE_URL."""
    if not settings.uses_embedded_database:
        raise ConfigurationError("DATABASE_URL: demo-data only fills the embedded demo database; unset it")
    if not 0 < scale <= 100:
        raise ConfigurationError("--scale: give a factor above 0 and at most 100 (1 = production-like volume)")
    embedded = embedded_postgres(settings)
    already_running = embedded.is_running()  # a `make run` gateway may be using it: leave it running then
    dsn = await prepare_embedded_database(embedded)
    try:
        connection = await asyncpg.connect(dsn)
        try:
            added = await load_scale_data(connection, scale)
        finally:
            await connection.close()
    finally:
        if not already_running:
            embedded.stop()
    print(f"added: {added}" if added else "scale data already present (AB5001 exists)")
