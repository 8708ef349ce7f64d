"""The read tools' logic: fetch typed rows through the repository, shape them into the output models.

Errors the caller can act on (an unknown eid, a round the event does not have) are raised as
`ToolInputError`s; the tool boundary turns them into sentences. Live answers are cached at the MCP layer
(`mcp_server.live_cache`), not here; `live_max_age` is what those answers state as their bound.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from mcp_server.domain import models as m
from mcp_server.domain.eid import closest_eids, normalize_eid
from mcp_server.domain.payouts import artist_owed_model, payment_summary_model
from mcp_server.domain.timefmt import event_status, event_zone, local_iso, utc_iso
from mcp_server.errors import InvalidArgument, UnknownEvent
from mcp_server.repository import events, live, payouts
from mcp_server.repository.pool import Database
from mcp_server.repository.rows import EaselTallyRow, RoundRow, VotingTalliesRow

MAX_ROUNDS = 10


def round_state(round_number: int, is_finished: bool | None, current_round: int | None) -> m.RoundState:
    if is_finished or (current_round is not None and round_number < current_round):
        return "finished"
    return "open" if round_number == current_round else "not_started"


def _easel_votes(row: EaselTallyRow, easel: int) -> m.EaselVotes:
    return m.EaselVotes(
        easel=easel,
        artist_name=row.artist_name,
        art_code=row.art_code,
        artist_profile_id=row.artist_profile_id,
        raw_votes=row.raw_votes,
        weighted_total=row.weighted,
    )


def round_votes(number: int, tallies: VotingTalliesRow, info: RoundRow | None) -> m.RoundVotes:
    easels = [_easel_votes(e, e.easel) for e in tallies.easels if e.round == number and e.easel is not None]
    best = max((e.weighted_total for e in easels), default=Decimal(0))
    leaders = [e for e in easels if e.weighted_total == best and best > 0]
    return m.RoundVotes(
        round_number=number,
        state=round_state(number, info.is_finished if info else None, tallies.current_round),
        easels=easels,
        total_raw_votes=sum(e.raw_votes for e in easels),
        total_weighted=sum((e.weighted_total for e in easels), Decimal(0)),
        leader=leaders[0] if leaders else None,
        tied=len(leaders) > 1,
    )


def auction_totals(works: list[m.ArtworkAuction]) -> m.AuctionTotals:
    counts = Counter(w.status for w in works)
    return m.AuctionTotals(
        active=counts["active"],
        closed=counts["closed"],
        sold=counts["sold"],
        paid=counts["paid"],
        other=sum(n for s, n in counts.items() if s not in {"active", "closed", "sold", "paid"}),
        bids=sum(w.bid_count for w in works),
        current_bid_sum=sum((w.current_bid for w in works), Decimal(0)),
    )


@dataclass(frozen=True)
class ReadService:
    """Answers the read tools from the database."""

    db: Database
    live_max_age: float

    async def unknown_event(self, eid: str) -> UnknownEvent:
        return UnknownEvent(eid, closest_eids(eid, await events.known_eids(self.db)))

    async def event_details(self, raw_eid: str) -> m.EventDetails:
        eid = normalize_eid(raw_eid)
        row = await events.event_details(self.db, eid)
        if row is None:
            raise await self.unknown_event(eid)
        zone = event_zone(row.timezone)
        rounds = [
            m.RoundInfo(
                round_number=r.round_number,
                closing_time=local_iso(r.closing_time, zone),
                state=round_state(r.round_number, r.is_finished, row.current_round),
            )
            for r in row.rounds
        ]
        return m.EventDetails(
            eid=row.eid,
            name=row.name or row.eid,
            status=event_status(row.starts_at, row.ends_at, row.now),
            starts_at=local_iso(row.starts_at, zone),
            ends_at=local_iso(row.ends_at, zone),
            timezone=zone.key,
            city=row.city,
            country=row.country,
            venue=row.venue,
            venue_address=row.venue_address,
            capacity=row.capacity,
            current_round=row.current_round,
            rounds=rounds,
            currency=row.currency,
            stripe_account_region=row.region,
            artist_count=row.artist_count,
            artwork_count=row.artwork_count,
        )

    async def list_events(
        self, query: str | None, city: str | None, start: datetime | None, end: datetime | None, limit: int
    ) -> m.EventList:
        if start and end and end < start:
            raise InvalidArgument("'to' is before 'from'; give a date range that runs forwards.")
        found = await events.search_events(self.db, query or None, city or None, start, end, limit)
        summaries = []
        for row in found.events:
            zone = event_zone(row.timezone)
            summaries.append(
                m.EventSummary(
                    eid=row.eid,
                    name=row.name or row.eid,
                    city=row.city,
                    country=row.country,
                    status=event_status(row.starts_at, row.ends_at, found.now),
                    starts_at=local_iso(row.starts_at, zone),
                    timezone=zone.key,
                    currency=row.currency,
                )
            )
        return m.EventList(total_matched=found.total, truncated=found.total > len(summaries), events=summaries)

    async def voting_status(self, raw_eid: str, round_number: int | None) -> m.VotingStatus:
        eid = normalize_eid(raw_eid)
        tallies = await live.voting_tallies(self.db, eid, round_number)
        if tallies is None:
            raise await self.unknown_event(eid)
        known_rounds = {r.round_number: r for r in tallies.rounds}
        if round_number is not None and round_number not in known_rounds:
            raise InvalidArgument(
                f"{eid} has no round {round_number}; its rounds are {sorted(known_rounds) or 'not set up yet'}."
            )
        numbers = (
            [round_number]
            if round_number is not None
            else sorted(known_rounds.keys() | {e.round for e in tallies.easels if e.round is not None})
        )
        return m.VotingStatus(
            eid=eid,
            event_name=tallies.name or eid,
            current_round=tallies.current_round,
            as_of=utc_iso(tallies.as_of),
            max_age_seconds=self.live_max_age,
            rounds=[round_votes(n, tallies, known_rounds.get(n)) for n in numbers],
        )

    async def auction_status(self, raw_eid: str) -> m.AuctionStatus:
        eid = normalize_eid(raw_eid)
        board = await live.auction_board(self.db, eid)
        if board is None:
            raise await self.unknown_event(eid)
        zone = event_zone(board.timezone)
        works = [
            m.ArtworkAuction(
                art_code=a.art_code,
                round=a.round,
                easel=a.easel,
                artist_name=a.artist_name,
                status=a.status or "inactive",
                current_bid=a.current_bid,
                bid_count=a.bid_count,
                closing_time=local_iso(a.closing_time, zone),
            )
            for a in board.artworks
        ]
        top = sorted((w for w in works if w.current_bid > 0), key=lambda w: w.current_bid, reverse=True)[:5]
        return m.AuctionStatus(
            eid=eid,
            event_name=board.name or eid,
            currency=board.currency,
            as_of=utc_iso(board.as_of),
            max_age_seconds=self.live_max_age,
            totals=auction_totals(works),
            top_bids=top,
            artworks=works,
            last_bid_at=local_iso(board.last_bid_at, zone),
        )

    async def payment_summary(self, raw_eid: str) -> m.PaymentSummary:
        eid = normalize_eid(raw_eid)
        summary = await payouts.payment_summary(self.db, eid)
        if summary is None:
            raise await self.unknown_event(eid)
        return payment_summary_model(summary)

    async def artist_owed(self, raw_eid: str | None, artist_profile_id: str | None, limit: int) -> m.ArtistOwed:
        eid = normalize_eid(raw_eid) if raw_eid else None
        if eid and await events.event_details(self.db, eid) is None:
            raise await self.unknown_event(eid)
        return artist_owed_model(await payouts.owed_lines(self.db, eid, artist_profile_id, limit))
