"""The event tools' logic: readiness, summary, roster, vote breakdown and bid history of one event.

Each method reads one document through the repository and shapes it into an output model: times in the
event's own timezone, money per currency, counts from the repository (never from a limited list), people as
first name and last initial with anything that looks like contact data masked. Mistakes the caller can fix
(an unknown eid, a round the event lacks, a bad art code) are raised as `ToolInputError`s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, get_args
from zoneinfo import ZoneInfo

from mcp_server.domain import models_event_ops as m
from mcp_server.domain.event_readiness import readiness_checks
from mcp_server.domain.event_summary import is_sold, summary_groups, summary_total
from mcp_server.domain.masking import mask_text
from mcp_server.domain.reads import ReadService
from mcp_server.domain.timefmt import event_status, event_zone, local_iso, utc_iso
from mcp_server.errors import InvalidArgument
from mcp_server.repository import event_activity, event_ops
from mcp_server.repository.pool import Database
from mcp_server.repository.rows_event_ops import ArtworkBidsRow, EventHeadRow, RosterArtistRow, VoteBreakdownRow

NAMES_IN_A_SENTENCE = 10
ROSTER_LIMIT = 200
WINDOW = timedelta(minutes=5)
MAX_WINDOWS = 288  # a day of 5-minute windows
BIDS_PER_WORK = 25  # every artwork of the event
BIDS_OF_ONE_WORK = 200  # one artwork asked for by its code
ART_CODES_IN_A_SENTENCE = 12
STAGES: tuple[m.RosterStage, ...] = get_args(m.RosterStage)
_ART_CODE = re.compile(r"^([A-Z]{2,4}\d{1,6})-(\d{1,3})-(\d{1,3})$")


def head(row: EventHeadRow) -> dict[str, Any]:
    """The `EventHead` fields every answer starts with."""
    return dict(
        m.EventHead(
            eid=row.eid,
            event_name=row.name or row.eid,
            status=event_status(row.starts_at, row.ends_at, row.as_of),
            timezone=event_zone(row.timezone).key,
            as_of=utc_iso(row.as_of),
        )
    )


def person(name: str | None, absent: str) -> str:
    return mask_text(name) if name else absent


def art_code_of(eid: str, raw: str) -> str:
    """The art code `raw` means, checked to be of the event `eid`."""
    code = raw.strip().upper()
    found = _ART_CODE.match(code)
    if found is None:
        raise InvalidArgument(f"{raw[:40]!r} is not an art code; art codes look like {eid}-2-3 (event, round, easel).")
    if found.group(1) != eid:
        raise InvalidArgument(f"{code} is an artwork of {found.group(1)}, not of {eid}; ask about {found.group(1)}.")
    return code


def _known_codes(eid: str, code: str, codes: list[str]) -> InvalidArgument:
    if not codes:
        return InvalidArgument(f"{eid} has no artwork {code}; it has no artworks yet.")
    listed = ", ".join(codes[:ART_CODES_IN_A_SENTENCE]) + (", ..." if len(codes) > ART_CODES_IN_A_SENTENCE else "")
    return InvalidArgument(f"{eid} has no artwork {code}; its art codes are {listed}.")


def _roster_artist(row: RosterArtistRow, zone: ZoneInfo) -> m.RosterArtist:
    return m.RosterArtist(
        artist_profile_id=row.artist_profile_id,
        artist_name=mask_text(row.artist_name),
        country=row.country,
        stage=row.stage,
        invitation_status=row.invitation_status,
        invited_at=local_iso(row.invited_at, zone),
        accepted_at=local_iso(row.accepted_at, zone),
        confirmation_status=row.confirmation_status,
        applied_at=local_iso(row.applied_at, zone),
        easels=[
            m.EaselAssignment(round=p.round, easel=p.easel, art_code=p.art_code, artwork_status=p.status)
            for p in row.paints
        ],
        artwork_created=bool(row.paints),
        payout_setup="ready" if row.payouts_enabled else "started" if row.has_stripe_account else "none",
    )


def vote_windows(row: VoteBreakdownRow, zone: ZoneInfo) -> list[m.VoteWindow]:
    """Every 5-minute window from the first vote's to the last one listed, the empty ones included."""
    if not row.windows:
        return []
    counted = {w.starts_at: w for w in row.windows}
    start, last = row.windows[0].starts_at, row.windows[-1].starts_at
    windows: list[m.VoteWindow] = []
    moment = start
    while moment <= last and len(windows) < MAX_WINDOWS:
        window = counted.get(moment)
        windows.append(
            m.VoteWindow(
                starts_at=local_iso(moment, zone) or "",
                votes=window.votes if window else 0,
                weighted_total=window.weighted if window else Decimal(0),
            )
        )
        moment += WINDOW
    return windows


def _artwork_bids(row: ArtworkBidsRow, currency: str | None, zone: ZoneInfo) -> m.ArtworkBids:
    sold = is_sold(row.status)
    sale = row.final_price if row.final_price is not None else row.current_bid
    return m.ArtworkBids(
        art_code=row.art_code,
        round=row.round,
        easel=row.easel,
        artist_name=mask_text(row.artist_name) if row.artist_name else None,
        status=row.status or "inactive",
        sold=sold,
        sale_price=sale if sold else None,
        currency=max(row.bids, key=lambda b: b.amount).currency if row.bids else currency,
        closing_time=local_iso(row.closing_time, zone),
        winner=mask_text(row.winner) if row.winner else None,
        top_bidder=mask_text(row.top_bidder) if row.top_bidder else None,
        bid_count=row.bid_count,
        unique_bidders=row.bidders,
        bids_truncated=row.bid_count > len(row.bids),
        bids=[
            m.BidLine(
                amount=b.amount,
                currency=b.currency,
                bidder=person(b.bidder, "anonymous bidder"),
                at=local_iso(b.at, zone),
            )
            for b in row.bids
        ],
    )


@dataclass(frozen=True)
class EventOperations:
    """Answers the event tools from the database; unknown eids get the read service's suggestions."""

    db: Database
    reads: ReadService

    async def readiness(self, eid: str) -> m.EventReadiness:
        row = await event_ops.readiness_facts(self.db, eid, NAMES_IN_A_SENTENCE)
        if row is None:
            raise await self.reads.unknown_event(eid)
        checks = readiness_checks(row)
        results = [c.result for c in checks]
        return m.EventReadiness(
            **head(row),
            starts_at=local_iso(row.starts_at, event_zone(row.timezone)),
            ready="fail" not in results,
            overall="fail" if "fail" in results else "warn" if "warn" in results else "pass",
            passed=results.count("pass"),
            warnings=results.count("warn"),
            failures=results.count("fail"),
            checks=checks,
        )

    async def summary(self, eid: str, group_by: m.GroupBy) -> m.EventSummaryReport:
        row = await event_activity.event_summary(self.db, eid)
        if row is None:
            raise await self.reads.unknown_event(eid)
        zone = event_zone(row.timezone)
        return m.EventSummaryReport(
            **head(row),
            currency=row.currency,
            artists_portion=row.portion,
            group_by=group_by,
            total=summary_total(row),
            groups=summary_groups(row, group_by),
            door_check_ins=m.CheckIns(
                scans=row.check_ins.scans,
                people=row.check_ins.people,
                first_at=local_iso(row.check_ins.first_at, zone),
                last_at=local_iso(row.check_ins.last_at, zone),
            ),
        )

    async def roster(self, eid: str) -> m.EventRoster:
        row = await event_ops.roster(self.db, eid, ROSTER_LIMIT)
        if row is None:
            raise await self.reads.unknown_event(eid)
        zone = event_zone(row.timezone)
        return m.EventRoster(
            **head(row),
            total=row.total,
            truncated=row.total > len(row.artists),
            by_stage={stage: row.by_stage[stage] for stage in STAGES if stage in row.by_stage},
            artists=[_roster_artist(a, zone) for a in row.artists],
        )

    async def vote_breakdown(self, eid: str, round_number: int | None) -> m.VoteBreakdown:
        row = await event_activity.vote_breakdown(self.db, eid, round_number, MAX_WINDOWS)
        if row is None:
            raise await self.reads.unknown_event(eid)
        if round_number is not None and round_number not in row.rounds:
            raise InvalidArgument(
                f"{eid} has no round {round_number}; its rounds are {row.rounds or 'not set up yet'}."
            )
        zone = event_zone(row.timezone)
        return m.VoteBreakdown(
            **head(row),
            round=round_number,
            votes=row.votes,
            weighted_total=row.weighted,
            unique_voters=row.voters,
            first_vote_at=local_iso(row.first_vote_at, zone),
            last_vote_at=local_iso(row.last_vote_at, zone),
            by_vote_factor=[
                m.FactorShare(
                    vote_factor=f.factor,
                    votes=f.votes,
                    voters=f.voters,
                    share_of_votes=round(100 * f.votes / row.votes, 1),
                )
                for f in row.by_factor
            ],
            by_round=[
                m.RoundVoteTotals(round=r.round, votes=r.votes, weighted_total=r.weighted, unique_voters=r.voters)
                for r in row.by_round
            ],
            per_five_minutes=vote_windows(row, zone),
            windows_truncated=_after_the_windows(row),
        )

    async def bid_history(self, eid: str, raw_art_code: str | None) -> m.BidHistory:
        code = art_code_of(eid, raw_art_code) if raw_art_code and raw_art_code.strip() else None
        limit = BIDS_OF_ONE_WORK if code else BIDS_PER_WORK
        row = await event_activity.bid_history(self.db, eid, code, limit)
        if row is None:
            raise await self.reads.unknown_event(eid)
        if code and row.art_codes is not None:
            raise _known_codes(eid, code, row.art_codes)
        zone = event_zone(row.timezone)
        return m.BidHistory(
            **head(row),
            art_code=code,
            total_bids=row.total_bids,
            unique_bidders=row.unique_bidders,
            artworks=[_artwork_bids(a, row.currency, zone) for a in row.artworks],
        )


def _after_the_windows(row: VoteBreakdownRow) -> bool:
    """True when votes came in after the last window the answer may list."""
    if row.last_vote_at is None or not row.windows:
        return False
    return row.last_vote_at >= row.windows[0].starts_at + WINDOW * MAX_WINDOWS
