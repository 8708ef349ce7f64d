"""Paying an artist: preview, then (with a human's confirmation) exactly one Stripe transfer.

preview  -> rules (event, currency, amount, caps, owed, account) -> a confirmation token for the way this
            client confirms (its host's dialog, or out of band); none for a client that cannot ask a human
execute  -> token verified for these arguments, this caller and the way it came back
         -> under locks: destination unchanged, rules again, write 'processing' (one transaction)
         -> Stripe transfer to the confirmed account, Idempotency-Key = transfer_group = the request's key
         -> 'paid' with the transfer id, or 'failed' with a reason (outcome_unknown when Stripe never
            answered: the next confirm of the same token, or `reconcile`, settles it)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog

from mcp_server.domain.eid import closest_eids
from mcp_server.domain.models import money_text
from mcp_server.errors import DuplicatePayout, UnknownEvent
from mcp_server.payments.confirmation import Channel, ConfirmationTokens, Confirmed, PaymentRequest
from mcp_server.payments.models import PaymentResult
from mcp_server.payments.rules import CheckedPayment, PaymentLimits, check_destination, checked_payment
from mcp_server.payments.settlement import Settlement, outcome
from mcp_server.payments.stripe_client import StripeRegions
from mcp_server.repository.events import known_eids
from mcp_server.repository.ledger import Ledger, NewPayout, OpenPayoutRow, PayoutContext, PayoutRow
from mcp_server.repository.pool import Database

_log = structlog.get_logger("abcodex.payments")

NO_HUMAN_IN_THE_LOOP = (
    "Nothing was paid, and this client cannot confirm payments: money moves only on a person's explicit yes, "
    "asked by the client itself. Use a client that shows a confirmation dialog (such as Claude Desktop with MCP "
    "elicitation) or the Slack bot, whose Confirm button asks the person."
)


@dataclass
class PaymentService:
    db: Database
    stripe: StripeRegions
    tokens: ConfirmationTokens
    limits: PaymentLimits
    ledger: Ledger = field(init=False)
    settlement: Settlement = field(init=False)
    _key_locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.db)
        self.settlement = Settlement(self.ledger, self.stripe)

    async def preview(self, request: PaymentRequest, via: Channel | None) -> PaymentResult:
        """The checked preview; with a token for `via`, or (None: the client cannot ask a human) without one."""
        context = await self.ledger.context(request.eid, request.artist_profile_id, request.caller, request.currency)
        checked = await self._checked(request, context)
        preview = checked.preview
        if via is None:
            return PaymentResult(status="needs_confirmation", preview=preview, message=NO_HUMAN_IN_THE_LOOP)
        issued = self.tokens.issue(request, checked.destination, via)
        return PaymentResult(
            status="needs_confirmation",
            preview=preview,
            confirmation_token=issued.token,
            expires_at=datetime.fromtimestamp(issued.expires_at, UTC).isoformat(timespec="seconds"),
            message=(
                f"Ready to pay {preview.artist_name} {money_text(preview.amount)} {preview.currency} for {preview.eid} "
                f"from the {preview.paying_stripe_account} Stripe account; a person must confirm."
            ),
        )

    async def execute(
        self, request: PaymentRequest, token: str, via: Channel, acting_user: str | None
    ) -> PaymentResult:
        """Pay on a verified confirmation, at most once per token; the same token again returns the same outcome."""
        confirmed = self.tokens.verify(token, request, via)
        key = confirmed.idempotency_key
        async with self._one_at_a_time(key):
            row = await self.ledger.existing(key)
            resuming = row is not None
            if row is None:
                try:
                    row = await self._write_processing(request, confirmed, acting_user)
                except DuplicatePayout:  # another replica wrote this key first: settle it as a resumed payout
                    row, resuming = await self.ledger.existing(key), True
                    assert row is not None
            if not row.needs_stripe:
                return outcome(row, repeated=True)
            return await self._settle(row, request, resuming=resuming)

    async def resolve(self, open_payout: OpenPayoutRow) -> PaymentResult:
        """Settle a payout a crash or an outage left open (the `reconcile` command)."""
        row = open_payout.payout
        request = PaymentRequest(
            open_payout.eid,
            open_payout.artist_profile_id,
            open_payout.amount,
            open_payout.currency,
            open_payout.client_name,
        )
        async with self._one_at_a_time(row.idempotency_key):
            current = await self.ledger.existing(row.idempotency_key)
            if current is None or not current.needs_stripe:
                return outcome(current or row, repeated=True)
            return await self._settle(current, request, resuming=True)

    async def unresolved(self) -> list[OpenPayoutRow]:
        """Payouts without a known outcome, oldest first."""
        return await self.ledger.unresolved()

    async def _write_processing(
        self, request: PaymentRequest, confirmed: Confirmed, acting_user: str | None
    ) -> PayoutRow:
        async def still_as_confirmed(context: PayoutContext | None) -> None:
            check_destination(confirmed.destination, context)  # before the rules: say first what changed
            await self._checked(request, context)  # owed and caps again, now under the locks

        payout = NewPayout(
            idempotency_key=confirmed.idempotency_key,
            eid=request.eid,
            artist_profile_id=request.artist_profile_id,
            amount=request.amount,
            currency=request.currency,
            client_name=request.caller,
            acting_user=acting_user,
            destination_account=confirmed.destination.account,
        )
        return await self.ledger.write_processing(payout, still_as_confirmed)

    async def _settle(self, row: PayoutRow, request: PaymentRequest, *, resuming: bool) -> PaymentResult:
        settled = await self.settlement.settle(row, request, resuming=resuming)
        _log.info(
            "payout_settled",
            payment_id=settled.payment_id,
            status=settled.status,
            outcome_unknown=settled.outcome_unknown,
        )
        return outcome(settled, repeated=False)

    async def _checked(self, request: PaymentRequest, context: PayoutContext | None) -> CheckedPayment:
        if context is None:
            raise UnknownEvent(request.eid, closest_eids(request.eid, await known_eids(self.db)))
        return checked_payment(request, context, self.limits, self.stripe)

    @contextlib.asynccontextmanager
    async def _one_at_a_time(self, key: str) -> AsyncIterator[None]:
        """Concurrent confirms of one token in this process wait for the first; replicas rely on the ledger's key."""
        lock = self._key_locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and not getattr(lock, "_waiters", None):
                self._key_locks.pop(key, None)

    async def close(self) -> None:
        await self.stripe.aclose()
