"""MCP tools: the finance tools (finance): artist history, ledger, payout readiness, payment health, exchange rates.

Each function only translates: bounded arguments in, domain call, output model out. Errors are raised as they
are; `GatewayServer` turns each into one sentence by its type (mcp_server.tool_errors).
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from mcp_server.arguments import CurrencyCode, Eid, OptionalEid, SearchText
from mcp_server.context import services_of
from mcp_server.domain import finance, finance_attention
from mcp_server.domain import models_people_finance as m
from mcp_server.registry import ToolSpec

ARTIST = "The artist: their name, artist number (e.g. 310001), or whole email or phone."
Artist = Annotated[str, SearchText(100), Field(description=ARTIST)]
OptionalArtist = Annotated[str | None, SearchText(100), Field(description=ARTIST + " Omit for all.")]
OptionalCurrency = Annotated[CurrencyCode | None, Field(description="ISO currency code such as CAD.")]


async def get_artist_history(
    artist: Artist,
    ctx: Context,
    limit: Annotated[int, Field(ge=1, le=100, description="At most this many events, newest first.")] = 30,
) -> m.ArtistHistory:
    """What has an artist painted, sold and been paid? Per event: their artworks with status and value
    (final price, or the current bid when none was recorded), what they earned (their share of paid works),
    were paid, have in progress and are still owed; totals per currency over every event; and whether their
    Stripe account can receive payouts. Merged duplicate profiles are folded in. A name several artists share
    is refused with the candidates: ask again with the artist number. For every payout row use
    get_payment_ledger; to pay, process_artist_payment."""
    return await finance.artist_history(services_of(ctx).db, artist, limit)


async def get_payment_ledger(
    ctx: Context,
    eid: OptionalEid = None,
    artist: OptionalArtist = None,
    limit: Annotated[int, Field(ge=1, le=200, description="At most this many rows, newest first.")] = 50,
) -> m.PaymentLedger:
    """Every payout row of an event, of an artist (merged duplicates included), or of an artist at an event:
    status (the legacy 'completed' reads as paid), gross, fees and net, currency, when it was created and
    paid, the shortened Stripe transfer id, and any error; payouts not tied to one artwork included. Totals
    per currency and status count every row; `truncated` says when rows were left out. For what is still
    owed use get_artist_owed or get_payment_summary."""
    return await finance.payment_ledger(services_of(ctx).db, eid, artist, limit)


async def get_payout_readiness(
    ctx: Context, eid: OptionalEid = None, artist: OptionalArtist = None
) -> m.PayoutReadiness:
    """Can these artists be paid by Stripe? For an event's whole roster (everyone with an artwork or
    confirmed) or one artist: the Stripe account that counts (payouts-enabled first, then the newest, over
    all their profiles), its onboarding status, charges and payouts enabled, how many accounts are on file,
    and the payout setup invitations sent (recipients masked). Those who cannot be paid come first. For
    what they are owed use get_payment_summary."""
    return await finance_attention.payout_readiness(services_of(ctx).db, eid, artist)


async def get_payment_health(eid: Eid, ctx: Context) -> m.PaymentHealth:
    """What about an event's artist payments needs a finance person's attention: paid artworks with no
    payout row while their artist is still owed, payouts stuck in processing or failed (with the error),
    owed artists whose Stripe account cannot receive payouts (with the setup invitations sent), and manual
    payment requests naming the event. For the full picture of payouts use get_payment_summary."""
    return await finance_attention.payment_health(services_of(ctx).db, eid)


async def get_exchange_rates(
    ctx: Context, base: OptionalCurrency = None, target: OptionalCurrency = None
) -> m.ExchangeRates:
    """Exchange rates as stored (each currency's value in US dollars, with its age; older than two days is
    stale). With base and target, the cross rate in that direction: "1 CAD = 0.672811 EUR", and its inverse.
    For reference only: money in the other tools is never converted or summed across currencies."""
    return await finance.exchange_rates(services_of(ctx).db, base, target)


FINANCE_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(get_artist_history, "get_artist_history", "finance"),
    ToolSpec(get_payment_ledger, "get_payment_ledger", "finance"),
    ToolSpec(get_payout_readiness, "get_payout_readiness", "finance"),
    ToolSpec(get_payment_health, "get_payment_health", "finance"),
    ToolSpec(get_exchange_rates, "get_exchange_rates", "finance"),
)
