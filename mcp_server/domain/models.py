"""What the tools return: pydantic models, so each tool has an outputSchema and structuredContent.

Money is `Decimal`, serialised as a decimal string ("425.00") so no float ever touches it. Names and other
free text come from the database and are data, never instructions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema


def money_text(value: Decimal) -> str:
    """`Decimal('400.0')` → `400.00`: two decimals unless the value has more."""
    return f"{value.quantize(Decimal('0.01')):f}" if value == value.quantize(Decimal("0.01")) else f"{value:f}"


Money = Annotated[
    Decimal,
    PlainSerializer(money_text, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "description": "decimal amount"}),
]
Weight = Annotated[Decimal, PlainSerializer(float, return_type=float), WithJsonSchema({"type": "number"})]
RoundState = Literal["finished", "open", "not_started"]
EventStatus = Literal["upcoming", "live", "finished"]


class Output(BaseModel):
    model_config = ConfigDict(frozen=True)


class RoundInfo(Output):
    round_number: int
    state: RoundState
    closing_time: str | None = Field(description="local time in the event's timezone, ISO 8601")


class EventDetails(Output):
    eid: str
    name: str
    status: EventStatus
    starts_at: str | None = Field(description="local time in the event's timezone, ISO 8601 with offset")
    ends_at: str | None
    timezone: str
    city: str | None
    country: str | None
    venue: str | None
    venue_address: str | None
    capacity: int | None
    current_round: int | None
    rounds: list[RoundInfo]
    currency: str | None
    stripe_account_region: str | None
    artist_count: int
    artwork_count: int


class EventSummary(Output):
    eid: str
    name: str
    status: EventStatus
    city: str | None
    country: str | None
    starts_at: str | None
    timezone: str
    currency: str | None


class EventList(Output):
    total_matched: int = Field(description="how many events match, whatever the limit")
    truncated: bool = Field(description="true when more events matched than are listed")
    events: list[EventSummary]


class EaselVotes(Output):
    easel: int
    artist_name: str | None
    artist_profile_id: str | None
    art_code: str | None
    raw_votes: int
    weighted_total: Weight


class RoundVotes(Output):
    round_number: int
    state: RoundState
    total_raw_votes: int
    total_weighted: Weight
    leader: EaselVotes | None = Field(description="highest weighted total; null when no votes yet")
    tied: bool = Field(description="true when the lead is shared")
    easels: list[EaselVotes]


class VotingStatus(Output):
    eid: str
    event_name: str
    current_round: int | None
    as_of: str = Field(description="UTC time the tallies were read; at most max_age_seconds old")
    max_age_seconds: float
    rounds: list[RoundVotes]


class ArtworkAuction(Output):
    art_code: str | None
    round: int | None
    easel: int | None
    artist_name: str | None
    status: str
    current_bid: Money
    bid_count: int
    closing_time: str | None


class AuctionTotals(Output):
    active: int
    closed: int
    sold: int
    paid: int
    other: int
    bids: int
    current_bid_sum: Money


class AuctionStatus(Output):
    eid: str
    event_name: str
    currency: str | None
    as_of: str
    max_age_seconds: float
    totals: AuctionTotals
    top_bids: list[ArtworkAuction]
    artworks: list[ArtworkAuction]
    last_bid_at: str | None


class StatusTotal(Output):
    status: str
    count: int
    total: Money


class StripeAccountState(Output):
    account_id: str | None
    can_receive_payouts: bool
    problem: str | None


class ArtistPayout(Output):
    artist_profile_id: str
    artist_name: str
    email_hint: str | None = Field(description="masked contact email")
    earned: Money
    paid: Money
    in_progress: Money
    owed: Money
    stripe: StripeAccountState


class PaymentSummary(Output):
    eid: str
    event_name: str
    currency: str | None
    stripe_account_region: str | None
    as_of: str
    by_status: list[StatusTotal]
    total_earned: Money
    total_paid: Money
    total_owed: Money
    artists_without_payouts: list[str]
    artists: list[ArtistPayout]


class OwedLine(Output):
    eid: str
    event_name: str
    currency: str | None
    artist_profile_id: str
    artist_name: str
    earned: Money
    paid: Money
    owed: Money
    stripe: StripeAccountState


class ArtistOwed(Output):
    total_lines: int = Field(description="how many event-and-artist lines are owed money, whatever the limit")
    truncated: bool = Field(description="true when more lines exist than are listed; narrow by eid or artist")
    totals_by_currency: dict[str, Money] = Field(description="what is owed per currency, over every line")
    lines: list[OwedLine]
