"""process_artist_payment through a real MCP client, a real gateway, real Postgres and a Stripe double."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal
from typing import Any

import pytest

from mcp_server.payments.confirmation import ConfirmationTokens, Destination, PaymentRequest
from tests.support.payments import (
    AMELIE,
    CONFIRMATION_SECRET,
    ISLA,
    NOOR,
    SOFIA,
    PaymentsSetup,
    abcodex_payments,
    call,
    pay_args,
    payments_gateway,
    preview_token,
    rows,
)
from tests.support.postgres import PostgresForTests


@pytest.fixture
async def setup(postgres: PostgresForTests) -> Any:
    async with payments_gateway(postgres) as payments:
        yield payments


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
    old = tokens.issue(request, Destination("acct_demoA3sofiam", "canada"), "out_of_band", now=time.time() - 3600)
    old = old.token
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
        (pay_args(amount="0"), "`amount` must be more than 0."),
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


async def test_an_artist_account_changed_after_the_preview_moves_nothing_and_says_so(setup: PaymentsSetup):
    token = await preview_token(setup)
    await rows(
        setup,
        "UPDATE artist_stripe_accounts SET stripe_account_id = 'acct_1Elsewhere' WHERE artist_profile_id = $1",
        SOFIA,
    )
    result = await call(setup, pay_args(token=token))
    assert result.is_error
    assert result.content[0].text == (
        "Nothing was paid: since the preview, the artist's Stripe account is now acct_1Elsewhere, not "
        "acct_demoA3sofiam as confirmed. Ask for a new preview and confirm that."
    )
    assert setup.stripe.transfers == []
    assert await abcodex_payments(setup) == []


async def test_a_paying_region_changed_after_the_preview_moves_nothing_and_says_so(setup: PaymentsSetup):
    token = await preview_token(setup)
    await rows(setup, "UPDATE events SET stripe_account_region = 'international' WHERE eid = 'AB4002'")
    result = await call(setup, pay_args(token=token))
    assert result.is_error
    assert "the event now pays from the International Stripe account, not the Canada one" in result.content[0].text
    assert setup.stripe.transfers == []
    assert await abcodex_payments(setup) == []


async def test_a_callers_daily_cap_refuses_the_payment_that_would_pass_it(postgres: PostgresForTests):
    async with payments_gateway(postgres, payment_daily_cap_per_caller="500") as capped:
        token = await preview_token(capped)
        assert (await call(capped, pay_args(token=token))).structured_content["status"] == "paid"
        result = await call(capped, pay_args(artist=AMELIE, amount="150.00"))
        assert result.is_error
        assert result.content[0].text.startswith(
            "This would take today's payments by this client to 550.00 CAD, above the daily limit of 500 CAD"
        )
        assert len(capped.stripe.transfers) == 1


async def test_the_per_payment_limit_is_set_per_currency(postgres: PostgresForTests):
    async with payments_gateway(postgres, payment_max_amount_per_currency="AUD=400") as limited:
        australian = await call(limited, pay_args(eid="AB4003", artist=ISLA, amount="450.00", currency="AUD"))
        canadian = await call(limited, pay_args(amount="400.00"))
    assert australian.is_error
    assert australian.content[0].text.startswith("450.00 AUD is above the per-payment limit of 400 AUD")
    assert canadian.structured_content["status"] == "needs_confirmation"  # CAD keeps PAYMENT_MAX_AMOUNT (5000)


async def test_the_daily_cap_is_counted_per_currency(postgres: PostgresForTests):
    async with payments_gateway(postgres, payment_daily_cap_per_currency="CAD=500") as capped:
        token = await preview_token(capped)
        assert (await call(capped, pay_args(token=token))).structured_content["status"] == "paid"
        more_cad = await call(capped, pay_args(artist=AMELIE, amount="150.00"))
        aud = await call(capped, pay_args(eid="AB4003", artist=ISLA, amount="450.00", currency="AUD"))
    assert more_cad.is_error and "above the daily limit of 500 CAD" in more_cad.content[0].text
    assert aud.structured_content["status"] == "needs_confirmation"  # 400 CAD paid does not count against AUD


async def test_a_payout_whose_outcome_is_unknown_counts_toward_the_daily_cap(postgres: PostgresForTests):
    async with payments_gateway(postgres, payment_daily_cap_per_currency="CAD=500") as capped:
        token = await preview_token(capped)
        capped.stripe.fail_next(3, status=503, path="/v1/transfers")  # every attempt: Stripe never says
        unknown = (await call(capped, pay_args(token=token))).structured_content
        assert unknown["status"] == "failed" and "not known yet" in unknown["error"]
        result = await call(capped, pay_args(artist=AMELIE, amount="150.00"))
    assert result.is_error
    assert result.content[0].text.startswith(
        "This would take today's payments by this client to 550.00 CAD, above the daily limit of 500 CAD"
    )
    [payment] = await abcodex_payments(capped)
    assert payment["status"] == "failed" and json.loads(payment["metadata"])["outcome_unknown"] is True
