"""Turns the demo specification into rows and loads them with COPY (fast enough for `--scale`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg

from mcp_server.repository.demo_data import (
    ARTISTS,
    EVENTS,
    EXTRA_PAST_EVENTS,
    FINISHED_ART,
    LIVE_ART,
    LIVE_BIDS,
    LIVE_VOTES,
    PAYOUTS,
    UPCOMING_ART,
    VOTER_COUNT,
    DemoRows,
    EventSpec,
    demo_id,
)
from mcp_server.repository.demo_event_ops import add_event_operations
from mcp_server.repository.demo_people_finance import add_people_and_finance

_CURRENCY = {"Canada": "CAD", "Australia": "AUD", "USA": "USD"}
_COUNTRY_CODE = {"Canada": "CA", "Australia": "AU", "USA": "US"}


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())[:16] or "artist"


def demo_stripe_account_id(key: str) -> str:
    """The connected account id a demo artist's Stripe account has (tests seed a Stripe double with it)."""
    return f"acct_demo{key}{_slug(ARTISTS[key][0])[:6]}"


def _add_people_and_artists(rows: DemoRows) -> None:
    for number in range(VOTER_COUNT):
        rows.add(
            "people",
            demo_id("person", f"voter{number}"),
            f"Voter{number}",
            "Demo",
            f"voter{number}@example.com",
            f"+1 416 555 {number:04d}",
        )
    for key, (name, country, stripe) in ARTISTS.items():
        person = demo_id("person", key)
        first, _, last = name.partition(" ")
        email = f"{_slug(name)}@example.com"
        phone = f"+1 514 555 {sum(map(ord, key)) * 37 % 10000:04d}" if country != "Australia" else "+61 2 5550 1234"
        rows.add("people", person, first, last, email, phone)
        rows.add("artist_profiles", demo_id("artist", key), person, name, country, email, phone)
        if stripe:
            rows.add(
                "artist_stripe_accounts",
                demo_id("stripe", key),
                demo_id("artist", key),
                f"acct_demo{key}{_slug(name)[:6]}",
                "complete" if stripe == "enabled" else "pending",
                stripe == "enabled",
                _COUNTRY_CODE[country],
                _CURRENCY[country],
            )


def _add_event(rows: DemoRows, spec: EventSpec, anchor: datetime, live: bool) -> None:
    event = demo_id("event", spec.eid)
    city, venue = demo_id("city", spec.city[0]), demo_id("venue", spec.venue[0])
    rows.add("cities", city, *spec.city)
    rows.add("venues", venue, *spec.venue)
    start = anchor + spec.start_offset
    rows.add(
        "events",
        event,
        spec.eid,
        spec.name,
        start,
        start + timedelta(hours=spec.hours),
        spec.timezone,
        True,
        True,
        spec.current_round or None,
        spec.currency,
        city,
        venue,
        spec.capacity,
        spec.portion,
        spec.region,
    )
    for number in (1, 2, 3):
        finished = number < spec.current_round or (spec.start_offset < timedelta(0) and not live)
        closing = start + timedelta(minutes=40 * number) if spec.current_round >= number else None
        if live and number == spec.current_round:
            closing = anchor + timedelta(minutes=25)
        rows.add("rounds", demo_id("round", f"{spec.eid}-{number}"), event, number, finished, closing)


def _art_row(
    rows: DemoRows,
    eid: str,
    round_: int,
    easel: int,
    artist: str,
    status: str,
    current_bid: Decimal,
    bid_count: int,
    closing: datetime | None,
    final: Decimal | None,
) -> None:
    rows.add(
        "art",
        demo_id("art", f"{eid}-{round_}-{easel}"),
        demo_id("event", eid),
        f"{eid}-{round_}-{easel}",
        round_,
        easel,
        demo_id("artist", artist),
        status,
        current_bid,
        bid_count,
        demo_id("person", f"voter{(round_ * 7 + easel) % VOTER_COUNT}") if final else None,
        closing,
        final,
    )


def _add_live_event(rows: DemoRows, anchor: datetime) -> None:
    eid = "AB4001"
    closing = anchor + timedelta(minutes=60)
    for (round_, easel), artist in LIVE_ART.items():
        bids = LIVE_BIDS.get((round_, easel), [])
        status = "active" if round_ < 3 else "inactive"
        _art_row(
            rows,
            eid,
            round_,
            easel,
            artist,
            status,
            Decimal(bids[-1] if bids else 0),
            len(bids),
            closing if status == "active" else None,
            None,
        )
        for position, amount in enumerate(bids):
            rows.add(
                "bids",
                demo_id("bid", f"{eid}-{round_}-{easel}-{position}"),
                demo_id("art", f"{eid}-{round_}-{easel}"),
                demo_id("person", f"voter{position * 11 + easel}"),
                Decimal(amount),
                "CAD",
                anchor - timedelta(minutes=50 - 7 * position - easel),
            )
    _add_votes(rows, eid, LIVE_VOTES, anchor)


def _add_votes(rows: DemoRows, eid: str, plan: dict[tuple[int, int], list[tuple[int, str]]], anchor: datetime) -> None:
    event = demo_id("event", eid)
    counter = 0
    for (round_, easel), groups in plan.items():
        art = demo_id("art", f"{eid}-{round_}-{easel}")
        for count, factor in groups:
            for _ in range(count):
                rows.add(
                    "votes",
                    demo_id("vote", f"{eid}-{counter}"),
                    event,
                    eid,
                    round_,
                    easel,
                    art,
                    demo_id("person", f"voter{counter % VOTER_COUNT}"),
                    Decimal(factor),
                    anchor - timedelta(seconds=30 * (counter % 120)),
                )
                counter += 1


def _add_finished_art(rows: DemoRows, anchor: datetime) -> None:
    specs = {spec.eid: spec for spec in EVENTS}
    for (eid, round_, easel), (artist, price, status) in FINISHED_ART.items():
        spec = specs[eid]
        closing = anchor + spec.start_offset + timedelta(hours=spec.hours)
        _art_row(rows, eid, round_, easel, artist, status, Decimal(price), 6, closing, Decimal(price))
    finished_votes = {(r, e): [(20 + 3 * e, "1.0"), (r + e, "1.5")] for (eid, r, e) in FINISHED_ART if eid == "AB4003"}
    _add_votes(rows, "AB4003", finished_votes, anchor - timedelta(days=12))
    for (round_, easel), artist in UPCOMING_ART.items():
        _art_row(rows, "AB4004", round_, easel, artist, "inactive", Decimal(0), 0, None, None)


def _add_payouts(rows: DemoRows, anchor: datetime) -> None:
    currency = {spec.eid: spec.currency for spec in EVENTS}
    for number, (eid, artist, art, gross, status) in enumerate(PAYOUTS):
        art_id = demo_id("art", f"{eid}-{art[0]}-{art[1]}") if art else None
        paid = status == "paid"
        rows.add(
            "artist_payments",
            demo_id("payment", f"{eid}-{artist}-{number}"),
            demo_id("artist", artist),
            art_id,
            Decimal(gross),
            Decimal(0),
            Decimal(0),
            Decimal(gross),
            currency[eid],
            status,
            f"tr_demo{number:04d}" if paid else None,
            "stripe",
            anchor - timedelta(days=5),
            anchor - timedelta(days=5) if paid else None,
            None,
            json.dumps({"event_id": str(demo_id("event", eid)), "eid": eid, "source": "demo"}),
        )


def _add_extra_events(rows: DemoRows, anchor: datetime) -> None:
    for eid, name, city, days in EXTRA_PAST_EVENTS:
        spec = EventSpec(
            eid,
            name,
            (city, "Canada"),
            (f"{city} Arts Hall", f"1 Main St, {city}"),
            "America/Vancouver" if city == "Vancouver" else "America/Toronto",
            "CAD",
            "canada",
            250,
            None,
            timedelta(days=days),
            3,
            3,
        )
        _add_event(rows, spec, anchor, live=False)


def build_demo_rows(anchor: datetime | None = None) -> DemoRows:
    """Every demo row, relative to `anchor` (default: now)."""
    anchor = anchor or datetime.now(UTC)
    rows = DemoRows()
    _add_people_and_artists(rows)
    for spec in EVENTS:
        _add_event(rows, spec, anchor, live=spec.eid == "AB4001")
    _add_live_event(rows, anchor)
    _add_finished_art(rows, anchor)
    _add_payouts(rows, anchor)
    _add_extra_events(rows, anchor)
    add_people_and_finance(rows, anchor)
    add_event_operations(rows, anchor)
    return rows


async def copy_rows(connection: asyncpg.Connection, rows: DemoRows) -> None:
    """COPY every table's rows, parents first; cities/venues shared by events are deduplicated."""
    for table in rows.tables():
        records = list(dict.fromkeys(rows.rows.get(table, [])))
        if records:
            await connection.copy_records_to_table(table, records=records, columns=list(rows.columns_of(table)))


async def load_demo_data(connection: asyncpg.Connection, anchor: datetime | None = None) -> bool:
    """Load the demo set once; False when the database already has events."""
    if await connection.fetchval("SELECT count(*) FROM events"):
        return False
    async with connection.transaction():
        await copy_rows(connection, build_demo_rows(anchor))
    return True
