"""The read tools' logic: fetch through the repository, shape into the output models, explain failures."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from mcp_server.cache import CoalescingCache
from mcp_server.domain import models as m
from mcp_server.domain.eid import closest_eids, normalize_eid
from mcp_server.domain.payouts import owed_line_model, payment_summary_model
from mcp_server.domain.timefmt import event_status, event_zone, local_iso, utc_iso
from mcp_server.errors import InvalidArgument, UnknownEvent
from mcp_server.repository import events, live, payouts
from mcp_server.repository.pool import Database

MAX_ROUNDS = 10


def round_state(round_number: int, is_finished: bool, current_round: int | None) -> m.RoundState:
    if is_finished or (current_round is not None and round_number < current_round):
        return "finished"
    return "open" if round_number == current_round else "not_started"


@dataclass
class ReadService:
    """Answers the read tools; `live_cache` bounds how stale voting and auction answers may be."""

    db: Database
    live_cache: CoalescingCache[Any]

    async def unknown_event(self, eid: str) -> UnknownEvent:
        return UnknownEvent(eid, closest_eids(eid, await events.known_eids(self.db)))

    async def event_details(self, raw_eid: str) -> m.EventDetails:
        eid = normalize_eid(raw_eid)
        doc = await events.event_details(self.db, eid)
        if doc is None:
            raise await self.unknown_event(eid)
        zone = event_zone(doc["timezone"])
        rounds = [
            m.RoundInfo(
                round_number=r["round_number"],
                closing_time=local_iso(r["closing_time"], zone),
                state=round_state(r["round_number"], bool(r["is_finished"]), doc["current_round"]),
            )
            for r in doc["rounds"]
        ]
        return m.EventDetails(
            eid=doc["eid"],
            name=doc["name"] or doc["eid"],
            status=event_status(doc["starts_at"], doc["ends_at"], doc["now"]),
            starts_at=local_iso(doc["starts_at"], zone),
            ends_at=local_iso(doc["ends_at"], zone),
            timezone=zone.key,
            city=doc["city"],
            country=doc["country"],
            venue=doc["venue"],
            venue_address=doc["venue_address"],
            capacity=doc["capacity"],
            current_round=doc["current_round"],
            rounds=rounds,
            currency=doc["currency"],
            stripe_account_region=doc["region"],
            artist_count=doc["artist_count"],
            artwork_count=doc["artwork_count"],
        )

    async def list_events(
        self, query: str | None, city: str | None, start: datetime | None, end: datetime | None, limit: int
    ) -> m.EventList:
        if start and end and end < start:
            raise InvalidArgument("'to' is before 'from'; give a date range that runs forwards.")
        doc = await events.search_events(self.db, query or None, city or None, start, end, limit)
        summaries = []
        for row in doc["events"]:
            zone = event_zone(row["timezone"])
            summaries.append(
                m.EventSummary(
                    eid=row["eid"],
                    name=row["name"] or row["eid"],
                    city=row["city"],
                    country=row["country"],
                    status=event_status(row["starts_at"], row["ends_at"], doc["now"]),
                    starts_at=local_iso(row["starts_at"], zone),
                    timezone=zone.key,
                    currency=row["currency"],
                )
            )
        return m.EventList(total_matched=doc["total"], events=summaries)

    async def voting_status(self, raw_eid: str, round_number: int | None) -> m.VotingStatus:
        eid = normalize_eid(raw_eid)
        # The finished answer is cached, not the raw tallies: calls within max_age share the shaping work too.
        answer = await self.live_cache.get(("votes", eid, round_number), lambda: self._voting_answer(eid, round_number))
        if answer is None:
            raise await self.unknown_event(eid)
        if isinstance(answer, str):
            raise InvalidArgument(answer)
        voting: m.VotingStatus = answer
        return voting

    async def _voting_answer(self, eid: str, round_number: int | None) -> m.VotingStatus | str | None:
        """The answer for one event (and round), or why there is none: unknown event (None), bad round (str)."""
        doc = await live.voting_tallies(self.db, eid, round_number)
        if doc is None:
            return None
        known_rounds = {r["round_number"]: r for r in doc["rounds"]}
        if round_number is not None and round_number not in known_rounds:
            return f"{eid} has no round {round_number}; its rounds are {sorted(known_rounds) or 'not set up yet'}."
        numbers = (
            [round_number]
            if round_number is not None
            else sorted(known_rounds.keys() | {e["round"] for e in doc["easels"] if e["round"] is not None})
        )
        rounds = [self._round_votes(n, doc, known_rounds.get(n)) for n in numbers]
        return m.VotingStatus(
            eid=eid,
            event_name=doc["name"] or eid,
            current_round=doc["current_round"],
            as_of=utc_iso(doc["as_of"]),
            max_age_seconds=self.live_cache.max_age,
            rounds=rounds,
        )

    @staticmethod
    def _round_votes(number: int, doc: dict[str, Any], info: dict[str, Any] | None) -> m.RoundVotes:
        easels = [
            m.EaselVotes(
                easel=e["easel"],
                artist_name=e["artist_name"],
                art_code=e["art_code"],
                artist_profile_id=e["artist_profile_id"],
                raw_votes=e["raw_votes"],
                weighted_total=Decimal(e["weighted"]),
            )
            for e in doc["easels"]
            if e["round"] == number and e["easel"] is not None
        ]
        best = max((e.weighted_total for e in easels), default=Decimal(0))
        leaders = [e for e in easels if e.weighted_total == best and best > 0]
        state = round_state(number, bool(info and info["is_finished"]), doc["current_round"])
        return m.RoundVotes(
            round_number=number,
            state=state,
            easels=easels,
            total_raw_votes=sum(e.raw_votes for e in easels),
            total_weighted=sum((e.weighted_total for e in easels), Decimal(0)),
            leader=leaders[0] if leaders else None,
            tied=len(leaders) > 1,
        )

    async def auction_status(self, raw_eid: str) -> m.AuctionStatus:
        eid = normalize_eid(raw_eid)
        doc = await self.live_cache.get(("auction", eid), lambda: live.auction_board(self.db, eid))
        if doc is None:
            raise await self.unknown_event(eid)
        zone = event_zone(doc["timezone"])
        works = [
            m.ArtworkAuction(
                art_code=a["art_code"],
                round=a["round"],
                easel=a["easel"],
                artist_name=a["artist_name"],
                status=a["status"] or "inactive",
                current_bid=Decimal(a["current_bid"]),
                bid_count=a["bid_count"],
                closing_time=local_iso(a["closing_time"], zone),
            )
            for a in doc["artworks"]
        ]
        counts = Counter(w.status for w in works)
        totals = m.AuctionTotals(
            active=counts["active"],
            closed=counts["closed"],
            sold=counts["sold"],
            paid=counts["paid"],
            other=sum(n for s, n in counts.items() if s not in {"active", "closed", "sold", "paid"}),
            bids=sum(w.bid_count for w in works),
            current_bid_sum=sum((w.current_bid for w in works), Decimal(0)),
        )
        top = sorted((w for w in works if w.current_bid > 0), key=lambda w: w.current_bid, reverse=True)[:5]
        return m.AuctionStatus(
            eid=eid,
            event_name=doc["name"] or eid,
            currency=doc["currency"],
            as_of=utc_iso(doc["as_of"]),
            max_age_seconds=self.live_cache.max_age,
            totals=totals,
            top_bids=top,
            artworks=works,
            last_bid_at=local_iso(doc["last_bid_at"], zone),
        )

    async def payment_summary(self, raw_eid: str) -> m.PaymentSummary:
        eid = normalize_eid(raw_eid)
        doc = await payouts.payment_summary(self.db, eid)
        if doc is None:
            raise await self.unknown_event(eid)
        return payment_summary_model(doc)

    async def artist_owed(self, raw_eid: str | None, artist_profile_id: str | None) -> m.ArtistOwed:
        eid = normalize_eid(raw_eid) if raw_eid else None
        if eid and await events.event_details(self.db, eid) is None:
            raise await self.unknown_event(eid)
        lines = [owed_line_model(row) for row in await payouts.owed_lines(self.db, eid, artist_profile_id)]
        totals: dict[str, Decimal] = {}
        for line in lines:
            totals[line.currency or "?"] = totals.get(line.currency or "?", Decimal(0)) + line.owed
        return m.ArtistOwed(total_lines=len(lines), totals_by_currency=totals, lines=lines)
