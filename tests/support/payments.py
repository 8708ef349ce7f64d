"""A gateway with payments on, against its own demo database and a Stripe double seeded like the demo data.

Two clients may pay: the bot (`MCP_GATEWAY_AUTH_TOKEN`, confirms out of band with its buttons) and a desktop
client from the tokens file (`payments` scope, no out-of-band confirmation: it pays only through its host's
confirm dialog).
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from mcp import Client
from mcp_types import ElicitResult

from mcp_server.repository.demo_data import ARTISTS, demo_id
from mcp_server.repository.demo_loader import demo_stripe_account_id
from tests.doubles.stripe_api import CANADA_SECRET_KEY, INTERNATIONAL_SECRET_KEY, StripeDouble, running_stripe_double
from tests.support.gateway import RunningGateway, mcp_client, run_gateway
from tests.support.postgres import PostgresForTests

CONFIRMATION_SECRET = "test-confirmation-secret-" + "x" * 16
DESKTOP = "claude-desktop"
PAYMENT_TOOL = "process_artist_payment"

SOFIA = str(demo_id("artist", "A3"))  # owed 400.00 CAD at AB4002
NOOR = str(demo_id("artist", "B3"))  # owed 300.00 CAD at AB4002, no Stripe account
AMELIE = str(demo_id("artist", "B1"))  # owed 350.00 CAD at AB4002
ISLA = str(demo_id("artist", "C5"))  # owed 450.00 AUD at AB4003 (international)

Answer = Callable[[Any, Any], Awaitable[ElicitResult]]


@contextmanager
def seeded_stripe() -> Iterator[StripeDouble]:
    """Every demo artist with an enabled account is connected to its region's platform."""
    with running_stripe_double() as stripe_api:
        for key, (_name, country, state) in ARTISTS.items():
            if state != "enabled":
                continue
            platform, currency, code = (
                ("international", "aud", "AU")
                if country == "Australia"
                else (("international", "usd", "US") if country == "USA" else ("canada", "cad", "CA"))
            )
            stripe_api.add_connected_account(
                platform, demo_stripe_account_id(key), country=code, default_currency=currency
            )
        yield stripe_api


@dataclass
class PaymentsSetup:
    gateway: RunningGateway
    stripe: StripeDouble
    desktop_token: str

    def desktop(self, answer: Answer | None = None) -> Client:
        """The tokens-file client; with `answer`, it elicits (its host asks the person, `answer` is the reply)."""
        client = mcp_client(self.gateway.url, self.desktop_token)
        if answer is not None:
            client.elicitation_callback = answer
        return client


def payment_settings(stripe_api: StripeDouble, **overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "enable_mutating_tools": True,
        "stripe_canada_secret_key": CANADA_SECRET_KEY,
        "stripe_intl_secret_key": INTERNATIONAL_SECRET_KEY,
        "stripe_api_base": stripe_api.base_url,
        "stripe_timeout_seconds": 2.0,
        "stripe_retry_backoff_seconds": 0.01,
        "payment_confirmation_secret": CONFIRMATION_SECRET,
    }
    settings.update(overrides)
    return settings


def _desktop_tokens_file(directory: str, token: str) -> Path:
    path = Path(directory) / "tokens.yaml"
    digest = hashlib.sha256(token.encode()).hexdigest()
    path.write_text(
        f"clients:\n  - name: {DESKTOP}\n    token_sha256: {digest}\n    scopes: [read, finance, payments]\n"
    )
    return path


@asynccontextmanager
async def payments_gateway(postgres: PostgresForTests, **overrides: Any) -> AsyncIterator[PaymentsSetup]:
    desktop_token = secrets.token_urlsafe(16)
    with seeded_stripe() as stripe_api, tempfile.TemporaryDirectory() as directory:
        database = await postgres.create_demo_database("pay")
        settings = payment_settings(stripe_api, **overrides)
        settings.setdefault("mcp_gateway_tokens_file", _desktop_tokens_file(directory, desktop_token))
        async with run_gateway(database, token=secrets.token_urlsafe(16), **settings) as gateway:
            yield PaymentsSetup(gateway, stripe_api, desktop_token)


def pay_args(
    artist: str = SOFIA, amount: str = "400.00", eid: str = "AB4002", currency: str = "CAD", token: str | None = None
) -> dict[str, Any]:
    arguments: dict[str, Any] = {"eid": eid, "artist_profile_id": artist, "amount": amount, "currency": currency}
    if token:
        arguments["confirmation_token"] = token
    return arguments


async def call(setup: PaymentsSetup, arguments: dict[str, Any], **client: Any) -> Any:
    """One call as the bot (or, with `token=`, another client) that does not elicit."""
    async with setup.gateway.client(**client) as session:
        return await session.call_tool(PAYMENT_TOOL, arguments)


async def rows(setup: PaymentsSetup, sql: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(setup.gateway.database_url)
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def abcodex_payments(setup: PaymentsSetup) -> list[asyncpg.Record]:
    return await rows(setup, "SELECT * FROM artist_payments WHERE metadata->>'source' = 'abcodex'")


async def preview_token(setup: PaymentsSetup, **arguments: Any) -> str:
    """The bot's preview of a payment: its confirmation token."""
    result = await call(setup, pay_args(**arguments))
    assert not result.is_error, result.content
    return str(result.structured_content["confirmation_token"])
