"""The rows the repository returns: frozen, typed, validated where SQL hands them over.

Queries that build one `jsonb` document per call (one round trip) are validated into these models at that
boundary, so nothing past the repository reads a row by string key. Money is `Decimal`; times are aware
`datetime`s. `extra="forbid"` makes a column added to SQL but not here (or the reverse) fail in the tests.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OwedLineRow(Row):
    """One artist at one event: earned (their share of paid works), settled, still owed, and their account."""

    eid: str
    event_name: str | None
    currency: str | None
    region: str | None
    starts_at: datetime | None
    artist_profile_id: str
    artist_name: str
    artist_email: str | None
    earned: Decimal
    paid: Decimal
    in_progress: Decimal
    failed: Decimal
    owed: Decimal
    stripe_account_id: str | None
    payouts_enabled: bool


class RoundRow(Row):
    round_number: int
    is_finished: bool | None
    closing_time: datetime | None


class EventDetailsRow(Row):
    eid: str
    name: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    timezone: str | None
    current_round: int | None
    currency: str | None
    capacity: int | None
    region: str | None
    enabled: bool | None
    city: str | None
    country: str | None
    venue: str | None
    venue_address: str | None
    now: datetime
    rounds: list[RoundRow]
    artist_count: int
    artwork_count: int


class EventListRow(Row):
    eid: str
    name: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    timezone: str | None
    currency: str | None
    current_round: int | None
    city: str | None
    country: str | None


class EventSearchRow(Row):
    """The events matching a search: `total` counts them all, `events` holds at most the limit."""

    now: datetime
    total: int
    events: list[EventListRow]


class EaselTallyRow(Row):
    round: int | None
    easel: int | None
    art_code: str | None
    artist_name: str | None
    artist_profile_id: str | None
    raw_votes: int
    weighted: Decimal


class VotingTalliesRow(Row):
    eid: str
    name: str | None
    current_round: int | None
    as_of: datetime
    rounds: list[RoundRow]
    easels: list[EaselTallyRow]


class ArtworkRow(Row):
    art_code: str | None
    round: int | None
    easel: int | None
    artist_name: str | None
    status: str | None
    current_bid: Decimal
    bid_count: int
    closing_time: datetime | None
    final_price: Decimal | None


class AuctionBoardRow(Row):
    eid: str
    name: str | None
    currency: str | None
    timezone: str | None
    as_of: datetime
    artworks: list[ArtworkRow]
    last_bid_at: datetime | None


class StatusTotalRow(Row):
    status: str
    count: int
    total: Decimal


class PaymentSummaryRow(Row):
    eid: str
    name: str | None
    currency: str | None
    region: str | None
    as_of: datetime
    by_status: list[StatusTotalRow]
    artists: list[OwedLineRow]


class OwedLinesRow(Row):
    """Owed lines across events: `total` and per-currency sums count every line, `lines` at most the limit."""

    total: int
    owed_by_currency: dict[str, Decimal]
    lines: list[OwedLineRow]
