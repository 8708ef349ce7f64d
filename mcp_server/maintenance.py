"""Operator commands: `abcodex-gateway migrate`, `reconcile` and `demo-data`."""

from __future__ import annotations

import sys

import structlog

from mcp_server.auth import ClientIdentity
from mcp_server.errors import ConfigurationError
from mcp_server.payments.wiring import build_payment_service
from mcp_server.repository import setup
from mcp_server.services import embedded_postgres, open_services
from mcp_server.settings import GatewaySettings

_log = structlog.get_logger("abcodex.maintenance")


def _database_url(settings: GatewaySettings) -> str:
    if settings.database_url is None:
        raise ConfigurationError("DATABASE_URL: required for this command (the embedded default migrates itself)")
    return settings.database_url.get_secret_value()


async def migrate(settings: GatewaySettings, recommended_indexes: bool) -> None:
    dsn = _database_url(settings)
    applied = await setup.migrate(dsn, ("abcodex",))
    print(f"applied: {', '.join(applied) or 'nothing new'}")
    if recommended_indexes:
        for statement in await setup.build_recommended_indexes(dsn):
            print(f"ok: {statement}")


async def reconcile(settings: GatewaySettings) -> None:
    """Settle every payout left 'processing' or 'failed' with an unknown outcome; print one line each."""
    async with open_services(settings, ClientIdentity("reconcile", frozenset())) as services:
        await services.schema_ready.wait()
        # Built here even with ENABLE_MUTATING_TOOLS off: an open payout is settled however the server now runs.
        payments = build_payment_service(settings, services.db)
        try:
            open_payouts = await payments.unresolved()
            if not open_payouts:
                print("nothing to reconcile")
            for open_payout in open_payouts:
                outcome = await payments.resolve(open_payout)
                payment_id = open_payout.payout.payment_id
                _log.info("reconciled", payment_id=payment_id, status=outcome.status)
                print(f"{payment_id}: {outcome.status} {outcome.stripe_transfer_id or outcome.error or ''}".strip())
                sys.stdout.flush()
        finally:
            await payments.close()


async def add_scale_data(settings: GatewaySettings, scale: float) -> None:
    """Add the `--scale` data to the embedded demo database; never to a real DATABASE_URL."""
    if not settings.uses_embedded_database:
        raise ConfigurationError("DATABASE_URL: demo-data only fills the embedded demo database; unset it")
    if not 0 < scale <= 100:
        raise ConfigurationError("--scale: give a factor above 0 and at most 100 (1 = production-like volume)")
    embedded = embedded_postgres(settings)
    already_running = embedded.is_running()  # a `make run` gateway may be using it: leave it running then
    try:
        added = await setup.add_scale_data(await setup.prepare_embedded_database(embedded), scale)
    finally:
        if not already_running:
            embedded.stop()
    print(f"added: {added}" if added else "scale data already present (AB5001 exists)")
