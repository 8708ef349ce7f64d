"""MCP tools: the people tools (people): artist and person lookups with masked contacts.

Each function only translates: bounded arguments in, domain call, output model out. Errors are raised as they
are; `GatewayServer` turns each into one sentence by its type (mcp_server.tool_errors).
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from mcp_server.arguments import SearchText
from mcp_server.context import services_of
from mcp_server.domain import models_people_finance as m
from mcp_server.domain import people
from mcp_server.registry import ToolSpec

Limit = Annotated[int, Field(ge=1, le=50, description="At most this many matches.")]


async def find_artists(
    ctx: Context,
    query: Annotated[
        str,
        SearchText(100),
        Field(
            description="Part of the artist's name, their artist number (e.g. 310001), or their whole email or "
            "phone (with country code).",
        ),
    ],
    limit: Limit = 10,
) -> m.ArtistLookup:
    """Find artist profiles: by part of a name, by artist number (entry_id), or by an exact whole email or
    phone (a fragment of an address or number matches nothing). Each match is the artist's canonical profile
    with the duplicate profiles merged into it, country, masked email and phone, the start of their bio, how
    many events they painted and the last one. `total` counts every match. For what an artist earned or is
    owed use get_artist_history; for buyers and voters use find_people."""
    return await people.find_artists(services_of(ctx).db, query, limit)


async def find_people(
    ctx: Context,
    query: Annotated[
        str,
        SearchText(100),
        Field(description="Part of the person's name, or their whole email or phone."),
    ],
    limit: Limit = 10,
) -> m.PeopleLookup:
    """Is this buyer, voter or guest in our system? Finds people by part of their name or by an exact whole
    email or phone (a fragment matches nothing), with masked contacts and how many votes, bids, auction wins
    and door check-ins each has, and their artist profile if they also paint. `total` counts every match.
    For artists' profiles and merged duplicates use find_artists."""
    return await people.find_people(services_of(ctx).db, query, limit)


PEOPLE_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(find_artists, "find_artists", "people"),
    ToolSpec(find_people, "find_people", "people"),
)
