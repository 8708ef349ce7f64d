"""Operator commands: `abcodex-gateway migrate` and `abcodex-gateway reconcile`."""

from __future__ import annotations

import sys

import asyncpg
import structlog

from mcp_server.auth import ClientIdentity
from mcp_server.db.migrations import apply_migrations, recommended_index_statements
from mcp_server.errors import ConfigurationError
from mcp_server.payments.confirmation import PaymentRequest
from mcp_server.payments.tools import start_payments
from mcp_server.services import start_services, stop_services
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
