"""Confirmations: only the requester's click (with the role) runs the action, at most once."""

from __future__ import annotations

import asyncio

from slack_client.confirmations import Confirmations, new_pending
from slack_client.errors import GatewayUnavailable
from slack_client.models import Actor, ToolOutcome
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
