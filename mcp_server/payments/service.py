"""Paying an artist: preview, then (with a human's confirmation) exactly one Stripe transfer.

preview  -> checks (event, currency, amount, caps, owed, account) -> confirmation token, no side effect
execute  -> token verified for these arguments and this caller
         -> under locks: re-check, write artist_payments 'processing' + the request row (one transaction)
         -> Stripe transfer with Idempotency-Key = the request's key, transfer_group = the same key
         -> 'paid' with the transfer id, or 'failed' with a reason (outcome_unknown when Stripe never
            answered: the next confirm of the same token, or `reconcile`, settles it)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import structlog

from mcp_server.domain.eid import closest_eids
from mcp_server.domain.models import money_text
from mcp_server.errors import InvalidArgument, UnknownEvent
from mcp_server.payments.confirmation import ConfirmationTokens, PaymentRequest
from mcp_server.payments.errors import (
    DuplicateTransfers,
    IdempotencyConflict,
    PaymentError,
    StripeDeclined,
    StripeUnavailable,
)
from mcp_server.payments.ledger import Ledger, PayoutContext, PayoutRow
from mcp_server.payments.models import PaymentPreview, PaymentResult
from mcp_server.payments.stripe_amounts import to_minor_units
from mcp_server.payments.stripe_gateway import REGIONS, StripeRegions
from mcp_server.repository.events import known_eids
from mcp_server.repository.pool import Database

_log = structlog.get_logger("abcodex.payments")


@dataclass(frozen=True)
class PaymentLimits:
    max_amount: Decimal
    daily_cap: Decimal


@dataclass
class PaymentService:
    db: Database
    stripe: StripeRegions
    tokens: ConfirmationTokens
    limits: PaymentLimits
    ledger: Ledger = field(init=False)
    _key_locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.db)

    async def preview(self, request: PaymentRequest) -> PaymentResult:
        async with self.db.transaction() as connection:
            context = await self.ledger.context(connection, request)
        preview = await self._checked_preview(request, context)
        issued = self.tokens.issue(request)
        expires = datetime.fromtimestamp(issued.expires_at, UTC).isoformat(timespec="seconds")
        return PaymentResult(
            status="needs_confirmation",
            preview=preview,
            confirmation_token=issued.token,
            expires_at=expires,
            message=(
                f"Ready to pay {preview.artist_name} {preview.amount} {preview.currency} for {preview.eid} "
                f"from the {preview.paying_stripe_account} Stripe account; a person must confirm."
            ),
        )

    async def execute(self, request: PaymentRequest, token: str, acting_user: str | None) -> PaymentResult:
        key = self.tokens.verify(token, request)
        async with self._one_at_a_time(key):
            row = await self.ledger.existing(key)
            resuming = row is not None
            if row is None:
                try:
                    row = await self._write_processing(request, key, acting_user)
                except asyncpg.UniqueViolationError:  # another replica wrote this key first
                    row = await self.ledger.existing(key)
                    assert row is not None
            if not row.needs_stripe:
                return self._outcome(row, repeated=True)
            return await self._settle(row, request, resuming=resuming)

    async def resolve(self, row: PayoutRow, request: PaymentRequest) -> PaymentResult:
        """Settle a payout a crash or an outage left open (the `reconcile` command)."""
        async with self._one_at_a_time(row.idempotency_key):
            current = await self.ledger.existing(row.idempotency_key)
            if current is None or not current.needs_stripe:
                return self._outcome(current or row, repeated=True)
            return await self._settle(current, request, resuming=True)

    async def _write_processing(self, request: PaymentRequest, key: str, acting_user: str | None) -> PayoutRow:
        async with self.db.transaction() as connection:
            await self.ledger.lock(connection, request)
            context = await self.ledger.context(connection, request)
            await self._checked_preview(request, context)  # owed and caps again, now under the locks
            assert context is not None
            await self.ledger.write_processing(
                connection,
                request,
                key,
                str(context.event["id"]),
                str(context.event["stripe_account_region"]),
                acting_user,
            )
        row = await self.ledger.existing(key)
        assert row is not None
        return row

    async def _settle(self, row: PayoutRow, request: PaymentRequest, *, resuming: bool) -> PaymentResult:
        line_account = await self._destination(request)
        gateway = self.stripe.for_region(row.stripe_region)
        try:
            # A payout picked up again may already have reached Stripe (its answer lost): look before sending.
            transfer = await gateway.find_transfer_by_group(row.idempotency_key) if resuming else None
            if transfer is None:
                account = await gateway.get_connected_account(line_account)
                if not (account.payouts_enabled and account.transfers_active):
                    raise StripeDeclined(
                        f"The artist's Stripe account {line_account} cannot receive transfers yet "
                        "(payouts or the transfers capability are not enabled)."
                    )
                transfer = await gateway.create_transfer(
                    request.amount,
                    request.currency,
                    destination=line_account,
                    idempotency_key=row.idempotency_key,
                    transfer_group=row.idempotency_key,
                    metadata={
                        "eid": request.eid,
                        "artist_profile_id": request.artist_profile_id,
                        "payment_id": row.payment_id,
                        "source": "abcodex",
                    },
                )
        except (StripeUnavailable, IdempotencyConflict, DuplicateTransfers) as exc:
            # Money may have moved: keep the row resolvable (a later confirm or `reconcile` looks it up).
            await self.ledger.mark_failed(row.idempotency_key, str(exc), outcome_unknown=True)
        except PaymentError as exc:
            await self.ledger.mark_failed(row.idempotency_key, str(exc), outcome_unknown=False)
        else:
            await self.ledger.mark_paid(row.idempotency_key, transfer.transfer_id)
        settled = await self.ledger.existing(row.idempotency_key)
        assert settled is not None
        _log.info(
            "payout_settled",
            payment_id=settled.payment_id,
            status=settled.status,
            outcome_unknown=settled.outcome_unknown,
        )
        return self._outcome(settled, repeated=False)

    async def _destination(self, request: PaymentRequest) -> str:
        async with self.db.transaction() as connection:
            context = await self.ledger.context(connection, request)
        account = context.line.get("stripe_account_id") if context and context.line else None
        if not account:
            raise InvalidArgument("The artist has no Stripe connected account; ask them to finish onboarding.")
        return str(account)

    @staticmethod
    def _outcome(row: PayoutRow, *, repeated: bool) -> PaymentResult:
        again = " (this payment was already confirmed; nothing new was sent)" if repeated else ""
        if row.status == "paid":
            return PaymentResult(
                status="paid",
                payment_id=row.payment_id,
                stripe_transfer_id=row.stripe_transfer_id,
                message=f"Paid: Stripe transfer {row.stripe_transfer_id}{again}.",
            )
        error = row.error_message or "the payment did not complete"
        if row.outcome_unknown:
            error += " Whether the transfer happened is not known yet: confirm again later or run reconcile."
        else:
            error += (
                f" Nothing was sent. The failed payout row {row.payment_id} still counts against what is owed;"
                " set it to cancelled before paying again."
            )
        return PaymentResult(status="failed", payment_id=row.payment_id, error=error, message=f"Not paid: {error}")

    async def _checked_preview(self, request: PaymentRequest, context: PayoutContext | None) -> PaymentPreview:
        if context is None:
            raise UnknownEvent(request.eid, closest_eids(request.eid, await known_eids(self.db)))
        event, line = context.event, context.line
        _check_amount(request, event, self.limits, context.spent_today)
        if line is None:
            raise InvalidArgument(
                f"That artist has nothing earned or paid at {request.eid}; check the artist id "
                "with get_payment_summary."
            )
        owed = Decimal(line["owed"])
        if request.amount > owed:
            raise InvalidArgument(
                f"{line['artist_name']} is owed {money_text(owed)} {event['currency']} for {request.eid}; "
                f"{money_text(request.amount)} is more than that."
            )
        if not line.get("stripe_account_id") or not line.get("payouts_enabled"):
            raise InvalidArgument(
                f"{line['artist_name']} cannot be paid yet: their Stripe account is missing or cannot receive payouts."
            )
        region = str(event["stripe_account_region"] or "")
        self.stripe.for_region(region)  # a missing key is said now, at the preview
        return PaymentPreview(
            eid=request.eid,
            event_name=event["name"] or request.eid,
            artist_profile_id=request.artist_profile_id,
            artist_name=line["artist_name"],
            amount=request.amount,
            currency=request.currency,
            owed_total=owed,
            owed_after=owed - request.amount,
            destination_account=str(line["stripe_account_id"]),
            paying_stripe_account=REGIONS.get(region, (region,))[0],
        )

    @contextlib.asynccontextmanager
    async def _one_at_a_time(self, key: str) -> AsyncIterator[None]:
        """Concurrent confirms of one token in this process wait for the first; replicas rely on the DB key."""
        lock = self._key_locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and not getattr(lock, "_waiters", None):
                self._key_locks.pop(key, None)

    async def close(self) -> None:
        await self.stripe.aclose()


def _check_amount(request: PaymentRequest, event: dict[str, Any], limits: PaymentLimits, spent: Decimal) -> None:
    currency = str(event["currency"] or "").upper()
    if request.currency.upper() != currency:
        raise InvalidArgument(
            f"{request.eid} pays in {currency}; the amount must be in {currency}, not {request.currency.upper()}."
        )
    if request.amount <= 0:
        raise InvalidArgument("The amount must be positive.")
    to_minor_units(request.amount, currency)  # refuses more decimals than the currency has
    if request.amount > limits.max_amount:
        raise InvalidArgument(
            f"{request.amount} {currency} is above the per-payment limit of "
            f"{limits.max_amount}; split it or ask an administrator."
        )
    if spent + request.amount > limits.daily_cap:
        raise InvalidArgument(
            f"This would take today's payments by this client to {spent + request.amount} "
            f"{currency}, above the daily limit of {limits.daily_cap}."
        )
