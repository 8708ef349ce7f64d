"""`get_event_chart`'s numbers: the same live reads the other tools answer with, shaped as chart series.

Voting and auction charts reuse `ReadService` (so a voting chart's numbers are get_live_voting_status's),
votes over time reuses the vote breakdown's 5-minute windows. The title carries the event and the local
time the numbers were read, so a chart pasted elsewhere still says what it shows and when.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from mcp_server.domain import models as m
from mcp_server.domain import models_charts as c
from mcp_server.domain import models_event_ops as eo
from mcp_server.domain.eid import normalize_eid
from mcp_server.domain.event_ops import EventOperations
from mcp_server.domain.reads import ReadService
from mcp_server.domain.timefmt import event_zone
from mcp_server.errors import InvalidArgument
from mcp_server.repository import charts
from mcp_server.repository.pool import Database

SOLD_STATUSES = frozenset({"sold", "paid"})
KIND_WORDS: dict[c.ChartKind, str] = {
    "voting": "voting",
    "auction": "auction",
    "votes_over_time": "votes over time",
}


def chart_title(eid: str, name: str, kind: c.ChartKind, as_of_utc: str, timezone: str | None) -> str:
    """The chart's title, e.g. `AB4001 · Toronto Finals · voting as of 20:15 (America/Toronto)`."""
    zone = event_zone(timezone)
    local = datetime.fromisoformat(as_of_utc.replace("Z", "+00:00")).astimezone(zone)
    return f"{eid} · {name} · {KIND_WORDS[kind]} as of {local:%H:%M} ({zone.key})"


def _round_name(number: int | None) -> str:
    return "all rounds" if number is None else f"Round {number}"


def voting_series(status: m.VotingStatus) -> list[c.ChartSeries]:
    return [
        c.ChartSeries(
            name=_round_name(r.round_number),
            round=r.round_number,
            points=[
                c.ChartPoint(label=f"E{e.easel} {e.artist_name or '(no artist)'}", value=e.weighted_total)
                for e in r.easels
            ],
        )
        for r in status.rounds
    ]


def auction_series(status: m.AuctionStatus, round_number: int | None) -> list[c.ChartSeries]:
    rounds = sorted({w.round for w in status.artworks if w.round is not None})
    if round_number is not None and round_number not in rounds:
        raise InvalidArgument(f"{status.eid} has no artworks in round {round_number}; its rounds are {rounds}.")
    return [
        c.ChartSeries(
            name=_round_name(number),
            round=number,
            points=[
                c.ChartPoint(
                    label=w.art_code or f"R{w.round} E{w.easel}",
                    value=w.current_bid,
                    marked=w.status in SOLD_STATUSES,
                )
                for w in status.artworks
                if w.round == number
            ],
        )
        for number in rounds
        if round_number in (None, number)
    ]


def timeline_series(breakdown: eo.VoteBreakdown, round_number: int | None) -> list[c.ChartSeries]:
    # Windows start at event-local ISO times ("2026-03-14T20:15-04:00"); a label needs only the HH:MM.
    points = [c.ChartPoint(label=w.starts_at[11:16], value=Decimal(w.votes)) for w in breakdown.per_five_minutes]
    return [c.ChartSeries(name=_round_name(round_number), round=round_number, points=points)]


@dataclass(frozen=True, slots=True)
class _Numbers:
    event_name: str
    unit: str
    as_of: str
    timezone: str | None
    series: list[c.ChartSeries]


@dataclass(frozen=True)
class EventCharts:
    """Builds a chart's numbers from the live reads (rendering is `chart_rendering.render_png`)."""

    db: Database
    reads: ReadService

    async def chart(self, raw_eid: str, kind: c.ChartKind, round_number: int | None) -> c.EventChart:
        eid = normalize_eid(raw_eid)
        numbers = await self._numbers(eid, kind, round_number)
        return c.EventChart(
            eid=eid,
            event_name=numbers.event_name,
            kind=kind,
            round=round_number,
            title=chart_title(eid, numbers.event_name, kind, numbers.as_of, numbers.timezone),
            unit=numbers.unit,
            as_of=numbers.as_of,
            max_age_seconds=self.reads.live_max_age,
            series=numbers.series,
        )

    async def _numbers(self, eid: str, kind: c.ChartKind, round_number: int | None) -> _Numbers:
        if kind == "votes_over_time":
            breakdown = await EventOperations(self.db, self.reads).vote_breakdown(eid, round_number)
            series = timeline_series(breakdown, round_number)
            return _Numbers(breakdown.event_name, "votes", breakdown.as_of, breakdown.timezone, series)
        if kind == "voting":
            voting, timezone = await asyncio.gather(
                self.reads.voting_status(eid, round_number), charts.event_timezone(self.db, eid)
            )
            return _Numbers(voting.event_name, "weighted votes", voting.as_of, timezone, voting_series(voting))
        auction, timezone = await asyncio.gather(self.reads.auction_status(eid), charts.event_timezone(self.db, eid))
        unit = f"current bid ({auction.currency or 'no currency'})"
        return _Numbers(auction.event_name, unit, auction.as_of, timezone, auction_series(auction, round_number))
