"""Settling a payout written as `processing`: one Stripe transfer to the confirmed account, then its outcome.

A payout picked up again (a repeated confirm, another replica, `reconcile`) may already have reached Stripe with
its answer lost, so it is first looked up by its transfer group. When Stripe's outcome stays unknown the row is
`failed` with `outcome_unknown`, so the next attempt looks again before sending with the same key.
"""

from __future__ import annotations

from mcp_server.payments.confirmation import PaymentRequest
from mcp_server.payments.errors import (
    DuplicateTransfers,
    IdempotencyConflict,
    PaymentError,
    StripeDeclined,
    StripeUnavailable,
)
from mcp_server.payments.models import PaymentResult
from mcp_server.payments.rules import account_text
from mcp_server.payments.stripe_client import StripeAccountClient, StripeRegions, Transfer
from mcp_server.repository.ledger import Ledger, PayoutRow


class Settlement:
    def __init__(self, ledger: Ledger, stripe: StripeRegions) -> None:
        self._ledger = ledger
        self._stripe = stripe

    async def settle(self, row: PayoutRow, request: PaymentRequest, *, resuming: bool) -> PayoutRow:
        """Send (or find) the transfer and record the outcome; returns the row as it now is."""
        account = self._stripe.for_region(row.stripe_region)  # a key removed since: the row stays open, said so
        try:
            transfer = await account.find_transfer_by_group(row.idempotency_key) if resuming else None
            if transfer is None:
                transfer = await self._transfer(account, row, request)
        except (StripeUnavailable, IdempotencyConflict, DuplicateTransfers) as exc:
            # Money may have moved: keep the row resolvable (a later confirm or `reconcile` looks it up).
            await self._ledger.mark_failed(row.idempotency_key, str(exc), outcome_unknown=True)
        except PaymentError as exc:
            await self._ledger.mark_failed(row.idempotency_key, str(exc), outcome_unknown=False)
        else:
            await self._ledger.mark_paid(row.idempotency_key, transfer.transfer_id)
        settled = await self._ledger.existing(row.idempotency_key)
        assert settled is not None
        return settled

    async def _transfer(self, account: StripeAccountClient, row: PayoutRow, request: PaymentRequest) -> Transfer:
        destination = row.destination_account
        if not destination:
            raise StripeDeclined("The artist has no Stripe connected account; ask them to finish onboarding.")
        connected = await account.get_connected_account(destination)
        if not (connected.payouts_enabled and connected.transfers_active):
            raise StripeDeclined(
                f"The artist's Stripe account {account_text(destination)} cannot receive transfers yet "
                "(payouts or the transfers capability are not enabled)."
            )
        return await account.create_transfer(
            request.amount,
            request.currency,
            destination=destination,
            idempotency_key=row.idempotency_key,
            transfer_group=row.idempotency_key,
            metadata={
                "eid": request.eid,
                "artist_profile_id": request.artist_profile_id,
                "payment_id": row.payment_id,
                "source": "abcodex",
            },
        )


def outcome(row: PayoutRow, *, repeated: bool) -> PaymentResult:
    """What the caller is told about a settled (or still open) payout."""
    again = " (this payment was already confirmed; nothing new was sent)" if repeated else ""
    if row.status == "paid":
        return PaymentResult(
            status="paid",
            payment_id=row.payment_id,
            stripe_transfer_id=row.stripe_transfer_id,
            message=f"Paid: Stripe transfer {row.stripe_transfer_id}{again}.",
        )
    error = row.error_message or "the payment did not complete"
    if row.status == "processing" or row.outcome_unknown:
        error += " Whether the transfer happened is not known yet: confirm again later or run reconcile."
    else:
        error += (
            f" Nothing was sent. The failed payout row {row.payment_id} still counts against what is owed;"
            " set it to cancelled before paying again."
        )
    return PaymentResult(status="failed", payment_id=row.payment_id, error=error, message=f"Not paid: {error}")
