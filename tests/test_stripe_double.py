"""The Stripe double, driven through the real `stripe` SDK: wire format, idempotency, errors, faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import anyio
import pytest
import stripe

from tests.doubles.stripe_api import (
    CANADA_SECRET_KEY,
    INTERNATIONAL_SECRET_KEY,
    StripeDouble,
    running_stripe_double,
)


@pytest.fixture
def stripe_api() -> Iterator[StripeDouble]:
    with running_stripe_double() as double:
        yield double


@pytest.fixture
async def canada(stripe_api: StripeDouble) -> AsyncIterator[stripe.StripeClient]:
    async with sdk(stripe_api, CANADA_SECRET_KEY) as client:
        yield client


class sdk:  # noqa: N801 - reads as the call it wraps: `async with sdk(double, key) as client`
    """A real StripeClient on aiohttp pointed at the double, closed on exit."""

    def __init__(self, double: StripeDouble, key: str, timeout: float = 5.0) -> None:
        self.http = stripe.AIOHTTPClient(timeout=timeout)
        self.client = stripe.StripeClient(
            key, base_addresses={"api": double.base_url}, http_client=self.http, max_network_retries=0
        )

    async def __aenter__(self) -> stripe.StripeClient:
        return self.client

    async def __aexit__(self, *_: object) -> None:
        await self.http.close_async()


def transfer_params(destination: str, amount: int = 1500, group: str = "pay-1") -> dict:
    return {
        "amount": amount,
        "currency": "cad",
        "destination": destination,
        "transfer_group": group,
        "metadata": {"eid": "AB4001", "artist_profile_id": "a-1"},
    }


async def test_transfer_is_created_in_stripes_shape_and_reduces_the_available_balance(stripe_api, canada):
    artist = stripe_api.add_connected_account("canada")
    stripe_api.set_balance("canada", "cad", 10_000)

    transfer = await canada.v1.transfers.create_async(transfer_params(artist), {"idempotency_key": "k-1"})

    assert transfer.id.startswith("tr_")
    assert transfer.object == "transfer"
    assert (transfer.amount, transfer.currency, transfer.destination) == (1500, "cad", artist)
    assert transfer.metadata.to_dict() == {"eid": "AB4001", "artist_profile_id": "a-1"}
    assert (transfer.transfer_group, transfer.reversed, transfer.livemode) == ("pay-1", False, False)
    assert stripe_api.balance("canada", "cad") == 8_500
    balance = await canada.v1.balance.retrieve_async()
    assert [(f.currency, f.amount) for f in balance.available] == [("cad", 8_500)]


async def test_same_key_and_parameters_replays_the_first_transfer_without_a_second_one(stripe_api, canada):
    artist = stripe_api.add_connected_account("canada")

    first = await canada.v1.transfers.create_async(transfer_params(artist), {"idempotency_key": "k-1"})
    again = await canada.v1.transfers.create_async(transfer_params(artist), {"idempotency_key": "k-1"})

    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert again.last_response.headers["Original-Request"] == first.last_response.request_id
    assert len(stripe_api.transfers) == 1
    assert [r.replayed for r in stripe_api.requests] == [False, True]


async def test_same_key_with_other_parameters_is_an_idempotency_error(stripe_api, canada):
    artist = stripe_api.add_connected_account("canada")
    await canada.v1.transfers.create_async(transfer_params(artist), {"idempotency_key": "k-1"})

    with pytest.raises(stripe.IdempotencyError) as refused:
        await canada.v1.transfers.create_async(transfer_params(artist, amount=1501), {"idempotency_key": "k-1"})

    assert refused.value.http_status == 400
    assert str(refused.value.user_message).startswith(
        "Keys for idempotent requests can only be used with the same parameters they were first used with"
    )
    assert len(stripe_api.transfers) == 1


async def test_key_still_in_flight_gets_409_and_the_first_request_still_completes(stripe_api, canada):
    artist = stripe_api.add_connected_account("canada")
    stripe_api.hang_next(1, stage="during")

    first = asyncio.create_task(canada.v1.transfers.create_async(transfer_params(artist), {"idempotency_key": "k-1"}))
    with anyio.fail_after(5):
        await stripe_api.until_held(1)
    with pytest.raises(stripe.APIError) as busy:
        await canada.v1.transfers.create_async(transfer_params(artist), {"idempotency_key": "k-1"})
    stripe_api.release_hangs()
    with anyio.fail_after(5):
        made = await first

    assert busy.value.http_status == 409
    assert busy.value.error is not None
    assert (busy.value.error.type, busy.value.error.code) == ("idempotency_error", "idempotency_key_in_use")
    assert [t["id"] for t in stripe_api.transfers] == [made.id]


async def test_idempotency_keys_belong_to_one_platform_account(stripe_api, canada):
    canadian = stripe_api.add_connected_account("canada")
    american = stripe_api.add_connected_account("international", country="US", default_currency="usd")
    await canada.v1.transfers.create_async(transfer_params(canadian), {"idempotency_key": "k-1"})

    async with sdk(stripe_api, INTERNATIONAL_SECRET_KEY) as international:
        usd = {**transfer_params(american), "currency": "usd"}
        await international.v1.transfers.create_async(usd, {"idempotency_key": "k-1"})

    assert [len(stripe_api.transfers_of(p)) for p in ("canada", "international")] == [1, 1]


async def test_insufficient_balance_is_balance_insufficient_and_is_replayed_for_the_same_key(stripe_api, canada):
    artist = stripe_api.add_connected_account("canada")
    stripe_api.set_balance("canada", "cad", 1_499)

    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            await canada.v1.transfers.create_async(transfer_params(artist), {"idempotency_key": "k-1"})
        assert (refused.value.http_status, refused.value.code) == (400, "balance_insufficient")

    assert stripe_api.balance("canada", "cad") == 1_499
    assert stripe_api.transfers == []
    assert [r.replayed for r in stripe_api.requests] == [False, True]


async def test_transfer_in_a_currency_the_platform_does_not_hold_is_balance_insufficient(stripe_api, canada):
    artist = stripe_api.add_connected_account("canada")

    with pytest.raises(stripe.InvalidRequestError) as refused:
        await canada.v1.transfers.create_async({**transfer_params(artist), "currency": "usd"})

    assert refused.value.code == "balance_insufficient"


async def test_unknown_destination_is_resource_missing_on_destination(stripe_api, canada):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await canada.v1.transfers.create_async(transfer_params("acct_1NotConnected00"))

    assert (refused.value.http_status, refused.value.code, refused.value.param) == (
        400,
        "resource_missing",
        "destination",
    )
    assert "No such destination: 'acct_1NotConnected00'" in str(refused.value.user_message)


async def test_destination_without_an_active_transfers_capability_is_refused(stripe_api, canada):
    artist = stripe_api.add_connected_account("canada", transfers="inactive", payouts_enabled=False)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        await canada.v1.transfers.create_async(transfer_params(artist))

    assert refused.value.code == "insufficient_capabilities_for_transfer"
    assert stripe_api.transfers == []


async def test_amount_below_one_fails_validation_and_leaves_the_key_unused(stripe_api, canada):
    artist = stripe_api.add_connected_account("canada")

    with pytest.raises(stripe.InvalidRequestError) as refused:
        await canada.v1.transfers.create_async(transfer_params(artist, amount=0), {"idempotency_key": "k-1"})
    made = await canada.v1.transfers.create_async(transfer_params(artist), {"idempotency_key": "k-1"})

    assert (refused.value.code, refused.value.param) == ("parameter_invalid_integer", "amount")
    assert [t["id"] for t in stripe_api.transfers] == [made.id]


async def test_missing_and_unknown_parameters_are_refused_like_stripe(stripe_api, canada):
    artist = stripe_api.add_connected_account("canada")

    with pytest.raises(stripe.InvalidRequestError) as missing:
        await canada.v1.transfers.create_async({"amount": 100, "currency": "cad"})  # type: ignore[typeddict-item]
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        await canada.v1.transfers.create_async({**transfer_params(artist), "colour": "blue"})

    assert (missing.value.code, missing.value.param) == ("parameter_missing", "destination")
    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "colour")


async def test_zero_decimal_currency_amounts_are_whole_units_on_the_wire(stripe_api):
    artist = stripe_api.add_connected_account("international", country="JP", default_currency="jpy")
    stripe_api.set_balance("international", "jpy", 50_000)

    async with sdk(stripe_api, INTERNATIONAL_SECRET_KEY) as international:
        made = await international.v1.transfers.create_async({**transfer_params(artist, 12_000), "currency": "jpy"})

    assert (made.amount, made.currency) == (12_000, "jpy")
    assert stripe_api.balance("international", "jpy") == 38_000


async def test_wrong_secret_key_is_401_authentication_error(stripe_api):
    async with sdk(stripe_api, "sk_test_not_a_key_of_this_double") as stranger:
        with pytest.raises(stripe.AuthenticationError) as refused:
            await stranger.v1.balance.retrieve_async()

    assert refused.value.http_status == 401
    assert "Invalid API Key provided: sk_test_" in str(refused.value.user_message)
    assert stripe_api.requests[0].platform is None


async def test_connected_account_reports_payouts_charges_and_transfers_capability(stripe_api, canada):
    artist = stripe_api.add_connected_account("canada", payouts_enabled=False, transfers="pending")

    account = await canada.v1.accounts.retrieve_async(artist)

    assert (account.id, account.object) == (artist, "account")
    assert (account.payouts_enabled, account.charges_enabled) == (False, True)
    assert account.capabilities is not None
    assert account.capabilities.transfers == "pending"


async def test_account_of_another_platform_is_not_visible(stripe_api, canada):
    elsewhere = stripe_api.add_connected_account("international")

    with pytest.raises(stripe.PermissionError) as refused:
        await canada.v1.accounts.retrieve_async(elsewhere)

    assert refused.value.http_status == 403
    assert refused.value.error is not None
    assert refused.value.error.code == "account_invalid"


async def test_transfers_are_retrieved_by_id_and_listed_newest_first_by_group(stripe_api, canada):
    artist = stripe_api.add_connected_account("canada")
    first = await canada.v1.transfers.create_async(transfer_params(artist, group="pay-1"))
    second = await canada.v1.transfers.create_async(transfer_params(artist, amount=10, group="pay-1"))
    await canada.v1.transfers.create_async(transfer_params(artist, group="pay-2"))

    fetched = await canada.v1.transfers.retrieve_async(first.id)
    listed = await canada.v1.transfers.list_async({"transfer_group": "pay-1"})
    with pytest.raises(stripe.InvalidRequestError) as missing:
        await canada.v1.transfers.retrieve_async("tr_1Unknown")

    assert fetched.amount == first.amount
    assert [t.id for t in listed.data] == [second.id, first.id]
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


async def test_injected_500_is_stripes_api_error_and_saves_nothing_under_the_key(stripe_api, canada):
    artist = stripe_api.add_connected_account("canada")
    stripe_api.fail_next(1, status=500)

    with pytest.raises(stripe.APIError) as failed:
        await canada.v1.transfers.create_async(transfer_params(artist), {"idempotency_key": "k-1"})
    made = await canada.v1.transfers.create_async(transfer_params(artist), {"idempotency_key": "k-1"})

    assert failed.value.http_status == 500
    assert failed.value.error is not None
    assert failed.value.error.type == "api_error"
    assert [t["id"] for t in stripe_api.transfers] == [made.id]


async def test_request_held_before_the_api_makes_the_client_time_out_with_nothing_done(stripe_api):
    artist = stripe_api.add_connected_account("canada")
    stripe_api.hang_next(1)

    async with sdk(stripe_api, CANADA_SECRET_KEY, timeout=0.2) as impatient:
        with pytest.raises(stripe.APIConnectionError):
            await impatient.v1.transfers.create_async(transfer_params(artist), {"idempotency_key": "k-1"})

    assert stripe_api.transfers == []


async def test_answer_held_after_the_transfer_is_lost_but_the_key_replays_it(stripe_api):
    artist = stripe_api.add_connected_account("canada")
    stripe_api.hang_next(1, stage="after")

    async with sdk(stripe_api, CANADA_SECRET_KEY, timeout=0.2) as impatient:
        with pytest.raises(stripe.APIConnectionError):
            await impatient.v1.transfers.create_async(transfer_params(artist), {"idempotency_key": "k-1"})
        replayed = await impatient.v1.transfers.create_async(transfer_params(artist), {"idempotency_key": "k-1"})

    assert [t["id"] for t in stripe_api.transfers] == [replayed.id]


async def test_request_log_keeps_method_path_key_and_form_parameters(stripe_api, canada):
    artist = stripe_api.add_connected_account("canada")

    await canada.v1.transfers.create_async(transfer_params(artist), {"idempotency_key": "k-1"})

    (logged,) = stripe_api.requests
    assert (logged.method, logged.path, logged.platform, logged.status) == ("POST", "/v1/transfers", "canada", 200)
    assert logged.idempotency_key == "k-1"
    assert logged.params["amount"] == "1500"
    assert logged.params["metadata[eid]"] == "AB4001"
