"""What process_artist_payment answers (its outputSchema)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mcp_server.domain.models import Money, Output

PaymentStatus = Literal["needs_confirmation", "paid", "failed", "cancelled"]


class PaymentPreview(Output):
    eid: str
    event_name: str
    artist_profile_id: str
    artist_name: str
    amount: Money
    currency: str
    owed_total: Money = Field(description="what the artist is owed for this event before this payment")
    owed_after: Money
    destination_account: str = Field(description="the artist's Stripe connected account")
    paying_stripe_account: str = Field(description="which regional Stripe platform account pays")


class PaymentResult(Output):
    status: PaymentStatus
    message: str = Field(description="one sentence for the person who asked")
    preview: PaymentPreview | None = None
    confirmation_token: str | None = Field(
        default=None, description="pass back unchanged, with the same arguments, once a human has said yes"
    )
    expires_at: str | None = None
    payment_id: str | None = None
    stripe_transfer_id: str | None = None
    error: str | None = None
