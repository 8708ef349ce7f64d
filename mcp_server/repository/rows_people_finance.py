"""The rows of the people and finance queries: frozen, typed, validated where SQL hands them over.

Contacts (`email`, `phone`) and free text arrive as stored; the domain masks them before any output. Money is
`Decimal`, times are aware `datetime`s, and `extra="forbid"` makes a column added on one side only fail the tests.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from mcp_server.repository.rows import Row


class MergedProfileRow(Row):
    """A duplicate profile merged into a canonical one (its `superseded_by`)."""

    artist_profile_id: str
    name: str
    entry_id: int | None
    email: str | None
    phone: str | None
    created_at: datetime | None
    updated_at: datetime | None


class ArtistMatchRow(Row):
    """A canonical artist profile that matched a lookup, directly or through a profile merged into it."""

    artist_profile_id: str
    name: str
    entry_id: int | None
    country: str | None
    email: str | None
    phone: str | None
    bio: str | None
    created_at: datetime | None
    exact_name: bool
    matched_merged_profile: bool
    merged_profiles: list[MergedProfileRow]
    event_count: int
    last_eid: str | None


class ArtistSearchRow(Row):
    """Artists matching a lookup: `total` counts them all, `artists` holds at most the limit."""

    now: datetime
    total: int
    artists: list[ArtistMatchRow]


class PersonRow(Row):
    name: str | None
    email: str | None
    phone: str | None
    votes: int
    bids: int
    wins: int
    check_ins: int
    artist_name: str | None
    artist_entry_id: int | None


class PeopleSearchRow(Row):
    """People matching a lookup: `total` counts them all, `people` holds at most the limit."""

    now: datetime
    total: int
    people: list[PersonRow]


class StripeAccountRow(Row):
    stripe_account_id: str | None
    onboarding_status: str | None
    charges_enabled: bool
    payouts_enabled: bool
    country: str | None
    currency: str | None
    created_at: datetime | None


class HistoryArtworkRow(Row):
    art_code: str | None
    round: int | None
    easel: int | None
    status: str | None
    final_price: Decimal | None
    current_bid: Decimal | None
    painted_as_entry_id: int | None
    under_merged_profile: bool


class HistoryEventRow(Row):
    """One event of an artist's history: their share of paid works, and payouts for the event."""

    eid: str
    name: str | None
    currency: str | None
    timezone: str | None
    starts_at: datetime | None
    earned: Decimal
    paid: Decimal
    in_progress: Decimal
    failed: Decimal
    owed: Decimal
    artworks: list[HistoryArtworkRow]


class CurrencyTotalsRow(Row):
    currency: str
    earned: Decimal
    paid: Decimal
    in_progress: Decimal
    owed: Decimal


class ArtistHistoryRow(Row):
    """An artist's events (at most the limit, newest first) and per-currency totals over all of them."""

    now: datetime
    total_events: int
    totals: list[CurrencyTotalsRow]
    events: list[HistoryEventRow]
    account: StripeAccountRow | None
    account_count: int


class LedgerEntryRow(Row):
    eid: str | None
    event_name: str | None
    timezone: str | None
    artist_profile_id: str
    artist_name: str
    entry_id: int | None
    art_code: str | None
    status: str
    recorded_status: str
    gross: Decimal
    platform_fee: Decimal | None
    stripe_fee: Decimal | None
    net: Decimal | None
    currency: str | None
    transfer_id: str | None
    payment_method: str | None
    created_at: datetime | None
    paid_at: datetime | None
    error_message: str | None


class LedgerTotalRow(Row):
    currency: str
    status: str
    count: int
    gross: Decimal
    net: Decimal


class LedgerRow(Row):
    """Payout rows: `total` and `totals` count every row, `entries` at most the limit (newest first)."""

    now: datetime
    event_known: bool
    event_name: str | None
    total: int
    totals: list[LedgerTotalRow]
    entries: list[LedgerEntryRow]


class InvitationRow(Row):
    sent_at: datetime | None
    status: str | None
    method: str | None
    kind: str | None
    recipient_email: str | None
    recipient_phone: str | None
    sent_by: str | None


class ArtistReadinessRow(Row):
    artist_profile_id: str
    name: str
    entry_id: int | None
    account: StripeAccountRow | None
    account_count: int
    invitation_count: int
    invitations: list[InvitationRow]


class PayoutReadinessRow(Row):
    now: datetime
    event_known: bool
    event_name: str | None
    artists: list[ArtistReadinessRow]


class UnpaidArtworkRow(Row):
    art_code: str | None
    artist_name: str
    value: Decimal
    artist_share: Decimal


class StuckPayoutRow(Row):
    artist_name: str
    art_code: str | None
    status: str
    gross: Decimal
    currency: str | None
    created_at: datetime | None
    error_message: str | None


class OwedUnpayableRow(Row):
    artist_name: str
    owed: Decimal
    stripe_account_id: str | None
    invitation_count: int
    last_invited_at: datetime | None


class ManualRequestRow(Row):
    artist_name: str
    requested_amount: Decimal | None
    currency: str | None
    status: str | None
    payment_method: str | None
    notes: str | None
    created_at: datetime | None
    events: list[str]


class PaymentHealthRow(Row):
    eid: str
    name: str | None
    currency: str | None
    timezone: str | None
    now: datetime
    unpaid_artworks: list[UnpaidArtworkRow]
    stuck_payouts: list[StuckPayoutRow]
    owed_unpayable: list[OwedUnpayableRow]
    manual_requests: list[ManualRequestRow]


class ExchangeRateRow(Row):
    currency_code: str
    rate_to_usd: Decimal
    last_updated: datetime | None


class ExchangeRatesRow(Row):
    now: datetime
    rates: list[ExchangeRateRow]
