"""A gateway with payments on, against its own demo database and a Stripe double seeded like the demo data."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

from mcp_server.repository.demo_data import ARTISTS
from mcp_server.repository.demo_loader import demo_stripe_account_id
from tests.doubles.stripe_api import CANADA_SECRET_KEY, INTERNATIONAL_SECRET_KEY, StripeDouble, running_stripe_double
from tests.support.gateway import RunningGateway, run_gateway
from tests.support.postgres import PostgresForTests

CONFIRMATION_SECRET = "test-confirmation-secret-" + "x" * 16


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


@asynccontextmanager
async def payments_gateway(postgres: PostgresForTests, **overrides: Any) -> AsyncIterator[PaymentsSetup]:
    with seeded_stripe() as stripe_api:
        database = await postgres.create_demo_database("pay")
        settings = payment_settings(stripe_api, **overrides)
        async with run_gateway(database, token=secrets.token_urlsafe(16), **settings) as gateway:
            yield PaymentsSetup(gateway, stripe_api)
