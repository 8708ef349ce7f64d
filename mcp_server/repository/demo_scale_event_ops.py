"""The event tools' tables at `--scale`: they grow with the events and votes the scale factor adds.

For every scale event: each artwork on its round's easel (`round_contestants`), each painting artist invited,
accepted and confirmed a month ahead (and an application before that), door QR codes rotating every 30
minutes and check-ins (every voter of the live event once; 120 people at each past event), and an Eventbrite
id on four events in five (the fifth has an empty string, as unlinked events do in production).
Derived only from the rows the scale builder made, so the same scale and anchor give the same rows.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from mcp_server.repository.demo_data import DemoRows, demo_id
from mcp_server.repository.demo_event_ops import EVENT_COLUMNS, TABLES

PAST_CHECK_INS = 120  # at most the smallest crowd a scale plan has (140 voters)
QR_ROTATION = timedelta(minutes=30)
QR_CODES_PER_EVENT = 6
SCAN_SPREAD = timedelta(minutes=90)


def _event_settings(row: tuple[Any, ...]) -> tuple[Any, ...]:
    number = int(str(row[1])[2:])
    linked = f"7813{number:08d}" if number % 5 else ""
    return ("city", linked, Decimal(200 + number % 7 * 100), None)


def add_event_operations_at_scale(rows: DemoRows, live_eid: str) -> None:
    """Add the event tools' rows for the scale events already in `rows`; `live_eid` checks in every voter."""
    for table, columns in TABLES.items():
        rows.declare(table, columns)
    rows.widen("events", EVENT_COLUMNS, _event_settings)
    starts = {str(row[1]): row[3] for row in rows.rows["events"]}
    painters: dict[tuple[str, uuid.UUID], None] = {}
    for art_id, _, code, round_, easel, artist, *_ in rows.rows["art"]:
        eid = str(code).split("-")[0]
        contestant = demo_id("contestant", f"scale-{code}")
        rows.add("round_contestants", contestant, demo_id("round", f"{eid}-{round_}"), art_id, easel)
        painters[(eid, artist)] = None
    for eid, artist in painters:
        _add_confirmed_artist(rows, eid, artist, starts[eid])
    voters = [row[0] for row in rows.rows["people"] if str(row[3]).startswith("scale.voter")]
    for number, (eid, start) in enumerate(starts.items()):
        crowd = voters if eid == live_eid else [voters[(number * 37 + i) % len(voters)] for i in range(PAST_CHECK_INS)]
        _add_check_ins(rows, eid, start, crowd)


def _add_confirmed_artist(rows: DemoRows, eid: str, artist: uuid.UUID, start: datetime) -> None:
    key = f"scale-{eid}-{artist}"
    invited = start - timedelta(days=30)
    rows.add("artist_applications", demo_id("application", key), eid, artist, invited - timedelta(days=10))
    rows.add(
        "artist_invitations",
        demo_id("invitation", key),
        eid,
        artist,
        "confirmed",
        None,
        invited,
        invited + timedelta(days=5),
    )
    rows.add("artist_confirmations", demo_id("confirmation", key), eid, artist, "confirmed")


def _add_check_ins(rows: DemoRows, eid: str, start: datetime, crowd: list[Any]) -> None:
    doors = start - timedelta(minutes=30)
    for number in range(QR_CODES_PER_EVENT):
        generated = doors + QR_ROTATION * number
        rows.add("qr_codes", f"{eid}-door-{number}", generated, generated + QR_ROTATION, False)
    step = SCAN_SPREAD / max(len(crowd), 1)
    for position, person in enumerate(crowd):
        offset = step * position
        code = f"{eid}-door-{min(int(offset / QR_ROTATION), QR_CODES_PER_EVENT - 1)}"
        rows.add(
            "people_qr_scans",
            demo_id("scan", f"scale-{eid}-{position}"),
            person,
            demo_id("event", eid),
            code,
            doors + offset,
        )
