"""The gateway as a real process: SIGTERM drains in-flight calls; a payout survives a kill (reconcile, retry)."""

from __future__ import annotations

import asyncio
import secrets
import signal
from typing import Any

import anyio
import asyncpg
import pytest

from mcp_server.repository.demo_data import demo_id
from tests.doubles.stripe_api import StripeDouble
from tests.support.gateway import mcp_client
from tests.support.payments import payment_settings, seeded_stripe
from tests.support.postgres import PostgresForTests
from tests.support.process import free_port, gateway_env, gateway_process, run_command

pytestmark = pytest.mark.slow
SOFIA = str(demo_id("artist", "A3"))
PAY = {"eid": "AB4002", "artist_profile_id": SOFIA, "amount": "400.00", "currency": "CAD"}


async def wait_for_lock_wait(connection: asyncpg.Connection) -> None:
    """Until the gateway's query is blocked on the test's lock (bounded)."""
    with anyio.fail_after(10):
        while await connection.fetchval("SELECT pg_stat_clear_snapshot()") is None and not await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'abcodex-gateway' "
            "AND wait_event_type = 'Lock'"
        ):
            await asyncio.sleep(0.02)


async def test_sigterm_lets_an_in_flight_call_finish_then_exits_zero(postgres: PostgresForTests):
    database = await postgres.create_demo_database("drain")
    token = secrets.token_urlsafe(16)
    env = gateway_env(database, token, free_port(), {"MCP_GATEWAY_DRAIN_SECONDS": "10"})
    blocker = await asyncpg.connect(database)
    try:
        with gateway_process(env) as gateway:
            transaction = blocker.transaction()
            await transaction.start()
            await blocker.execute("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
            async with mcp_client(gateway.url, token) as client:
                await client.list_tools()  # the client validates results against the schemas it has listed
                in_flight = asyncio.create_task(client.call_tool("get_event_details", {"eid": "AB4001"}))
                await wait_for_lock_wait(blocker)
                gateway.signal(signal.SIGTERM)
                await transaction.rollback()  # the database answers again; the call may now finish
                result = await asyncio.wait_for(in_flight, timeout=15)
            assert not result.is_error
            assert result.structured_content["eid"] == "AB4001"
            assert await asyncio.to_thread(gateway.wait) == 0
            assert "gateway_stopped" in gateway.output()
    finally:
        await blocker.close()


def payment_env(database: str, token: str, stripe_api: StripeDouble) -> dict[str, str]:
    settings = payment_settings(stripe_api, stripe_timeout_seconds=5)
    extra = {
        key.upper(): str(value).lower() if isinstance(value, bool) else str(value) for key, value in settings.items()
    }
    return gateway_env(database, token, free_port(), extra)


async def preview(url: str, token: str) -> str:
    async with mcp_client(url, token) as client:
        result = await client.call_tool("process_artist_payment", PAY)
    return str(result.structured_content["confirmation_token"])


async def confirm_until_killed(url: str, token: str, confirmation: str) -> Any:
    async with mcp_client(url, token) as client:
        return await client.call_tool("process_artist_payment", {**PAY, "confirmation_token": confirmation})


async def payout_rows(database: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(database)
    try:
        return await connection.fetch(
            "SELECT status, stripe_transfer_id FROM artist_payments WHERE metadata->>'source' = 'abcodex'"
        )
    finally:
        await connection.close()


async def kill_during_transfer(env: dict[str, str], stripe_api: StripeDouble, stage: str) -> str:
    """Confirm a payout, hold its transfer request at `stage`, and SIGKILL the gateway there."""
    with gateway_process(env) as gateway:
        confirmation = await preview(gateway.url, env["MCP_GATEWAY_AUTH_TOKEN"])
        stripe_api.hang_next(1, stage=stage, path="/v1/transfers")  # type: ignore[arg-type]
        pending = asyncio.create_task(confirm_until_killed(gateway.url, env["MCP_GATEWAY_AUTH_TOKEN"], confirmation))
        await asyncio.to_thread(stripe_api.wait_until_held, 1, 10)
        gateway.signal(signal.SIGKILL)
        await asyncio.to_thread(gateway.wait)
        with pytest.raises(Exception):  # noqa: B017, PT011 - the connection dies with the process
            await asyncio.wait_for(pending, timeout=15)
    return confirmation


async def test_a_payout_killed_before_reaching_stripe_is_finished_by_reconcile(postgres: PostgresForTests):
    database = await postgres.create_demo_database("crash1")
    with seeded_stripe() as stripe_api:
        env = payment_env(database, secrets.token_urlsafe(16), stripe_api)
        await kill_during_transfer(env, stripe_api, "before")
        assert [r["status"] for r in await payout_rows(database)] == ["processing"]
        assert stripe_api.transfers == []
        outcome = await asyncio.to_thread(run_command, ["reconcile"], env)
        assert outcome.returncode == 0, outcome.stderr
        assert ": paid tr_" in outcome.stdout
        [transfer] = stripe_api.transfers
        assert [(r["status"], r["stripe_transfer_id"]) for r in await payout_rows(database)] == [
            ("paid", transfer["id"])
        ]
        again = await asyncio.to_thread(run_command, ["reconcile"], env)
        assert "nothing to reconcile" in again.stdout
        assert len(stripe_api.transfers) == 1


async def test_a_payout_whose_answer_was_lost_is_found_on_the_next_confirm(postgres: PostgresForTests):
    database = await postgres.create_demo_database("crash2")
    with seeded_stripe() as stripe_api:
        env = payment_env(database, secrets.token_urlsafe(16), stripe_api)
        confirmation = await kill_during_transfer(env, stripe_api, "after")
        [made] = stripe_api.transfers  # Stripe did it; the gateway never heard
        assert [r["status"] for r in await payout_rows(database)] == ["processing"]
        with gateway_process(env) as gateway:
            result = await confirm_until_killed(gateway.url, env["MCP_GATEWAY_AUTH_TOKEN"], confirmation)
        assert result.structured_content["status"] == "paid"
        assert result.structured_content["stripe_transfer_id"] == made["id"]
        assert len(stripe_api.transfers) == 1
        assert [r["status"] for r in await payout_rows(database)] == ["paid"]
