"""Shaping payout rows (earned, paid, owed, Stripe readiness) into the output models."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mcp_server.domain import models as m
from mcp_server.domain.masking import mask_email
from mcp_server.domain.timefmt import utc_iso


def stripe_state(row: dict[str, Any]) -> m.StripeAccountState:
    account, enabled = row.get("stripe_account_id"), bool(row.get("payouts_enabled"))
    problem = None
    if not account:
        problem = "no Stripe connected account"
    elif not enabled:
        problem = "Stripe account cannot receive payouts yet (onboarding incomplete)"
    return m.StripeAccountState(account_id=account, can_receive_payouts=bool(account) and enabled, problem=problem)


def _artist_payout(row: dict[str, Any]) -> m.ArtistPayout:
    return m.ArtistPayout(
        artist_profile_id=str(row["artist_profile_id"]),
        artist_name=row["artist_name"],
        email_hint=mask_email(row.get("artist_email")),
        earned=Decimal(row["earned"]),
        paid=Decimal(row["paid"]),
        in_progress=Decimal(row["in_progress"]),
        owed=Decimal(row["owed"]),
        stripe=stripe_state(row),
    )


def payment_summary_model(doc: dict[str, Any]) -> m.PaymentSummary:
    artists = [_artist_payout(row) for row in doc["artists"]]
    return m.PaymentSummary(
        eid=doc["eid"],
        event_name=doc["name"] or doc["eid"],
        currency=doc["currency"],
        stripe_account_region=doc["region"],
        as_of=utc_iso(doc["as_of"]),
        by_status=[
            m.StatusTotal(status=s["status"], count=s["count"], total=Decimal(s["total"])) for s in doc["by_status"]
        ],
        total_earned=sum((a.earned for a in artists), Decimal(0)),
        total_paid=sum((a.paid for a in artists), Decimal(0)),
        total_owed=sum((a.owed for a in artists if a.owed > 0), Decimal(0)),
        artists_without_payouts=[a.artist_name for a in artists if not a.stripe.can_receive_payouts],
        artists=artists,
    )


def owed_line_model(row: dict[str, Any]) -> m.OwedLine:
    return m.OwedLine(
        eid=row["eid"],
        event_name=row["event_name"] or row["eid"],
        currency=row["currency"],
        artist_profile_id=str(row["artist_profile_id"]),
        artist_name=row["artist_name"],
        earned=Decimal(row["earned"]),
        paid=Decimal(row["paid"]),
        owed=Decimal(row["owed"]),
        stripe=stripe_state(row),
    )
