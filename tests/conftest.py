"""Suite-wide fixtures: one real Postgres per session, a demo database per use, a real gateway over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.gateway import RunningGateway, run_gateway
from tests.support.postgres import PostgresForTests, session_postgres


@pytest.fixture(scope="session")
async def postgres() -> PostgresForTests:
    return await session_postgres()


@pytest.fixture(scope="session")
async def demo_gateway(postgres: PostgresForTests) -> AsyncIterator[RunningGateway]:
    """A gateway on its own copy of the demo data, shared by tests that only read."""
    async with run_gateway(await postgres.create_demo_database("shared")) as running:
        yield running


@pytest.fixture(scope="session")
def gateway_url(demo_gateway: RunningGateway) -> str:
    return demo_gateway.url


@pytest.fixture(scope="session")
def gateway_token(demo_gateway: RunningGateway) -> str:
    return demo_gateway.token
