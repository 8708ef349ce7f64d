"""Demo rows for the event tools: easels, the artists' way onto an upcoming event, door check-ins, event links.

- Every artwork of AB4001–AB4004 is on its round's easel (`round_contestants`); AB4004 (New York, upcoming)
  also has round 2's four easels assigned without artworks yet.
- AB4004's roster: Jasmine Carter and Malik Johnson invited and confirmed, Tomás Rivera accepted and
  confirmed, Ava Goldberg accepted but not confirmed (she paints easel 1-3), Maya Okafor invited, Grace Liu
  pending, Liam O'Sullivan and Noor Haddad applied (Ava Goldberg applied first too). Every artist painting at
  AB4001–AB4003 is confirmed.
- Door check-ins (`qr_codes` rotating every 30 minutes, `people_qr_scans`): AB4001 90 scans by 84 people,
  AB4002 110 scans by 104 people.
- Events: AB4001 and AB4002 linked to Eventbrite, AB4003 and AB4004 not (empty string), the older events NULL;
  an event level and ads budgets on the four main events.
Only rows are added (and columns to `events`): the first five tools' answers do not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from mcp_server.repository.demo_data import EVENTS, DemoRows, demo_id

EVENT_COLUMNS = ("event_level", "eventbrite_id", "meta_ads_budget", "other_ads_budget")
TABLES: dict[str, tuple[str, ...]] = {
    "round_contestants": ("id", "round_id", "art_id", "easel_number"),
    "artist_invitations": (
        "id",
        "event_eid",
        "artist_profile_id",
        "status",
        "message_from_producer",
        "created_at",
        "accepted_at",
    ),
    "artist_confirmations": ("id", "event_eid", "artist_profile_id", "confirmation_status"),
    "artist_applications": ("id", "event_eid", "artist_profile_id", "created_at"),
    "qr_codes": ("code", "generated_at", "expires_at", "is_active"),
    "people_qr_scans": ("id", "person_id", "event_id", "qr_code", "scan_timestamp"),
}
# eid -> (event_level, eventbrite_id, meta ads budget, other ads budget); events not named keep NULLs.
EVENT_SETTINGS: dict[str, tuple[str, str, Decimal, Decimal | None]] = {
    "AB4001": ("city", "781240014001", Decimal(1200), Decimal(300)),
    "AB4002": ("city", "781240024002", Decimal(900), Decimal(150)),
    "AB4003": ("city", "", Decimal(800), None),
    "AB4004": ("city", "", Decimal(1500), Decimal(400)),
}
UPCOMING = "AB4004"
UPCOMING_EMPTY_ROUND = 2
UPCOMING_EASELS = 4


@dataclass(frozen=True)
class Invitation:
    artist: str
    status: str | None  # None: no invitation, only an application or a confirmation
    invited_days_ago: int = 0
    accepted_days_ago: int | None = None
    confirmed: bool = False
    applied_days_ago: int | None = None


ROSTER = (
    Invitation("N1", "confirmed", 30, 26, confirmed=True),
    Invitation("N2", "accepted", 28, 21, confirmed=True),
    Invitation("N3", "accepted", 20, 12, applied_days_ago=35),
    Invitation("N4", "confirmed", 30, 25, confirmed=True),
    Invitation("A1", "invited", 6),
    Invitation("T6", "pending", 2),
    Invitation("C2", None, applied_days_ago=9),
    Invitation("B3", None, applied_days_ago=4),
)
# eid -> (people scanning once from voter `first`, how many, how many of them scan again)
CHECK_INS: dict[str, tuple[int, int, int]] = {"AB4001": (0, 84, 6), "AB4002": (10, 104, 6)}


def add_event_operations(rows: DemoRows, anchor: datetime) -> None:
    """Add the event tools' demo rows (see the module docstring) to `rows`; the anchor is now by default."""
    for table, columns in TABLES.items():
        rows.declare(table, columns)
    rows.widen("events", EVENT_COLUMNS, lambda row: EVENT_SETTINGS.get(row[1], (None, None, None, None)))
    starts = {row[1]: row[3] for row in rows.rows["events"]}
    _add_easels(rows)
    _add_roster(rows, anchor)
    for eid, plan in CHECK_INS.items():
        _add_check_ins(rows, eid, starts[eid], *plan)


def _add_easels(rows: DemoRows) -> None:
    main = {spec.eid for spec in EVENTS}
    for art_id, _, code, round_, easel, *_ in list(rows.rows["art"]):
        eid = str(code).split("-")[0]
        if eid in main:
            rows.add(
                "round_contestants", demo_id("contestant", code), demo_id("round", f"{eid}-{round_}"), art_id, easel
            )
    for easel in range(1, UPCOMING_EASELS + 1):
        slot = f"{UPCOMING}-{UPCOMING_EMPTY_ROUND}-{easel}"
        round_id = demo_id("round", f"{UPCOMING}-{UPCOMING_EMPTY_ROUND}")
        rows.add("round_contestants", demo_id("contestant", slot), round_id, None, easel)


def _add_roster(rows: DemoRows, anchor: datetime) -> None:
    for entry in ROSTER:
        artist = demo_id("artist", entry.artist)
        key = f"{UPCOMING}-{entry.artist}"
        if entry.status is not None:
            accepted = anchor - timedelta(days=entry.accepted_days_ago) if entry.accepted_days_ago else None
            rows.add(
                "artist_invitations",
                demo_id("invitation", key),
                UPCOMING,
                artist,
                entry.status,
                "We'd love to have you paint in Brooklyn.",
                anchor - timedelta(days=entry.invited_days_ago),
                accepted,
            )
        if entry.confirmed:
            rows.add("artist_confirmations", demo_id("confirmation", key), UPCOMING, artist, "confirmed")
        if entry.applied_days_ago is not None:
            applied = anchor - timedelta(days=entry.applied_days_ago)
            rows.add("artist_applications", demo_id("application", key), UPCOMING, artist, applied)
    _confirm_painters(rows)


def _confirm_painters(rows: DemoRows) -> None:
    """Everyone painting at the live and finished main events is confirmed for them."""
    painters: dict[tuple[str, Any], None] = {}
    for _, _, code, _, _, artist, *_ in rows.rows["art"]:
        eid = str(code).split("-")[0]
        if eid in {spec.eid for spec in EVENTS} - {UPCOMING}:
            painters[(eid, artist)] = None
    for eid, artist in painters:
        confirmation = demo_id("confirmation", f"{eid}-{artist}")
        rows.add("artist_confirmations", confirmation, eid, artist, "confirmed")


def _add_check_ins(rows: DemoRows, eid: str, start: datetime, first: int, people: int, again: int) -> None:
    """Door scans from half an hour before the start, each person scanning the code showing at that moment."""
    event = demo_id("event", eid)
    doors = start - timedelta(minutes=30)
    for number in range(3):
        generated = doors + timedelta(minutes=30 * number)
        rows.add("qr_codes", f"{eid}-door-{number}", generated, generated + timedelta(minutes=30), number == 2)
    visits = [*range(people), *range(again)]
    for position, offset in enumerate(visits):
        at = doors + timedelta(seconds=40 * position)
        code = f"{eid}-door-{min(int((at - doors).total_seconds()) // 1800, 2)}"
        person = demo_id("person", f"voter{first + offset}")
        rows.add("people_qr_scans", demo_id("scan", f"{eid}-{position}"), person, event, code, at)
