"""MCP tools: the event tools (read): readiness, summary, roster, vote breakdown, bid history.

Each function only translates: bounded arguments in, `EventOperations` call, output model out. Errors are
raised as they are; `GatewayServer` turns each into one sentence by its type (mcp_server.tool_errors).
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from mcp_server.arguments import Eid, RoundNumber, SearchText
from mcp_server.context import services_of
from mcp_server.domain import models_event_ops as m
from mcp_server.domain.event_ops import EventOperations
from mcp_server.registry import ToolSpec

ArtCode = Annotated[
    str | None,
    SearchText(30),
    Field(description="Only this artwork, by its art code such as AB4001-2-3 (event-round-easel); omit for all."),
]
GroupBy = Annotated[
    m.GroupBy, Field(description="total: the event only; round: also per round; artist: also per artist.")
]


def event_operations(ctx: Context) -> EventOperations:
    services = services_of(ctx)
    return EventOperations(services.db, services.reads)


async def get_event_readiness(eid: Eid, ctx: Context) -> m.EventReadiness:
    """Is an event ready, and why is it not visible? Checks city, venue, currency, timezone, start and end,
    visibility (enabled and show_in_app), Stripe region, rounds and easels, artists confirmed against the
    artists on easels, artworks created and the Eventbrite link; each is pass, warn or fail with one sentence,
    and `ready` is true when nothing fails. Use get_event_roster for who is painting and
    get_event_details for the event's basic facts."""
    return await event_operations(ctx).readiness(eid)


async def get_event_summary(eid: Eid, ctx: Context, group_by: GroupBy = "total") -> m.EventSummaryReport:
    """How did an event do? Artworks by status, sales per currency (sold means status sold or paid; value is
    the final price, or the current bid where it is empty) with the top sale and the artists' share, bids and
    unique bidders, raw and weighted votes and unique voters, and door check-ins; per round or per artist
    with group_by. Not for payouts (get_payment_summary) or a live tally (get_live_voting_status,
    get_auction_status)."""
    return await event_operations(ctx).summary(eid, group_by)


async def get_event_roster(eid: Eid, ctx: Context) -> m.EventRoster:
    """Who is painting at an event: every invited, accepted, confirmed or applied artist and every artist on
    an easel, with their furthest stage and its dates, round and easel, whether their artwork exists and
    whether their payouts are set up. `total` and `by_stage` count the whole roster. No contact details:
    use find_artists for those, get_payout_readiness for Stripe details."""
    return await event_operations(ctx).roster(eid)


async def get_vote_breakdown(eid: Eid, ctx: Context, round: RoundNumber = None) -> m.VoteBreakdown:
    """How an event's audience voted: raw and weighted votes and unique voters, how vote_factor weights are
    spread, totals per round, and votes per 5 minutes (event-local times) to show when they came in; for one
    round or all. For who leads each round use get_live_voting_status."""
    return await event_operations(ctx).vote_breakdown(eid, round)


async def get_bid_history(eid: Eid, ctx: Context, art_code: ArtCode = None) -> m.BidHistory:
    """Who bid on an event's artworks, and when: per artwork its bids over time (bidder as first name and
    last initial, amount, currency, event-local time), bid count and unique bidders, top bidder, recorded
    winner, sale price and closing time; one artwork with art_code. Lists the latest bids only when there
    are many (`bids_truncated`; `bid_count` counts all). For the auction board now use get_auction_status."""
    return await event_operations(ctx).bid_history(eid, art_code)


EVENT_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(get_event_readiness, "get_event_readiness", "read"),
    ToolSpec(get_event_summary, "get_event_summary", "read"),
    ToolSpec(get_event_roster, "get_event_roster", "read"),
    ToolSpec(get_vote_breakdown, "get_vote_breakdown", "read"),
    ToolSpec(get_bid_history, "get_bid_history", "read"),
)
