"""Rows of the event tools (readiness, summary, roster, vote breakdown, bid history), validated where SQL hands
them over. Like `rows`: frozen, `extra="forbid"`, money `Decimal`, times aware `datetime`s. Each document holds
the facts; judging them (pass or fail, sold or not, which currency) is the domain's job or stated here.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from mcp_server.repository.rows import Row


class EventHeadRow(Row):
    """What every event tool's document starts with: the event, its zone, and when the answer was read."""

    eid: str
    name: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    timezone: str | None
    currency: str | None
    as_of: datetime


class RoundSlotsRow(Row):
    round_number: int
    easels: int
    without_art: int


class ReadinessRow(EventHeadRow):
    event_level: str | None
    enabled: bool | None
    show_in_app: bool | None
    region: str | None
    eventbrite_id: str | None
    city: str | None
    country: str | None
    venue: str | None
    rounds: list[int]
    slots: list[RoundSlotsRow]
    artworks: int
    artworks_without_artist: int
    confirmed_artists: int
    painting_artists: int
    unconfirmed_painters_total: int
    unconfirmed_painters: list[str]


class SummaryWorkRow(Row):
    """One artwork; `value` is coalesce(final_price, current_bid), in `currency` (its top bid's, else the event's)."""

    art_code: str | None
    round: int | None
    artist_profile_id: str | None
    artist_name: str | None
    status: str | None
    value: Decimal
    currency: str | None


class ActivitySetRow(Row):
    """Bids or votes of one grouping set: the whole event, one round or one artist (GROUPING SETS)."""

    kind: Literal["total", "round", "artist"]
    round: int | None
    artist_profile_id: str | None
    count: int
    weighted: Decimal
    people: int


class CheckInsRow(Row):
    scans: int
    people: int
    first_at: datetime | None
    last_at: datetime | None


class SummaryRow(EventHeadRow):
    portion: Decimal
    works: list[SummaryWorkRow]
    bids: list[ActivitySetRow]
    votes: list[ActivitySetRow]
    check_ins: CheckInsRow


class PaintRow(Row):
    round: int | None
    easel: int | None
    art_code: str | None
    status: str | None


class RosterArtistRow(Row):
    artist_profile_id: str
    artist_name: str
    country: str | None
    stage: Literal["confirmed", "accepted", "invited", "pending", "applied", "on_easel"]
    invitation_status: str | None
    invited_at: datetime | None
    accepted_at: datetime | None
    confirmation_status: str | None
    applied_at: datetime | None
    paints: list[PaintRow]
    has_stripe_account: bool
    payouts_enabled: bool


class RosterRow(EventHeadRow):
    """`total` and `by_stage` count every artist; `artists` holds at most the limit."""

    total: int
    by_stage: dict[str, int]
    artists: list[RosterArtistRow]


class FactorRow(Row):
    factor: Decimal
    votes: int
    voters: int


class RoundVotesRow(Row):
    round: int | None
    votes: int
    weighted: Decimal
    voters: int


class VoteWindowRow(Row):
    starts_at: datetime
    votes: int
    weighted: Decimal


class VoteBreakdownRow(EventHeadRow):
    """Votes of the event (or one round); `windows` are the non-empty 5-minute windows within the cap."""

    rounds: list[int]
    votes: int
    weighted: Decimal
    voters: int
    first_vote_at: datetime | None
    last_vote_at: datetime | None
    by_factor: list[FactorRow]
    by_round: list[RoundVotesRow]
    windows: list[VoteWindowRow]


class BidRow(Row):
    amount: Decimal
    currency: str | None
    bidder: str | None
    at: datetime | None


class ArtworkBidsRow(Row):
    """One artwork's bids: `bid_count` and `bidders` count them all, `bids` holds the latest up to the limit."""

    art_code: str | None
    round: int | None
    easel: int | None
    artist_name: str | None
    status: str | None
    current_bid: Decimal | None
    final_price: Decimal | None
    closing_time: datetime | None
    winner: str | None
    top_bidder: str | None
    bid_count: int
    bidders: int
    bids: list[BidRow]


class BidHistoryRow(EventHeadRow):
    """`art_codes` lists the event's codes only when the requested one is not among them."""

    total_bids: int
    unique_bidders: int
    art_codes: list[str] | None
    artworks: list[ArtworkBidsRow]
