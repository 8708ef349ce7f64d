"""What the event tools return: readiness, summary, roster, vote breakdown and bid history.

Times are local to the event (ISO 8601 with offset) unless a field says UTC; money is a decimal string with its
currency beside it and is never summed across currencies; lists that are limited say so with a total.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mcp_server.domain.models import EventStatus, Money, Output, Weight

CheckResult = Literal["pass", "warn", "fail"]
CheckName = Literal[
    "city",
    "venue",
    "currency",
    "timezone",
    "start",
    "visibility",
    "stripe_region",
    "rounds_and_easels",
    "artists_confirmed",
    "artworks_created",
    "eventbrite",
]
GroupBy = Literal["total", "round", "artist"]
RosterStage = Literal["confirmed", "accepted", "invited", "pending", "applied", "on_easel"]
LOCAL = "local time in the event's timezone, ISO 8601 with offset"


class EventHead(Output):
    eid: str
    event_name: str
    status: EventStatus
    timezone: str
    as_of: str = Field(description="UTC time the answer was read")


class ReadinessCheck(Output):
    check: CheckName
    result: CheckResult
    detail: str = Field(description="one sentence on what was found")


class EventReadiness(EventHead):
    starts_at: str | None = Field(description=LOCAL)
    ready: bool = Field(description="true when no check fails (warnings may remain)")
    overall: CheckResult
    passed: int
    warnings: int
    failures: int
    checks: list[ReadinessCheck]


class TopSale(Output):
    art_code: str | None
    artist_name: str | None
    amount: Money


class CurrencySales(Output):
    currency: str | None
    works_sold: int = Field(description="works with status sold or paid")
    sales_total: Money = Field(description="sum of final price, or current bid where the final price is empty")
    artists_share: Money = Field(description="the artists' part of sales_total at the event's auction portion")
    top_sale: TopSale | None


class SummaryFigures(Output):
    artworks: int
    artworks_by_status: dict[str, int]
    sales: list[CurrencySales] = Field(description="one line per currency; never add lines of different currencies")
    bids: int
    unique_bidders: int
    votes: int = Field(description="raw votes (rows)")
    weighted_votes: Weight = Field(description="votes weighted by their vote_factor")
    unique_voters: int


class SummaryGroup(SummaryFigures):
    round: int | None = Field(description="set when grouped by round")
    artist_profile_id: str | None = Field(description="set when grouped by artist")
    artist_name: str | None


class CheckIns(Output):
    scans: int
    people: int = Field(description="distinct people scanned at the door")
    first_at: str | None = Field(description=LOCAL)
    last_at: str | None = Field(description=LOCAL)


class EventSummaryReport(EventHead):
    currency: str | None = Field(description="the event's currency")
    artists_portion: Weight = Field(description="the artists' share of a sale (0.5 unless the event sets one)")
    group_by: GroupBy
    total: SummaryFigures
    groups: list[SummaryGroup] = Field(description="per round or per artist; empty when group_by is total")
    door_check_ins: CheckIns


class EaselAssignment(Output):
    round: int | None
    easel: int | None
    art_code: str | None
    artwork_status: str | None


class RosterArtist(Output):
    artist_profile_id: str
    artist_name: str
    country: str | None
    stage: RosterStage = Field(description="furthest step: confirmed > accepted > invited > pending > applied")
    invitation_status: str | None
    invited_at: str | None = Field(description=LOCAL)
    accepted_at: str | None = Field(description=LOCAL)
    confirmation_status: str | None
    applied_at: str | None = Field(description=LOCAL)
    easels: list[EaselAssignment]
    artwork_created: bool
    payout_setup: Literal["ready", "started", "none"] = Field(
        description="ready: a Stripe account can receive payouts; started: an account exists without payouts"
    )


class EventRoster(EventHead):
    total: int = Field(description="every artist of the roster, whatever the limit")
    truncated: bool
    by_stage: dict[str, int] = Field(description="artists per stage, over the whole roster")
    artists: list[RosterArtist]


class FactorShare(Output):
    vote_factor: Weight
    votes: int
    voters: int
    share_of_votes: float = Field(description="percent of the raw votes")


class RoundVoteTotals(Output):
    round: int | None
    votes: int
    weighted_total: Weight
    unique_voters: int


class VoteWindow(Output):
    starts_at: str = Field(description=LOCAL)
    votes: int
    weighted_total: Weight


class VoteBreakdown(EventHead):
    round: int | None = Field(description="the round asked for; null for every round")
    votes: int = Field(description="raw votes (rows)")
    weighted_total: Weight
    unique_voters: int
    first_vote_at: str | None = Field(description=LOCAL)
    last_vote_at: str | None = Field(description=LOCAL)
    by_vote_factor: list[FactorShare]
    by_round: list[RoundVoteTotals]
    per_five_minutes: list[VoteWindow] = Field(description="every 5-minute window from the first vote, empty ones too")
    windows_truncated: bool = Field(description="true when votes came in after the last window listed")


class BidLine(Output):
    amount: Money
    currency: str | None
    bidder: str = Field(description="first name and last initial")
    at: str | None = Field(description=LOCAL)


class ArtworkBids(Output):
    art_code: str | None
    round: int | None
    easel: int | None
    artist_name: str | None
    status: str
    sold: bool = Field(description="status is sold or paid")
    sale_price: Money | None = Field(description="final price, or the current bid where it is empty; sold works only")
    currency: str | None
    closing_time: str | None = Field(description=LOCAL)
    winner: str | None = Field(description="the recorded winner, first name and last initial")
    top_bidder: str | None
    bid_count: int = Field(description="every bid on the work, whatever the limit")
    unique_bidders: int
    bids_truncated: bool = Field(description="true when only the latest bids are listed")
    bids: list[BidLine] = Field(description="oldest first")


class BidHistory(EventHead):
    art_code: str | None = Field(description="the artwork asked for; null for every artwork")
    total_bids: int
    unique_bidders: int
    artworks: list[ArtworkBids]
