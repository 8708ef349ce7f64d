"""The read tools as MCP tools: descriptions for the model, bounded arguments, output schemas, scopes.

The functions here only translate: arguments in, `ReadService` call, model out. Errors are raised as they
are; `GatewayServer` turns each into one sentence by its type (mcp_server.tool_errors).
"""

from __future__ import annotations

import functools
from datetime import datetime, time, timedelta
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from mcp_server.arguments import Eid, OptionalDate, OptionalEid, OptionalProfileId, RoundNumber, SearchText
from mcp_server.context import services_of
from mcp_server.domain import models as m
from mcp_server.domain.reads import ReadService
from mcp_server.registry import ToolSpec

MAX_OWED_LINES = 200


def read_service(ctx: Context) -> ReadService:
    return services_of(ctx).reads


async def get_event_details(eid: Eid, ctx: Context) -> m.EventDetails:
    """Details of one Art Battle event: name, status (upcoming/live/finished), start and end in the event's
    own timezone, city, venue, capacity, current round, every round with its state, currency, Stripe region,
    and how many artists and artworks it has. Use list_events first if you only know a city or name."""
    return await read_service(ctx).event_details(eid)


async def get_live_voting_status(eid: Eid, ctx: Context, round: RoundNumber = None) -> m.VotingStatus:
    """Live audience voting for an event: per round and easel the artist, art code, raw vote count and
    weighted total (each vote counts its vote_factor), plus each round's leader by weighted total and
    whether the lead is tied. `as_of` says when the tallies were read (at most `max_age_seconds` old)."""
    return await read_service(ctx).voting_status(eid, round)


async def get_auction_status(eid: Eid, ctx: Context) -> m.AuctionStatus:
    """The silent auction of an event: per artwork its status (active, closed, sold, paid, ...), current
    bid, number of bids and closing time; totals by status; the top current bids; when the last bid came.
    Amounts are decimal strings in the event's currency."""
    return await read_service(ctx).auction_status(eid)


async def get_payment_summary(eid: Eid, ctx: Context) -> m.PaymentSummary:
    """Artist payouts for one event: payment rows by status (counts and sums), and per artist what they
    earned (their share of paid-for sales), what was paid, what is in progress, what is still owed, and
    whether their Stripe account can receive payouts. Contact emails are masked."""
    return await read_service(ctx).payment_summary(eid)


async def _list_events(
    ctx: Context,
    query: Annotated[str | None, SearchText(100), Field(description="Words in the event name or eid.")] = None,
    city: Annotated[str | None, SearchText(80), Field(description="City name (prefix, any case).")] = None,
    from_: Annotated[OptionalDate, Field(alias="from", description="Events ending on or after this date.")] = None,
    to: Annotated[OptionalDate, Field(description="Events starting on or before this date.")] = None,
    limit: Annotated[int, Field(ge=1, le=50, description="At most this many events.")] = 20,
) -> m.EventList:
    """Find events by name, eid, city or dates; nearest to today first. Staff rarely remember eids: use
    this to turn "the Toronto event last week" into an eid for the other tools. `total_matched` counts
    every match; `truncated` says when there were more than `limit`."""
    start = datetime.combine(from_, time.min).astimezone() if from_ else None
    end = datetime.combine(to + timedelta(days=1), time.min).astimezone() if to else None
    return await read_service(ctx).list_events(query, city, start, end, limit)


@functools.wraps(_list_events)
async def list_events(**kwargs: Any) -> m.EventList:
    # "from" is a Python keyword: the schema names it through the field alias, the call passes it by that name.
    kwargs["from_"] = kwargs.pop("from", None)
    return await _list_events(**kwargs)


list_events.__name__ = list_events.__qualname__ = "list_events"


async def get_artist_owed(
    ctx: Context,
    eid: Annotated[OptionalEid, Field(description="Only this event; omit for all events.")] = None,
    artist_profile_id: Annotated[
        OptionalProfileId, Field(description="Only this artist (artist_profile_id uuid).")
    ] = None,
    limit: Annotated[int, Field(ge=1, le=MAX_OWED_LINES, description="At most this many lines.")] = 50,
) -> m.ArtistOwed:
    """Who Art Battle still owes money, and how much, across events (or for one event or one artist):
    per event and artist what was earned, paid and is still owed, with Stripe payout readiness, and totals
    per currency over every line. `truncated` says when there were more lines than `limit`. Read-only."""
    return await read_service(ctx).artist_owed(eid, artist_profile_id, limit)


READ_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(get_event_details, "get_event_details", "read"),
    ToolSpec(get_live_voting_status, "get_live_voting_status", "read", live=True),
    ToolSpec(get_auction_status, "get_auction_status", "read", live=True),
    ToolSpec(get_payment_summary, "get_payment_summary", "finance"),
    ToolSpec(list_events, "list_events", "read"),
    ToolSpec(get_artist_owed, "get_artist_owed", "finance"),
)
