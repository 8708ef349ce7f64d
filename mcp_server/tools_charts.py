"""MCP tools: `get_event_chart`, a live chart as a PNG (image content) with its numbers (structured content).

Hosts that show images (Claude Desktop, the Slack bot) show the chart; a model reads the numbers, which are
the ones drawn. The answer is live: it goes through the one live cache, so a burst of identical chart calls
draws once.
"""

from __future__ import annotations

import base64
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, ImageContent, TextContent
from pydantic import Field

from mcp_server.arguments import Eid, RoundNumber
from mcp_server.context import services_of
from mcp_server.domain.chart_rendering import render_png
from mcp_server.domain.charts import EventCharts
from mcp_server.domain.models_charts import ChartKind, EventChart
from mcp_server.registry import ToolSpec

Kind = Annotated[
    ChartKind,
    Field(
        description="voting: weighted votes per easel per round; auction: current bid per artwork, sold ones "
        "marked; votes_over_time: votes per 5 minutes."
    ),
]


async def get_event_chart(
    eid: Eid, kind: Kind, ctx: Context, round: RoundNumber = None
) -> Annotated[CallToolResult, EventChart]:
    """A chart of an event's live numbers as a PNG image, with the numbers it draws: voting (weighted votes
    per easel, per round), auction (current bid per artwork, sold ones marked) or votes_over_time (votes
    per 5 minutes); one round with `round`. Titled with the event and the local time the numbers were
    read. Use it when someone asks to see or show a chart; for the numbers alone use
    get_live_voting_status, get_auction_status or get_vote_breakdown."""
    services = services_of(ctx)
    chart = await EventCharts(services.db, services.reads).chart(eid, kind, round)
    png = await render_png(chart)
    return CallToolResult(
        content=[
            TextContent(text=chart.model_dump_json()),
            ImageContent(data=base64.b64encode(png).decode(), mime_type="image/png"),
        ],
        structured_content=chart.model_dump(mode="json"),
    )


CHART_TOOLS: tuple[ToolSpec, ...] = (ToolSpec(get_event_chart, "get_event_chart", "read", live=True),)
