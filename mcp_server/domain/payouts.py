"""Shaping payout rows (earned, paid, owed, Stripe readiness) into the output models."""

from __future__ import annotations

from decimal import Decimal

from mcp_server.domain import models as m
from mcp_server.domain.masking import mask_email
from mcp_server.domain.timefmt import utc_iso
from mcp_server.repository.rows import OwedLineRow, OwedLinesRow, PaymentSummaryRow


def stripe_state(row: OwedLineRow) -> m.StripeAccountState:
    account, enabled = row.stripe_account_id, row.payouts_enabled
    problem = None
    if not account:
        problem = "no Stripe connected account"
    elif not enabled:
        problem = "Stripe account cannot receive payouts yet (onboarding incomplete)"
    return m.StripeAccountState(account_id=account, can_receive_payouts=bool(account) and enabled, problem=problem)


def _artist_payout(row: OwedLineRow) -> m.ArtistPayout:
    return m.ArtistPayout(
        artist_profile_id=row.artist_profile_id,
        artist_name=row.artist_name,
        email_hint=mask_email(row.artist_email),
        earned=row.earned,
        paid=row.paid,
        in_progress=row.in_progress,
        owed=row.owed,
        stripe=stripe_state(row),
    )


def payment_summary_model(summary: PaymentSummaryRow) -> m.PaymentSummary:
    artists = [_artist_payout(row) for row in summary.artists]
    return m.PaymentSummary(
        eid=summary.eid,
        event_name=summary.name or summary.eid,
        currency=summary.currency,
        stripe_account_region=summary.region,
        as_of=utc_iso(summary.as_of),
        by_status=[m.StatusTotal(status=s.status, count=s.count, total=s.total) for s in summary.by_status],
        total_earned=sum((a.earned for a in artists), Decimal(0)),
        total_paid=sum((a.paid for a in artists), Decimal(0)),
        total_owed=sum((a.owed for a in artists if a.owed > 0), Decimal(0)),
        artists_without_payouts=[a.artist_name for a in artists if not a.stripe.can_receive_payouts],
        artists=artists,
    )


def owed_line_model(row: OwedLineRow) -> m.OwedLine:
    return m.OwedLine(
        eid=row.eid,
        event_name=row.event_name or row.eid,
        currency=row.currency,
        artist_profile_id=row.artist_profile_id,
        artist_name=row.artist_name,
        earned=row.earned,
        paid=row.paid,
        owed=row.owed,
        stripe=stripe_state(row),
    )


def artist_owed_model(owed: OwedLinesRow) -> m.ArtistOwed:
    lines = [owed_line_model(row) for row in owed.lines]
    return m.ArtistOwed(
        total_lines=owed.total,
        truncated=owed.total > len(lines),
        totals_by_currency=owed.owed_by_currency,
        lines=lines,
    )
