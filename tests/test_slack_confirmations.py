"""Confirmations: only the requester's click (with the role) runs the action, at most once."""

from __future__ import annotations

import asyncio

import pytest

from slack_client.button_seal import MAX_BUTTON_VALUE, ButtonSeal
from slack_client.confirmations import Confirmations, new_pending
from slack_client.errors import ConfigError, GatewayUnavailable
from slack_client.models import Actor, ToolOutcome
from slack_client.settings import load_settings
from tests.slack_fixtures import FakeGateway, shipped_policy, tool

pytest_plugins = ["tests.slack_fixtures"]

REQUESTER = Actor("req-1", "U0FINANCE1", "finance", "C1")
ARGS = {"eid": "AB4002", "artist_profile_id": "a-1", "amount": "100.00", "currency": "CAD"}
PREVIEW = {
    "status": "needs_confirmation",
    "preview": {"artist": "Ana"},
    "confirmation_token": "tok-1",
    "expires_at": "2999-01-01T00:00:00Z",
}
PAID = ToolOutcome(False, "paid", {"status": "paid", "payment_id": "p-1", "stripe_transfer_id": "tr_1"})
ROLES = {"U0FINANCE1": "finance", "U0FINANCE2": "finance", "U0STAFF001": "staff"}


def service(gateway: FakeGateway, roles=ROLES, clock=None) -> Confirmations:
    kwargs = {"clock": clock} if clock else {}
    return Confirmations(gateway, shipped_policy(), lambda user: roles.get(user, "staff"), **kwargs)


def paying_gateway(outcome=PAID) -> FakeGateway:
    return FakeGateway(
        [tool("process_artist_payment", read_only=False)], {"process_artist_payment": lambda a, _: outcome}
    )


async def test_the_requesters_click_sends_the_gateways_token_once():
    gateway = paying_gateway()
    confirmations = service(gateway)
    pending = new_pending(REQUESTER, "process_artist_payment", ARGS, PREVIEW)
    confirmations.add(pending)

    result = await confirmations.confirm(pending.id, "U0FINANCE1", "req-9")

    assert result.verdict == "done" and "tr_1" in result.message
    assert gateway.calls == [
        (
            "process_artist_payment",
            {**ARGS, "confirmation_token": "tok-1"},
            Actor("req-9", "U0FINANCE1", "finance", "C1", None),
        )
    ]


async def test_a_click_by_someone_else_does_nothing_and_leaves_it_pending():
    gateway = paying_gateway()
    confirmations = service(gateway)
    pending = new_pending(REQUESTER, "process_artist_payment", ARGS, PREVIEW)
    confirmations.add(pending)

    result = await confirmations.confirm(pending.id, "U0FINANCE2", "req-9")

    assert result.verdict == "not_yours" and "<@U0FINANCE1>" in result.message
    assert gateway.calls == [] and confirmations.get(pending.id) is not None


async def test_two_quick_clicks_execute_once():
    gateway = paying_gateway()
    confirmations = service(gateway)
    pending = new_pending(REQUESTER, "process_artist_payment", ARGS, PREVIEW)
    confirmations.add(pending)

    results = await asyncio.gather(*(confirmations.confirm(pending.id, "U0FINANCE1", f"r{i}") for i in range(5)))

    assert sorted(r.verdict for r in results) == ["done", "unknown", "unknown", "unknown", "unknown"]
    assert len(gateway.calls) == 1


async def test_a_late_click_finds_it_expired_and_nothing_runs():
    gateway = paying_gateway()
    now = [0.0]
    confirmations = service(gateway, clock=lambda: now[0])
    pending = new_pending(REQUESTER, "process_artist_payment", ARGS, {**PREVIEW, "expires_at": 100.0})
    confirmations.add(pending)
    now[0] = 101.0

    result = await confirmations.confirm(pending.id, "U0FINANCE1", "r")

    assert result.verdict == "expired" and gateway.calls == []


async def test_a_requester_who_lost_the_finance_role_cannot_confirm():
    gateway = paying_gateway()
    confirmations = service(gateway, roles={"U0FINANCE1": "staff"})
    pending = new_pending(REQUESTER, "process_artist_payment", ARGS, PREVIEW)
    confirmations.add(pending)

    result = await confirmations.confirm(pending.id, "U0FINANCE1", "r")

    assert result.verdict == "not_allowed" and gateway.calls == []


async def test_cancel_drops_it_and_a_later_confirm_finds_nothing():
    gateway = paying_gateway()
    confirmations = service(gateway)
    pending = new_pending(REQUESTER, "process_artist_payment", ARGS, PREVIEW)
    confirmations.add(pending)

    assert confirmations.cancel(pending.id, "U0FINANCE1").verdict == "cancelled"
    assert (await confirmations.confirm(pending.id, "U0FINANCE1", "r")).verdict == "unknown"
    assert gateway.calls == []


async def test_a_failed_payment_reports_the_gateways_reason():
    failed = ToolOutcome(
        False, "failed", {"status": "failed", "error": "The artist's Stripe account cannot receive payouts."}
    )
    confirmations = service(paying_gateway(failed))
    pending = new_pending(REQUESTER, "process_artist_payment", ARGS, PREVIEW)
    confirmations.add(pending)

    result = await confirmations.confirm(pending.id, "U0FINANCE1", "r")

    assert result.verdict == "failed" and "cannot receive payouts" in result.message


async def test_an_unreachable_gateway_keeps_it_pending_so_the_click_can_be_retried():
    async def down(arguments, actor):
        raise GatewayUnavailable("connection refused")

    gateway = FakeGateway([tool("process_artist_payment", read_only=False)], {"process_artist_payment": down})
    confirmations = service(gateway)
    pending = new_pending(REQUESTER, "process_artist_payment", ARGS, PREVIEW)
    confirmations.add(pending)

    result = await confirmations.confirm(pending.id, "U0FINANCE1", "r")

    assert result.verdict == "unreachable" and confirmations.get(pending.id) is not None


# -- sealed buttons: any replica can act on a click ------------------------------------------------

KEY = b"k" * 32


def replica(gateway: FakeGateway, key: bytes = KEY, clock=None) -> Confirmations:
    """One bot process's confirmations; replicas built with the same key accept each other's buttons."""
    kwargs = {"clock": clock} if clock else {}
    return Confirmations(
        gateway, shipped_policy(), lambda user: ROLES.get(user, "staff"), seal=ButtonSeal(key), **kwargs
    )


def posted(confirmations: Confirmations, structured=PREVIEW) -> str:
    """What the Confirm button carries after the posting replica added the action."""
    return confirmations.add(new_pending(REQUESTER, "process_artist_payment", ARGS, structured))


async def test_a_click_reaching_another_replica_sends_the_gateways_token_once():
    gateway = paying_gateway()
    value = posted(replica(gateway))
    other = replica(gateway)

    first = await other.confirm(value, "U0FINANCE1", "req-9")
    second = await other.confirm(value, "U0FINANCE1", "req-10")

    assert value.startswith("c1.") and "tok-1" not in value
    assert first.verdict == "done" and "tr_1" in first.message and first.pending is not None
    assert first.pending.preview == {"artist": "Ana"}  # the outcome message can show the preview again
    assert second.verdict == "unknown"
    assert gateway.calls == [
        (
            "process_artist_payment",
            {**ARGS, "confirmation_token": "tok-1"},
            Actor("req-9", "U0FINANCE1", "finance", "C1", None),
        )
    ]


async def test_quick_clicks_on_one_replica_execute_once():
    gateway = paying_gateway()
    value = posted(replica(gateway))
    other = replica(gateway)

    results = await asyncio.gather(*(other.confirm(value, "U0FINANCE1", f"r{i}") for i in range(5)))

    assert sorted(r.verdict for r in results) == ["done", "unknown", "unknown", "unknown", "unknown"]
    assert len(gateway.calls) == 1


async def test_a_button_value_with_one_character_changed_changes_nothing():
    gateway = paying_gateway()
    poster = replica(gateway)
    value = posted(poster)
    middle = len(value) // 2
    tampered = value[:middle] + ("A" if value[middle] != "A" else "B") + value[middle + 1 :]

    results = [await r.confirm(tampered, "U0FINANCE1", "r") for r in (poster, replica(gateway))]

    assert [r.verdict for r in results] == ["invalid", "invalid"] and gateway.calls == []
    assert (await poster.confirm(value, "U0FINANCE1", "r")).verdict == "done"  # the real button still works


async def test_a_button_sealed_with_another_key_is_refused():
    gateway = paying_gateway()
    value = posted(replica(gateway, key=b"x" * 32))

    result = await replica(gateway).confirm(value, "U0FINANCE1", "r")

    assert result.verdict == "invalid" and gateway.calls == []


async def test_a_late_click_on_another_replica_finds_it_expired_and_nothing_runs():
    gateway = paying_gateway()
    now = [0.0]
    value = posted(replica(gateway, clock=lambda: now[0]), {**PREVIEW, "expires_at": 100.0})
    now[0] = 101.0

    result = await replica(gateway, clock=lambda: now[0]).confirm(value, "U0FINANCE1", "r")

    assert result.verdict == "expired" and gateway.calls == []


async def test_a_click_by_someone_else_is_refused_on_either_replica():
    gateway = paying_gateway()
    poster = replica(gateway)
    value = posted(poster)
    other = replica(gateway)

    refused = [await r.confirm(value, "U0FINANCE2", "r") for r in (poster, other)]
    refused.append(other.cancel(value, "U0FINANCE2"))

    assert [r.verdict for r in refused] == ["not_yours", "not_yours", "not_yours"] and gateway.calls == []
    assert (await other.confirm(value, "U0FINANCE1", "r")).verdict == "done"  # still the requester's to confirm


async def test_cancel_on_another_replica_drops_it_there():
    gateway = paying_gateway()
    value = posted(replica(gateway))
    other = replica(gateway)

    assert other.cancel(value, "U0FINANCE1").verdict == "cancelled"
    assert (await other.confirm(value, "U0FINANCE1", "r")).verdict == "unknown"
    assert gateway.calls == []


async def test_a_requester_who_lost_the_role_cannot_confirm_on_another_replica():
    gateway = paying_gateway()
    value = posted(replica(gateway))
    demoted = Confirmations(gateway, shipped_policy(), lambda _user: "staff", seal=ButtonSeal(KEY))

    result = await demoted.confirm(value, "U0FINANCE1", "r")

    assert result.verdict == "not_allowed" and gateway.calls == []


async def test_an_action_too_large_for_a_button_falls_back_to_this_replicas_memory():
    gateway = paying_gateway()
    poster = replica(gateway)
    huge = {**PREVIEW, "confirmation_token": "t" * MAX_BUTTON_VALUE}

    value = posted(poster, huge)

    assert not value.startswith("c1.") and len(value) <= MAX_BUTTON_VALUE
    assert (await replica(gateway).confirm(value, "U0FINANCE1", "r")).verdict == "unknown"
    assert (await poster.confirm(value, "U0FINANCE1", "r")).verdict == "done"
    assert gateway.calls[0][1]["confirmation_token"] == "t" * MAX_BUTTON_VALUE


def test_a_payment_with_a_gateway_sized_token_fits_a_slack_button():
    token = "e" * 260 + "." + "m" * 43  # the gateway's tokens: base64url JSON of the request, a dot, HMAC-SHA256
    preview = {
        "artist": "Sofia Marchetti",
        "event": "AB4002 — Art Battle Toronto",
        "amount": "400.00",
        "currency": "CAD",
        "owed_total": "400.00",
        "stripe_account": "acct_demoA3sofiam",
        "paid_from": "canada",
    }
    args = {**ARGS, "artist_profile_id": "0b6f1f52-3f4c-5a9e-8a57-2f1d0c1f5e3a"}
    structured = {"preview": preview, "confirmation_token": token, "expires_at": "2999-01-01T00:00:00Z"}

    value = ButtonSeal(KEY).seal(new_pending(REQUESTER, "process_artist_payment", args, structured))

    assert value is not None and len(value) <= MAX_BUTTON_VALUE
    assert ButtonSeal(KEY).open(value) is not None


def test_the_state_key_is_the_same_on_every_replica_and_a_short_secret_is_named(monkeypatch):
    monkeypatch.delenv("BOT_STATE_SECRET", raising=False)
    base = {"mcp_gateway_auth_token": "t", "anthropic_api_key": "k", "slack_signing_secret": "s" * 20}

    assert load_settings(**base).state_key() == load_settings(**base).state_key()
    explicit = load_settings(**base, bot_state_secret="b" * 32).state_key()
    assert explicit != load_settings(**base).state_key()
    with pytest.raises(ConfigError, match="BOT_STATE_SECRET"):
        load_settings(**base, bot_state_secret="too-short")


async def test_an_action_without_a_gateway_token_stays_with_the_replica_that_posted_it():
    gateway = paying_gateway()
    poster = replica(gateway)
    pending = new_pending(REQUESTER, "process_artist_payment", ARGS, {"preview": ARGS})

    value = poster.add(pending)

    assert value == pending.id  # nothing would stop another replica from running it a second time
    assert (await replica(gateway).confirm(value, "U0FINANCE1", "r")).verdict == "unknown"
    assert (await poster.confirm(value, "U0FINANCE1", "r")).verdict == "done" and len(gateway.calls) == 1
