"""process_artist_payment through a real MCP client, a real gateway, real Postgres and a Stripe double."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from mcp_server.payments.confirmation import ConfirmationTokens, PaymentRequest
from mcp_server.repository.demo_data import demo_id
from tests.support.payments import CONFIRMATION_SECRET, PaymentsSetup, payments_gateway
from tests.support.postgres import PostgresForTests

SOFIA = str(demo_id("artist", "A3"))  # owed 400.00 CAD at AB4002
NOOR = str(demo_id("artist", "B3"))  # owed 300.00 CAD at AB4002, no Stripe account
ISLA = str(demo_id("artist", "C5"))  # owed 450.00 AUD at AB4003 (international)


@pytest.fixture
async def setup(postgres: PostgresForTests) -> Any:
    async with payments_gateway(postgres) as payments:
        yield payments


def pay_args(
    artist: str = SOFIA, amount: str = "400.00", eid: str = "AB4002", currency: str = "CAD", token: str | None = None
) -> dict[str, Any]:
    arguments: dict[str, Any] = {"eid": eid, "artist_profile_id": artist, "amount": amount, "currency": currency}
    if token:
        arguments["confirmation_token"] = token
    return arguments


async def call(setup: PaymentsSetup, arguments: dict[str, Any], **client: Any) -> Any:
    async with setup.gateway.client(**client) as session:
        return await session.call_tool("process_artist_payment", arguments)


async def rows(setup: PaymentsSetup, sql: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(setup.gateway.database_url)
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def abcodex_payments(setup: PaymentsSetup) -> list[asyncpg.Record]:
    return await rows(setup, "SELECT * FROM artist_payments WHERE metadata->>'source' = 'abcodex'")


async def preview_token(setup: PaymentsSetup, **arguments: Any) -> str:
    result = await call(setup, pay_args(**arguments))
    assert not result.is_error, result.content
    return str(result.structured_content["confirmation_token"])


async def test_a_call_without_token_previews_and_moves_nothing(setup: PaymentsSetup):
    result = await call(setup, pay_args())
    content = result.structured_content
    assert content["status"] == "needs_confirmation"
    assert content["preview"] == {
        "eid": "AB4002",
        "event_name": "Art Battle Montréal — Saison d'automne",
        "artist_profile_id": SOFIA,
        "artist_name": "Sofia Marchetti",
        "amount": "400.00",
        "currency": "CAD",
        "owed_total": "400.00",
        "owed_after": "0.00",
        "destination_account": "acct_demoA3sofiam",
        "paying_stripe_account": "Canada",
    }
    assert content["confirmation_token"] and content["expires_at"]
    assert setup.stripe.transfers == []
    assert await abcodex_payments(setup) == []


async def test_confirming_pays_once_and_records_the_transfer(setup: PaymentsSetup):
    token = await preview_token(setup)
    result = await call(setup, pay_args(token=token), headers={"X-Acting-User": "U0FINANCE"})
    assert result.structured_content["status"] == "paid", result.content
    transfer_id = result.structured_content["stripe_transfer_id"]
    [transfer] = setup.stripe.transfers
    assert (transfer["id"], transfer["amount"], transfer["currency"], transfer["destination"]) == (
        transfer_id,
        40000,
        "cad",
        "acct_demoA3sofiam",
    )
    [payment] = await abcodex_payments(setup)
    assert (payment["status"], payment["stripe_transfer_id"], payment["gross_amount"]) == (
        "paid",
        transfer_id,
        Decimal("400.00"),
    )
    assert payment["paid_at"] is not None
    async with setup.gateway.client() as session:
        summary = (await session.call_tool("get_payment_summary", {"eid": "AB4002"})).structured_content
    assert next(a for a in summary["artists"] if a["artist_profile_id"] == SOFIA)["owed"] == "0.00"
    [audit] = await rows(
        setup, "SELECT * FROM abcodex_tool_calls WHERE tool = $1 AND detail = 'paid'", "process_artist_payment"
    )
    assert audit["acting_user"] == "U0FINANCE" and json.loads(audit["arguments"])["confirmation_token"] == "***"


async def test_fifty_concurrent_confirms_of_one_token_transfer_once(setup: PaymentsSetup):
    token = await preview_token(setup)
    results = await asyncio.gather(*(call(setup, pay_args(token=token)) for _ in range(50)))
    statuses = {r.structured_content["status"] for r in results}
    transfer_ids = {r.structured_content["stripe_transfer_id"] for r in results}
    assert statuses == {"paid"} and len(transfer_ids) == 1
    assert len(setup.stripe.transfers) == 1
    assert [p["status"] for p in await abcodex_payments(setup)] == ["paid"]


async def test_two_amounts_racing_never_pay_more_than_owed(setup: PaymentsSetup):
    first, second = await preview_token(setup, amount="300.00"), await preview_token(setup, amount="250.00")
    results = await asyncio.gather(
        call(setup, pay_args(amount="300.00", token=first)), call(setup, pay_args(amount="250.00", token=second))
    )
    paid = [r for r in results if not r.is_error and r.structured_content["status"] == "paid"]
    refused = [r for r in results if r.is_error]
    assert len(paid) == 1 and len(refused) == 1
    assert "is owed" in refused[0].content[0].text
    total = sum(Decimal(t["amount"]) for t in setup.stripe.transfers) / 100
    assert total <= Decimal("400.00")


async def test_stripe_500_then_success_makes_one_transfer(setup: PaymentsSetup):
    token = await preview_token(setup)
    setup.stripe.fail_next(1, status=500, path="/v1/transfers")
    result = await call(setup, pay_args(token=token))
    assert result.structured_content["status"] == "paid"
    assert len(setup.stripe.transfers) == 1


async def test_insufficient_balance_fails_with_a_reason_and_no_transfer(setup: PaymentsSetup):
    setup.stripe.set_balance("canada", "cad", 100)
    token = await preview_token(setup)
    result = await call(setup, pay_args(token=token))
    content = result.structured_content
    assert content["status"] == "failed" and "balance" in content["error"].lower()
    assert setup.stripe.transfers == []
    [payment] = await abcodex_payments(setup)
    assert payment["status"] == "failed" and content["error"].startswith(payment["error_message"])
    assert "set it to cancelled before paying again" in content["error"]


async def test_a_token_cannot_pay_other_arguments(setup: PaymentsSetup):
    token = await preview_token(setup, amount="100.00")
    result = await call(setup, pay_args(amount="400.00", token=token))
    assert result.is_error and "issued for a different payment" in result.content[0].text
    assert setup.stripe.transfers == []


async def test_an_expired_token_is_refused(setup: PaymentsSetup):
    tokens = ConfirmationTokens(CONFIRMATION_SECRET, ttl_seconds=60)
    request = PaymentRequest("AB4002", SOFIA, Decimal("400.00"), "CAD", "gateway-token")
    old = tokens.issue(request, now=time.time() - 3600).token
    result = await call(setup, pay_args(token=old))
    assert result.is_error and "expired" in result.content[0].text
    assert setup.stripe.transfers == []
    [audit] = await rows(setup, "SELECT outcome FROM abcodex_tool_calls WHERE tool = 'process_artist_payment'")
    assert audit["outcome"] == "tool_error"


async def test_a_forged_token_is_refused(setup: PaymentsSetup):
    result = await call(setup, pay_args(token="eyJmb28iOiJiYXIifQ.bm9wZQ"))
    assert result.is_error and "not valid" in result.content[0].text
    assert setup.stripe.transfers == []


@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        (pay_args(amount="400.01"), "Sofia Marchetti is owed 400.00 CAD for AB4002; 400.01 is more than that."),
        (pay_args(currency="USD"), "AB4002 pays in CAD; the amount must be in CAD, not USD."),
        (pay_args(artist=NOOR, amount="10"), "Noor Haddad cannot be paid yet"),
        (pay_args(eid="AB4005"), "There is no event AB4005; did you mean"),
        (pay_args(amount="0"), "Invalid argument 'amount'"),
        (pay_args(amount="6000"), "6000 CAD is above the per-payment limit of 5000"),
    ],
)
async def test_payments_that_break_a_rule_are_refused_at_preview(
    setup: PaymentsSetup, arguments: dict[str, Any], sentence: str
):
    result = await call(setup, arguments)
    assert result.is_error
    assert result.content[0].text.startswith(sentence)


async def test_international_events_pay_from_the_international_account(setup: PaymentsSetup):
    token = await preview_token(setup, eid="AB4003", artist=ISLA, amount="450.00", currency="AUD")
    result = await call(setup, pay_args(eid="AB4003", artist=ISLA, amount="450.00", currency="AUD", token=token))
    assert result.structured_content["status"] == "paid"
    assert [t["currency"] for t in setup.stripe.transfers_of("international")] == ["aud"]
    assert setup.stripe.transfers_of("canada") == []


async def test_confirmation_through_elicitation_for_clients_that_can_ask(setup: PaymentsSetup):
    from mcp_types import ElicitResult  # noqa: PLC0415

    asked: list[str] = []

    async def confirm(_ctx: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    async with setup.gateway.client() as plain:
        assert plain.protocol_version == "2026-07-28"
    from tests.support.gateway import mcp_client  # noqa: PLC0415

    client = mcp_client(setup.gateway.url, setup.gateway.token)
    client.elicitation_callback = confirm
    async with client:
        result = await client.call_tool("process_artist_payment", pay_args(amount="150.00"))
    assert asked and asked[0].startswith("Pay Sofia Marchetti 150.00 CAD for AB4002")
    assert result.structured_content["status"] == "paid"
    assert len(setup.stripe.transfers) == 1


async def test_an_elicited_confirmation_can_finish_on_another_replica(postgres: PostgresForTests):
    from mcp_types import ElicitResult, InputRequiredResult  # noqa: PLC0415

    from tests.support.gateway import mcp_client, run_gateway  # noqa: PLC0415
    from tests.support.payments import payment_settings, seeded_stripe  # noqa: PLC0415

    async def never_called(_ctx: Any, _params: Any) -> ElicitResult:
        raise AssertionError("the test answers the elicitation itself")

    database = await postgres.create_demo_database("replicas")
    with seeded_stripe() as stripe_api:
        settings = payment_settings(stripe_api)
        async with (
            run_gateway(database, token="t" * 20, **settings) as first,
            run_gateway(database, token="t" * 20, **settings) as second,
        ):
            asking = mcp_client(first.url, first.token)
            asking.elicitation_callback = never_called
            async with asking:
                question = await asking.session.call_tool(
                    "process_artist_payment", pay_args(amount="120.00"), allow_input_required=True
                )
            assert isinstance(question, InputRequiredResult)
            answering = mcp_client(second.url, second.token)
            answering.elicitation_callback = never_called
            async with answering:
                result = await answering.session.call_tool(
                    "process_artist_payment",
                    pay_args(amount="120.00"),
                    request_state=question.request_state,
                    input_responses={"confirm_payment": ElicitResult(action="accept", content={"confirm": True})},
                )
    assert result.structured_content["status"] == "paid"
    assert len(stripe_api.transfers) == 1


async def test_a_callers_daily_cap_refuses_the_payment_that_would_pass_it(postgres: PostgresForTests):
    amelie = str(demo_id("artist", "B1"))  # owed 350.00 CAD at AB4002
    async with payments_gateway(postgres, payment_daily_cap_per_caller="500") as capped:
        token = await preview_token(capped)
        assert (await call(capped, pay_args(token=token))).structured_content["status"] == "paid"
        result = await call(capped, pay_args(artist=amelie, amount="150.00"))
        assert result.is_error
        assert result.content[0].text == (
            "This would take today's payments by this client to 550.00 CAD, above the daily limit of 500."
        )
        assert len(capped.stripe.transfers) == 1
