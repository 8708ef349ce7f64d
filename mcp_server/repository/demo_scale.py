"""Production-like volume on top of the demo data (`--scale`), for load tests and query plans.

At `scale=1`:
- **AB5001**, live in Toronto (CAD, Canada region): 3 rounds × 12 easels, 36 works by 36 artists, rounds 1–2
  finished and round 3 open, **20,000 weighted votes** (vote_factor 0.5–3.0; 7,200 / 6,800 / 6,000 per round),
  an active auction with 6–18 ascending bids per work (432 in all) spread over the evening.
- **A season of 300 past events** (AB5100…AB5399) over the past year in 24 cities on three continents, each
  3 rounds × 4 easels by a pool of 240 artists, 400 votes, 3–8 bids per work, works paid for or sold and
  most artists already paid out.

The scale factor multiplies the live event's votes and the number of past events (rounded, at least one of
each); the shapes (36 works, 12 works and 400 votes per past event, bids per work) do not change, so a small
factor (0.05: 1,000 live votes, 15 past events) keeps tests fast with the same structure. Ids are uuid5 of
stable names (`demo_id`, with keys that never meet the base demo's), random choices come from a seeded
generator and times are relative to an anchor: the same scale and anchor always give the same rows.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg

from mcp_server.repository.demo_data import DemoRows, demo_id
from mcp_server.repository.demo_loader import copy_rows
from mcp_server.repository.demo_scale_event_ops import add_event_operations_at_scale
from mcp_server.repository.demo_scale_people_finance import add_people_and_finance_at_scale

LIVE_EID = "AB5001"
ROUNDS = 3
LIVE_EASELS = 12
LIVE_VOTES_AT_SCALE_1 = 20_000
LIVE_ROUND_SHARES = (0.36, 0.34, 0.30)
PAST_EVENTS_AT_SCALE_1 = 300
PAST_EID_BASE = 5100
PAST_EASELS = 4
PAST_VOTES_PER_ROUND = (140, 140, 120)
SEASON_ARTISTS = 240
SEED = 5001

# (vote_factor, weight): most voters count once, regulars and judges more, a few late arrivals less.
VOTE_FACTORS: tuple[tuple[str, int], ...] = (("1.0", 70), ("1.5", 14), ("2.0", 9), ("0.5", 4), ("3.0", 3))

# (city, country, timezone, currency, stripe region)
CITIES: tuple[tuple[str, str, str, str, str], ...] = (
    ("Toronto", "Canada", "America/Toronto", "CAD", "canada"),
    ("Montreal", "Canada", "America/Toronto", "CAD", "canada"),
    ("Vancouver", "Canada", "America/Vancouver", "CAD", "canada"),
    ("Ottawa", "Canada", "America/Toronto", "CAD", "canada"),
    ("Calgary", "Canada", "America/Edmonton", "CAD", "canada"),
    ("Edmonton", "Canada", "America/Edmonton", "CAD", "canada"),
    ("Winnipeg", "Canada", "America/Winnipeg", "CAD", "canada"),
    ("Halifax", "Canada", "America/Halifax", "CAD", "canada"),
    ("Quebec City", "Canada", "America/Toronto", "CAD", "canada"),
    ("Victoria", "Canada", "America/Vancouver", "CAD", "canada"),
    ("New York", "USA", "America/New_York", "USD", "international"),
    ("Boston", "USA", "America/New_York", "USD", "international"),
    ("Chicago", "USA", "America/Chicago", "USD", "international"),
    ("San Francisco", "USA", "America/Los_Angeles", "USD", "international"),
    ("Seattle", "USA", "America/Los_Angeles", "USD", "international"),
    ("Austin", "USA", "America/Chicago", "USD", "international"),
    ("Sydney", "Australia", "Australia/Sydney", "AUD", "international"),
    ("Melbourne", "Australia", "Australia/Melbourne", "AUD", "international"),
    ("Brisbane", "Australia", "Australia/Brisbane", "AUD", "international"),
    ("Perth", "Australia", "Australia/Perth", "AUD", "international"),
    ("Auckland", "New Zealand", "Pacific/Auckland", "NZD", "international"),
    ("Wellington", "New Zealand", "Pacific/Auckland", "NZD", "international"),
    ("Amsterdam", "Netherlands", "Europe/Amsterdam", "EUR", "international"),
    ("Bangkok", "Thailand", "Asia/Bangkok", "THB", "international"),
)
COUNTRY_CODES = {
    "Canada": "CA", "USA": "US", "Australia": "AU", "New Zealand": "NZ", "Netherlands": "NL", "Thailand": "TH",
}  # fmt: skip
SEASONS = ("Winter", "Spring", "Summer", "Autumn")
FIRST_NAMES = (
    "Aisha", "Ben", "Camille", "Dev", "Elena", "Felix", "Gabriela", "Hiro", "Ines", "Jamal",
    "Kira", "Lucas", "Mei", "Nikolai", "Olivia", "Pablo", "Quinn", "Rosa", "Samir", "Tessa",
    "Umar", "Vera", "Wes", "Ximena", "Yusuf", "Zoe", "Arjun", "Bea", "Cyrus", "Dana",
)  # fmt: skip
LAST_NAMES = (
    "Abara", "Bergstrom", "Castillo", "Dubois", "Eriksen", "Fontaine", "Gallo", "Hughes", "Ivanova", "Jensen",
    "Kaur", "Lindqvist", "Mbeki", "Novak", "Osei", "Petrov", "Quispe", "Reyes", "Sato", "Thorne",
    "Ueda", "Varga", "Walsh", "Xu", "Yilmaz", "Zamora", "Achebe", "Brennan", "Costa", "Dlamini",
)  # fmt: skip


@dataclass(frozen=True)
class ScalePlan:
    """What a scale factor means in rows."""

    scale: float
    live_votes: int
    past_events: int

    @classmethod
    def of(cls, scale: float) -> ScalePlan:
        if not 0 < scale <= 100:
            raise ValueError("scale must be above 0 and at most 100")
        return cls(scale, max(1, round(LIVE_VOTES_AT_SCALE_1 * scale)), max(1, round(PAST_EVENTS_AT_SCALE_1 * scale)))

    @property
    def live_votes_per_round(self) -> tuple[int, ...]:
        """Votes of rounds 1..3; the last round takes the rounding remainder so the total is exact."""
        first = [math.floor(self.live_votes * share) for share in LIVE_ROUND_SHARES[:-1]]
        return (*first, self.live_votes - sum(first))

    @property
    def voters(self) -> int:
        """People who vote: each votes at most once per round, so the busiest round sets the crowd size."""
        return max(*self.live_votes_per_round, *PAST_VOTES_PER_ROUND)

    @property
    def past_eids(self) -> list[str]:
        return [f"AB{PAST_EID_BASE + number}" for number in range(self.past_events)]


def artist_name(number: int) -> str:
    """A distinct realistic name for each number below 900."""
    quotient, rest = divmod(number, len(FIRST_NAMES))
    return f"{FIRST_NAMES[rest]} {LAST_NAMES[(quotient + rest) % len(LAST_NAMES)]}"


def _voter(number: int) -> uuid.UUID:
    return demo_id("person", f"scale-voter{number}")


def _money(value: float) -> Decimal:
    return Decimal(round(value / 5) * 5)


class _ScaleBuilder:
    def __init__(self, plan: ScalePlan, anchor: datetime, seed: int) -> None:
        self.plan = plan
        self.anchor = anchor
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not security
        self.rows = DemoRows()
        self._factors = [Decimal(factor) for factor, _ in VOTE_FACTORS]
        self._factor_weights = [weight for _, weight in VOTE_FACTORS]
        self._currency: dict[str, str] = {}
        self._voters = [_voter(number) for number in range(plan.voters)]  # uuid5 is the build's main cost

    def build(self) -> DemoRows:
        self._people()
        self._cities()
        self._live_event()
        for number, eid in enumerate(self.plan.past_eids):
            self._past_event(number, eid)
        return self.rows

    def _people(self) -> None:
        for number, person in enumerate(self._voters):
            self.rows.add(
                "people",
                person,
                FIRST_NAMES[number % len(FIRST_NAMES)],
                f"Voter{number}",
                f"scale.voter{number}@example.com",
                f"+1 647 555 {number % 10000:04d}",
            )
        for key in [f"L{n}" for n in range(ROUNDS * LIVE_EASELS)] + [f"S{n}" for n in range(SEASON_ARTISTS)]:
            self._artist(key)

    def _artist(self, key: str) -> None:
        number = int(key[1:]) + (0 if key.startswith("L") else ROUNDS * LIVE_EASELS)
        name = artist_name(number)
        _, country, _, currency, _ = CITIES[number % len(CITIES)] if key.startswith("S") else CITIES[0]
        person = demo_id("person", f"scale-{key}")
        email = f"{name.lower().replace(' ', '.')}@example.com"
        phone = f"+1 438 555 {number:04d}"
        self.rows.add("people", person, *name.split(" ", 1), email, phone)
        self.rows.add("artist_profiles", demo_id("artist", f"scale-{key}"), person, name, country, email, phone)
        draw = self.rng.random()
        if draw < 0.95:
            enabled = draw < 0.85
            self.rows.add(
                "artist_stripe_accounts",
                demo_id("stripe", f"scale-{key}"),
                demo_id("artist", f"scale-{key}"),
                f"acct_scale{key.lower()}",
                "complete" if enabled else "pending",
                enabled,
                COUNTRY_CODES[country],
                currency,
            )

    def _cities(self) -> None:
        for city, country, *_ in CITIES:
            self.rows.add("cities", demo_id("city", city), city, country)
            self.rows.add("venues", demo_id("venue", f"scale-{city}"), f"{city} Art Hall", f"100 Main St, {city}")

    def _event(self, eid: str, name: str, city: int, start: datetime, current_round: int, capacity: int) -> None:
        city_name, _, zone, currency, region = CITIES[city]
        self._currency[eid] = currency
        self.rows.add(
            "events",
            demo_id("event", eid),
            eid,
            name,
            start,
            start + timedelta(hours=3),
            zone,
            True,
            True,
            current_round,
            currency,
            demo_id("city", city_name),
            demo_id("venue", f"scale-{city_name}"),
            capacity,
            None,
            region,
        )

    def _rounds(self, eid: str, start: datetime, open_round: int | None) -> None:
        for number in range(1, ROUNDS + 1):
            closing = start + timedelta(minutes=40 * number)
            if number == open_round:
                closing = self.anchor + timedelta(minutes=20)
            finished = open_round is None or number < open_round
            self.rows.add(
                "rounds", demo_id("round", f"{eid}-{number}"), demo_id("event", eid), number, finished, closing
            )

    def _live_event(self) -> None:
        start = self.anchor - timedelta(minutes=100)
        self._event(LIVE_EID, "Art Battle Toronto — Championship Night", 0, start, ROUNDS, 2500)
        self._rounds(LIVE_EID, start, ROUNDS)
        closing = self.anchor + timedelta(minutes=60)
        for round_ in range(1, ROUNDS + 1):
            for easel in range(1, LIVE_EASELS + 1):
                artist = f"L{(round_ - 1) * LIVE_EASELS + easel - 1}"
                bids = self._bids(f"{LIVE_EID}-{round_}-{easel}", 6 + (easel * 5 + round_ * 3) % 13, start, "CAD")
                self._art(LIVE_EID, round_, easel, artist, "active", bids, closing, final=False)
        for round_, count in enumerate(self.plan.live_votes_per_round, 1):
            window_start = start + timedelta(minutes=40 * (round_ - 1))
            window = min(timedelta(minutes=40), self.anchor - window_start)
            self._votes(LIVE_EID, round_, LIVE_EASELS, count, window_start, window)

    def _past_event(self, number: int, eid: str) -> None:
        city = number % len(CITIES)
        days_ago = 3 + number * 360 / self.plan.past_events
        start = (self.anchor - timedelta(days=days_ago)).replace(hour=23, minute=0, second=0, microsecond=0)
        season = SEASONS[int((360 - days_ago) // 90) % len(SEASONS)]
        name = f"Art Battle {CITIES[city][0]} — {season} Series #{number // len(CITIES) + 1}"
        self._event(eid, name, city, start, ROUNDS, 150 + (number * 37) % 350)
        self._rounds(eid, start, None)
        closing = start + timedelta(hours=3)
        for round_ in range(1, ROUNDS + 1):
            for easel in range(1, PAST_EASELS + 1):
                artist = f"S{self.rng.randrange(SEASON_ARTISTS)}"
                bids = self._bids(f"{eid}-{round_}-{easel}", self.rng.randint(3, 8), start, CITIES[city][3])
                self._art(eid, round_, easel, artist, self._past_status(), bids, closing, final=True)
        for round_, count in enumerate(PAST_VOTES_PER_ROUND, 1):
            window_start = start + timedelta(minutes=40 * (round_ - 1))
            self._votes(eid, round_, PAST_EASELS, count, window_start, timedelta(minutes=40))

    def _past_status(self) -> str:
        draw = self.rng.random()
        return "paid" if draw < 0.85 else "sold" if draw < 0.95 else "closed"

    def _bids(self, art_code: str, count: int, start: datetime, currency: str) -> list[Decimal]:
        amount = _money(self.rng.uniform(80, 250))
        span = max(self.anchor - start, timedelta(minutes=1)) if art_code.startswith(LIVE_EID) else timedelta(hours=3)
        amounts = []
        for position in range(count):
            at = start + span * (position + self.rng.random()) / (count + 1)
            self.rows.add(
                "bids",
                demo_id("bid", f"scale-{art_code}-{position}"),
                demo_id("art", art_code),
                self.rng.choice(self._voters),
                amount,
                currency,
                at,
            )
            amounts.append(amount)
            amount += _money(self.rng.uniform(10, 90)) or Decimal(5)
        return amounts

    def _art(
        self,
        eid: str,
        round_: int,
        easel: int,
        artist: str,
        status: str,
        bids: Sequence[Decimal],
        closing: datetime,
        *,
        final: bool,
    ) -> None:
        code = f"{eid}-{round_}-{easel}"
        price = bids[-1] if bids and final and status != "closed" else None
        self.rows.add(
            "art",
            demo_id("art", code),
            demo_id("event", eid),
            code,
            round_,
            easel,
            demo_id("artist", f"scale-{artist}"),
            status,
            bids[-1] if bids else Decimal(0),
            len(bids),
            self.rng.choice(self._voters) if price is not None else None,
            closing,
            price,
        )
        if price is not None and status == "paid":
            self._payout(eid, code, artist, price, closing)

    def _payout(self, eid: str, code: str, artist: str, price: Decimal, closed: datetime) -> None:
        """Most paid-for works are already paid out; some are pending or failed, the rest still owed."""
        draw = self.rng.random()
        if draw >= 0.8:
            return  # still owed
        status = "paid" if draw < 0.7 else "pending" if draw < 0.76 else "failed"
        gross = price / 2
        paid_at = closed + timedelta(days=2) if status == "paid" else None
        self.rows.add(
            "artist_payments",
            demo_id("payment", f"scale-{code}"),
            demo_id("artist", f"scale-{artist}"),
            demo_id("art", code),
            gross,
            Decimal(0),
            Decimal(0),
            gross,
            self._currency[eid],
            status,
            f"tr_scale{code.replace('-', '')}" if status == "paid" else None,
            "stripe",
            closed + timedelta(days=1),
            paid_at,
            "account_closed" if status == "failed" else None,
            json.dumps({"event_id": str(demo_id("event", eid)), "eid": eid, "source": "demo-scale"}),
        )

    def _votes(self, eid: str, round_: int, easels: int, count: int, start: datetime, window: timedelta) -> None:
        event = demo_id("event", eid)
        popularity = [self.rng.uniform(0.4, 2.0) for _ in range(easels)]
        works = {easel: demo_id("art", f"{eid}-{round_}-{easel}") for easel in range(1, easels + 1)}
        chosen = self.rng.choices(range(1, easels + 1), weights=popularity, k=count)
        factors = self.rng.choices(self._factors, weights=self._factor_weights, k=count)
        voters = self.rng.sample(self._voters, count)
        seconds = window.total_seconds()
        for position, (easel, factor, voter) in enumerate(zip(chosen, factors, voters, strict=True)):
            self.rows.add(
                "votes",
                demo_id("vote", f"scale-{eid}-{round_}-{position}"),
                event,
                eid,
                round_,
                easel,
                works[easel],
                voter,
                factor,
                start + timedelta(seconds=self.rng.uniform(0, seconds)),
            )


def build_scale_rows(scale: float, anchor: datetime | None = None, seed: int = SEED) -> DemoRows:
    """Every scale row for `scale`, relative to `anchor` (default: now)."""
    return _ScaleBuilder(ScalePlan.of(scale), anchor or datetime.now(UTC), seed).build()


async def load_scale_data(
    connection: asyncpg.Connection, scale: float, anchor: datetime | None = None
) -> dict[str, int]:
    """Add the scale rows once (COPY, one transaction), then vacuum and analyse as autovacuum would.

    Returns the rows added per table; empty when AB5001 already exists. Cities the base demo already has
    are left as they are (both sets derive a city's id from its name).
    """
    if await connection.fetchval("SELECT 1 FROM events WHERE eid = $1", LIVE_EID):
        return {}
    rows = build_scale_rows(scale, anchor)
    add_event_operations_at_scale(rows, LIVE_EID)
    add_people_and_finance_at_scale(rows, LIVE_EID, anchor)
    existing = {record["id"] for record in await connection.fetch("SELECT id FROM cities")}
    rows.rows["cities"] = [row for row in rows.rows["cities"] if row[0] not in existing]
    async with connection.transaction():
        # A flushed commit lets VACUUM mark the pages all-visible (test clusters commit asynchronously).
        await connection.execute("SET LOCAL synchronous_commit = on")
        await copy_rows(connection, rows)
    await vacuum_until_visible(connection, list(rows.rows))
    return {table: len(records) for table, records in rows.rows.items()}


async def vacuum_until_visible(connection: asyncpg.Connection, tables: list[str], within: float = 15.0) -> None:
    """VACUUM (ANALYZE) the tables as autovacuum keeps production's: current statistics, and a visibility map
    that allows index-only scans. A snapshot older than the load (autovacuum analysing the new rows, say)
    keeps pages from being marked all-visible, so this repeats, for a bounded time, until they are."""
    deadline = time.monotonic() + within
    while True:
        for table in tables:
            await connection.execute(f"VACUUM (ANALYZE) {table}")
        lagging = await connection.fetchval(
            "SELECT count(*) FROM pg_class WHERE relname = ANY($1::text[]) AND relkind = 'r'"
            " AND relallvisible < relpages",
            tables,
        )
        if not lagging or time.monotonic() > deadline:
            return
        await asyncio.sleep(0.25)
