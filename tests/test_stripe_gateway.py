"""The Stripe adapter (stripe_client.py) against the Stripe double: money, exactly-once transfers, errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import anyio
import pytest

from mcp_server.payments.errors import (
    DuplicateTransfers,
    IdempotencyConflict,
    InvalidAmount,
    StripeDeclined,
    StripeKeyRejected,
    StripeNotConfigured,
    StripeUnavailable,
)
from mcp_server.payments.stripe_amounts import from_minor_units, to_minor_units
from mcp_server.payments.stripe_client import (
    ConnectedAccount,
    StripeAccountClient,
    StripeRegions,
    Transfer,
)
from tests.doubles.stripe_api import CANADA_SECRET_KEY, StripeDouble, running_stripe_double

METADATA = {"eid": "AB4001", "artist_profile_id": "a-1"}


@pytest.fixture
def stripe_api() -> Iterator[StripeDouble]:
    with running_stripe_double() as double:
        yield double


def canada_only(stripe_api: StripeDouble, timeout_seconds: float) -> StripeRegions:
    return StripeRegions.from_keys(
        canada_secret_key=CANADA_SECRET_KEY,
        intl_secret_key=None,
        api_base=stripe_api.base_url,
        timeout_seconds=timeout_seconds,
        max_retries=2,
        retry_backoff_seconds=0.01,
    )


@pytest.fixture
async def regions(stripe_api: StripeDouble) -> AsyncIterator[StripeRegions]:
    built = canada_only(stripe_api, timeout_seconds=5.0)
    yield built
    await built.aclose()


@pytest.fixture
def canada(regions: StripeRegions) -> StripeAccountClient:
    return regions.for_region("canada")


@pytest.fixture
async def impatient(stripe_api: StripeDouble) -> AsyncIterator[StripeAccountClient]:
    """The Canada client with a 0.3 s timeout, for requests the double holds."""
    built = canada_only(stripe_api, timeout_seconds=0.3)
    yield built.for_region("canada")
    await built.aclose()


@pytest.fixture
def artist(stripe_api: StripeDouble) -> str:
    return stripe_api.add_connected_account("canada")


async def pay(gateway: StripeAccountClient, destination: str, amount: str = "15.00", key: str = "pay-1") -> Transfer:
    return await gateway.create_transfer(
        Decimal(amount),
        "CAD",
        destination=destination,
        idempotency_key=key,
        metadata=METADATA,
        transfer_group=f"group-{key}",
    )


# -- money ------------------------------------------------------------------------------------------------


def test_cad_amounts_become_cents_and_come_back_exactly():
    assert to_minor_units(Decimal("12.34"), "CAD") == 1234
    assert to_minor_units(Decimal("12.3"), "cad") == 1230
    assert to_minor_units(Decimal("5"), "CAD") == 500
    assert from_minor_units(1234, "cad") == Decimal("12.34")


def test_zero_decimal_currencies_are_sent_in_whole_units():
    assert to_minor_units(Decimal("1500"), "JPY") == 1500
    assert to_minor_units(Decimal("1500.00"), "krw") == 1500
    assert from_minor_units(1500, "jpy") == Decimal("1500")


def test_a_fraction_of_a_yen_is_refused():
    with pytest.raises(InvalidAmount, match="JPY amounts must be whole numbers"):
        to_minor_units(Decimal("1500.5"), "JPY")


def test_a_tenth_of_a_cent_is_refused_rather_than_rounded():
    with pytest.raises(InvalidAmount, match=r"CAD amounts can have at most 2 decimal places; 0\.001 has more"):
        to_minor_units(Decimal("0.001"), "CAD")


def test_three_decimal_currencies_are_sent_with_three_digits_but_refuse_the_last_one():
    assert to_minor_units(Decimal("5.12"), "KWD") == 5120
    with pytest.raises(InvalidAmount):
        to_minor_units(Decimal("5.125"), "KWD")


def test_an_amount_that_is_not_money_is_refused():
    with pytest.raises(InvalidAmount):
        to_minor_units(Decimal("NaN"), "CAD")
    with pytest.raises(InvalidAmount, match="three-letter currency code"):
        to_minor_units(Decimal("1"), "dollars")


# -- transfers ----------------------------------------------------------------------------------------------


async def test_transfer_is_created_and_the_platform_balance_reduced(stripe_api, canada, artist):
    stripe_api.set_balance("canada", "cad", 10_000)

    transfer = await pay(canada, artist, "15.25")

    assert transfer == Transfer(stripe_api.transfers[0]["id"], Decimal("15.25"), "CAD", artist)
    assert stripe_api.balance("canada", "cad") == 10_000 - 1525
    (sent,) = stripe_api.transfers
    assert (sent["amount"], sent["transfer_group"], sent["metadata"]) == (1525, "group-pay-1", METADATA)
    assert stripe_api.requests[0].idempotency_key == "pay-1"


async def test_second_payment_with_same_key_transfers_once(stripe_api, canada, artist):
    first = await pay(canada, artist)
    second = await pay(canada, artist)

    assert second == first
    assert len(stripe_api.transfers) == 1


async def test_same_key_with_a_different_amount_is_an_idempotency_conflict(stripe_api, canada, artist):
    await pay(canada, artist, "15.00")

    with pytest.raises(IdempotencyConflict, match="reconcile transfer group group-pay-1"):
        await pay(canada, artist, "16.00")

    assert len(stripe_api.transfers) == 1


async def test_stripe_500_then_success_transfers_once_with_the_same_key(stripe_api, canada, artist):
    stripe_api.fail_next(1, status=500)

    transfer = await pay(canada, artist)

    assert [t["id"] for t in stripe_api.transfers] == [transfer.transfer_id]
    assert [(r.status, r.idempotency_key) for r in stripe_api.requests] == [(500, "pay-1"), (200, "pay-1")]


async def test_rate_limit_then_success_transfers_once(stripe_api, canada, artist):
    stripe_api.fail_next(1, status=429)

    await pay(canada, artist)

    assert len(stripe_api.transfers) == 1


async def test_hang_beyond_the_timeout_then_success_transfers_once(stripe_api, impatient, artist):
    stripe_api.hang_next(1)

    transfer = await pay(impatient, artist)

    assert [t["id"] for t in stripe_api.transfers] == [transfer.transfer_id]
    assert {r.idempotency_key for r in stripe_api.requests} == {"pay-1"}


async def test_answer_lost_after_the_transfer_is_recovered_by_the_retry_with_the_same_key(
    stripe_api, impatient, artist
):
    stripe_api.hang_next(1, stage="after")

    transfer = await pay(impatient, artist)

    assert [t["id"] for t in stripe_api.transfers] == [transfer.transfer_id]
    assert [r.replayed for r in stripe_api.requests] == [False, True]


async def test_stripe_hanging_forever_is_unavailable_after_bounded_retries(stripe_api, impatient, artist):
    stripe_api.hang_next(10)

    with anyio.fail_after(5), pytest.raises(StripeUnavailable) as unavailable:
        await pay(impatient, artist)

    assert "after 3 attempt(s)" in str(unavailable.value)
    assert "Whether the transfer happened is unknown" in str(unavailable.value)
    assert len(stripe_api.requests) == 3
    assert stripe_api.transfers == []


async def test_stripe_failing_every_time_is_unavailable_not_declined(stripe_api, canada, artist):
    stripe_api.fail_next(3, status=503)

    with pytest.raises(StripeUnavailable, match="HTTP 503"):
        await pay(canada, artist)

    assert stripe_api.transfers == []


async def test_duplicate_confirm_while_the_first_is_in_flight_never_transfers_twice(stripe_api, canada, artist):
    stripe_api.hang_next(1, stage="during")
    first = asyncio.create_task(pay(canada, artist))
    with anyio.fail_after(5):
        await stripe_api.until_held(1)

    with pytest.raises(StripeUnavailable):
        await pay(canada, artist)
    stripe_api.release_hangs()
    with anyio.fail_after(5):
        made = await first

    assert [t["id"] for t in stripe_api.transfers] == [made.transfer_id]
    assert [r.status for r in stripe_api.requests] == [200, 409, 409, 409]


# -- refusals ------------------------------------------------------------------------------------------------


async def test_insufficient_balance_is_declined_with_a_sentence_finance_can_act_on(stripe_api, canada, artist):
    stripe_api.set_balance("canada", "cad", 1_000)

    with pytest.raises(StripeDeclined) as declined:
        await pay(canada, artist, "15.00")

    assert declined.value.reason.startswith(
        "The Canada Stripe account's available CAD balance is too low for this transfer"
    )
    assert stripe_api.balance("canada", "cad") == 1_000


async def test_unknown_destination_is_declined(stripe_api, canada):
    with pytest.raises(
        StripeDeclined, match="acct_1Gone does not exist or is not connected to the Canada Stripe account"
    ):
        await pay(canada, "acct_1Gone")

    assert stripe_api.transfers == []


async def test_destination_that_cannot_receive_transfers_is_declined(stripe_api, canada):
    artist = stripe_api.add_connected_account("canada", transfers="inactive")

    with pytest.raises(StripeDeclined, match="has to finish Stripe onboarding"):
        await pay(canada, artist)


async def test_amount_with_more_precision_than_the_currency_never_reaches_stripe(stripe_api, canada, artist):
    with pytest.raises(InvalidAmount):
        await pay(canada, artist, "10.001")
    with pytest.raises(InvalidAmount, match="must be positive"):
        await pay(canada, artist, "0")

    assert stripe_api.requests == []


async def test_wrong_key_is_rejected_naming_the_setting(stripe_api):
    wrong = StripeRegions.from_keys(
        canada_secret_key="sk_test_wrong", intl_secret_key=None, api_base=stripe_api.base_url
    )
    try:
        with pytest.raises(StripeKeyRejected, match="STRIPE_CANADA_SECRET_KEY"):
            await wrong.for_region("canada").ping()
        with pytest.raises(StripeNotConfigured, match="Stripe rejected the Canada secret key"):
            await pay(wrong.for_region("canada"), "acct_1Any")
    finally:
        await wrong.aclose()
    assert len(stripe_api.requests) == 2


# -- accounts, reconciliation, regions ---------------------------------------------------------------------------


async def test_connected_account_reports_payouts_and_transfers(stripe_api, canada):
    ready = stripe_api.add_connected_account("canada")
    onboarding = stripe_api.add_connected_account("canada", payouts_enabled=False, transfers="pending")

    assert await canada.get_connected_account(ready) == ConnectedAccount(ready, True, True)
    assert await canada.get_connected_account(onboarding) == ConnectedAccount(onboarding, False, False)


async def test_unknown_connected_account_is_declined(canada):
    with pytest.raises(StripeDeclined, match="acct_1Nobody does not exist or is not connected"):
        await canada.get_connected_account("acct_1Nobody")


async def test_transfer_is_found_by_its_group_for_reconciliation(canada, artist):
    made = await pay(canada, artist, key="pay-7")

    assert await canada.find_transfer_by_group("group-pay-7") == made
    assert await canada.find_transfer_by_group("group-never-paid") is None


async def test_two_transfers_in_one_group_are_reported_not_hidden(canada, artist):
    for key in ("a", "b"):
        await canada.create_transfer(
            Decimal(1), "CAD", destination=artist, idempotency_key=key, metadata={}, transfer_group="g"
        )

    with pytest.raises(DuplicateTransfers, match="2 transfers in group g"):
        await canada.find_transfer_by_group("g")


async def test_ping_answers_when_the_key_works(regions):
    await regions.ping()


def test_region_without_a_key_names_the_missing_setting(regions):
    assert regions.configured_regions == ("canada",)
    with pytest.raises(StripeNotConfigured, match="set STRIPE_INTL_SECRET_KEY"):
        regions.for_region("international")
    with pytest.raises(StripeNotConfigured, match="must be 'canada' or 'international'"):
        regions.for_region("mars")


async def test_no_keys_at_all_means_payments_are_not_configured():
    regions = StripeRegions.from_keys(canada_secret_key="", intl_secret_key=None)

    with pytest.raises(StripeNotConfigured, match="set STRIPE_CANADA_SECRET_KEY"):
        regions.for_region("Canada")
    await regions.ping()
    await regions.aclose()
