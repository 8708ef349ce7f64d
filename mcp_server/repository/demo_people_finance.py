"""Demo rows for the people and finance tools: the production traps, each present once, on the embedded default.

- Artist numbers (`entry_id` 310001… in `ARTISTS` order) and a bio with a contact in it for Maya Okafor.
- A merged duplicate: Maya Okafor's old profile (#309876, superseded by her current one) painted AB3990-2-1;
  her current profile painted AB3990-1-1, paid for with no `final_price` (its value is the current bid).
  The old system paid the old profile for both in one legacy `completed` payout not tied to an artwork.
  Folded together she earned 300.00 CAD at AB3990, was paid 300.00 and is owed nothing.
- Two different artists named Daniel Kwan (#310004 in Canada, #310027 in the USA, never merged).
- A buyer known only by a first name (Rowan), who voted, bid and won at AB3990.
- AB3995 (Vancouver): Chloe Nguyen earns in CAD as well as AUD; a failed payout (Daniel Kwan #310004)
  and one stuck in `processing` since the event (Marcus Oyelaran), so payment health has something to show.
- Stripe accounts with dates; Luc Tremblay restarted onboarding (a newer account without payouts) and Jonah
  Whitfield has two accounts, neither enabled; setup invitations for Noor Haddad and Jonah Whitfield; Noor's
  manual payment request naming AB4002; exchange rates, one of them days old.
Every payout here settles what its artist earned, so the owed totals of the first five tools do not change.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from mcp_server.repository.demo_data import ARTISTS, EXTRA_PAST_EVENTS, DemoRows, demo_id

ENTRY_BASE = 310000
MERGED_MAYA = "A1-old"
OTHER_DANIEL = "D2"
PROFILE_COLUMNS = ("superseded_by", "entry_id", "abhq_bio", "created_at", "updated_at")
ACCOUNT_COLUMNS = ("charges_enabled", "created_at", "updated_at")
INVITATION_COLUMNS = (
    *("id", "artist_profile_id", "status", "invitation_method", "invitation_type"),
    *("recipient_email", "recipient_phone", "sent_by", "sent_at"),
)
MANUAL_REQUEST_COLUMNS = (
    *("id", "artist_profile_id", "person_id", "events_referenced", "requested_amount", "preferred_currency"),
    *("status", "payment_method", "admin_notes", "created_at", "processed_at"),
)
# (currency, rate_to_usd, hours since last update)
EXCHANGE_RATES: tuple[tuple[str, str, int], ...] = (
    ("USD", "1.000000", 6),
    ("CAD", "0.730000", 6),
    ("AUD", "0.655000", 6),
    ("EUR", "1.085000", 6),
    ("GBP", "1.270000", 6),
    ("NZD", "0.600000", 6),
    ("THB", "0.028500", 24 * 9),
)


def entry_id(key: str) -> int:
    """The artist number of a demo artist: 310001 for the first of `ARTISTS`."""
    return ENTRY_BASE + 1 + list(ARTISTS).index(key)


def add_people_and_finance(rows: DemoRows, anchor: datetime) -> None:
    """Add the people and finance demo rows (see the module docstring) to `rows`."""
    _widen_profiles(rows, anchor)
    _widen_accounts(rows, anchor)
    _add_new_profiles(rows, anchor)
    _add_toronto_summer(rows, anchor)
    _add_vancouver_spring(rows, anchor)
    _add_extra_accounts(rows, anchor)
    _add_invitations_and_requests(rows, anchor)
    for currency, rate, hours in EXCHANGE_RATES:
        rows.add("exchange_rates", currency, Decimal(rate), anchor - timedelta(hours=hours))


def _widen_profiles(rows: DemoRows, anchor: datetime) -> None:
    keys = {demo_id("artist", key): key for key in ARTISTS}
    bios = {
        "A1": "Toronto painter of crowded streets. Commissions: maya.studio@example.com or +1 416 555 0199.",
        "C1": "Sydney muralist; paints at Art Battle events in Australia and Canada.",
    }

    def values(row: tuple[Any, ...]) -> tuple[Any, ...]:
        key = keys[row[0]]
        joined = anchor - timedelta(days=700 - 10 * list(ARTISTS).index(key))
        return (None, entry_id(key), bios.get(key), joined, joined)

    rows.widen("artist_profiles", PROFILE_COLUMNS, values)


def _widen_accounts(rows: DemoRows, anchor: datetime) -> None:
    opened = anchor - timedelta(days=400)
    rows.widen("artist_stripe_accounts", ACCOUNT_COLUMNS, lambda row: (row[4], opened, opened))


def _person(rows: DemoRows, key: str, first: str | None, last: str | None, email: str, phone: str) -> None:
    rows.add("people", demo_id("person", key), first, last, email, phone)


def _add_new_profiles(rows: DemoRows, anchor: datetime) -> None:
    old_email, old_phone = "maya.okafor.art@example.com", "+1 647 555 0142"
    _person(rows, MERGED_MAYA, "Maya", "Okafor", old_email, old_phone)
    merged_at = anchor - timedelta(days=60)
    rows.add(
        "artist_profiles",
        demo_id("artist", MERGED_MAYA),
        demo_id("person", MERGED_MAYA),
        "Maya Okafor",
        "Canada",
        old_email,
        old_phone,
        demo_id("artist", "A1"),
        309876,
        None,
        anchor - timedelta(days=1500),
        merged_at,
    )
    email, phone = "daniel.kwan.art@example.com", "+1 212 555 0187"
    _person(rows, OTHER_DANIEL, "Daniel", "Kwan", email, phone)
    joined = anchor - timedelta(days=45)
    rows.add(
        "artist_profiles",
        demo_id("artist", OTHER_DANIEL),
        demo_id("person", OTHER_DANIEL),
        "Daniel Kwan",
        "USA",
        email,
        phone,
        None,
        ENTRY_BASE + 1 + len(ARTISTS),
        None,
        joined,
        joined,
    )
    _person(rows, "rowan", "Rowan", None, "rowan@example.org", "+1 416 555 7788")


def _event_end(eid: str, anchor: datetime) -> datetime:
    days = next(days for code, _, _, days in EXTRA_PAST_EVENTS if code == eid)
    return anchor + timedelta(days=days, hours=3)


def _art(
    rows: DemoRows, code: str, artist: str, price: int, final: int | None, bids: int, winner: str, closing: datetime
) -> None:
    eid, round_, easel = code.split("-")
    rows.add(
        "art",
        demo_id("art", code),
        demo_id("event", eid),
        code,
        int(round_),
        int(easel),
        demo_id("artist", artist),
        "paid",
        Decimal(price),
        bids,
        demo_id("person", winner),
        closing,
        None if final is None else Decimal(final),
    )


def _payout(
    rows: DemoRows, key: str, artist: str, eid: str, art: str | None, gross: int, status: str, at: datetime
) -> None:
    settled = status in {"paid", "completed"}
    rows.add(
        "artist_payments",
        demo_id("payment", key),
        demo_id("artist", artist),
        demo_id("art", art) if art else None,
        Decimal(gross),
        Decimal(0),
        Decimal(0),
        Decimal(gross),
        "CAD",
        status,
        f"tr_1Q{key.replace('-', '')}x7Lm2Kd9" if settled else None,
        "stripe",
        at,
        at if settled else None,
        "Stripe refused: account_closed (contact the artist at ops@example.com)" if status == "failed" else None,
        json.dumps({"event_id": str(demo_id("event", eid)), "eid": eid, "source": "demo"}),
    )


def _add_toronto_summer(rows: DemoRows, anchor: datetime) -> None:
    """AB3990: Maya's current and merged profiles, Rowan's bids, votes and win."""
    ended = _event_end("AB3990", anchor)
    _art(rows, "AB3990-1-1", "A1", 360, None, 3, "rowan", ended)
    _art(rows, "AB3990-2-1", MERGED_MAYA, 240, 240, 2, "voter4", ended)
    bids = (
        ("AB3990-1-1", "rowan", 200),
        ("AB3990-1-1", "voter3", 300),
        ("AB3990-1-1", "rowan", 360),
        ("AB3990-2-1", "rowan", 150),
        ("AB3990-2-1", "voter4", 240),
    )
    for number, (code, person, amount) in enumerate(bids):
        at = ended - timedelta(minutes=60 - 5 * number)
        rows.add(
            "bids",
            demo_id("bid", f"{code}-{number}"),
            demo_id("art", code),
            demo_id("person", person),
            Decimal(amount),
            "CAD",
            at,
        )
    for round_ in (1, 2):
        code = f"AB3990-{round_}-1"
        rows.add(
            "votes",
            demo_id("vote", f"AB3990-rowan-{round_}"),
            demo_id("event", "AB3990"),
            "AB3990",
            round_,
            1,
            demo_id("art", code),
            demo_id("person", "rowan"),
            Decimal("1.0"),
            ended - timedelta(hours=2),
        )
    _payout(rows, "AB3990-legacy", MERGED_MAYA, "AB3990", None, 300, "completed", ended + timedelta(days=10))


def _add_vancouver_spring(rows: DemoRows, anchor: datetime) -> None:
    """AB3995: a second currency for Chloe Nguyen, a failed payout and one stuck in processing."""
    ended = _event_end("AB3995", anchor)
    _art(rows, "AB3995-1-1", "C1", 500, 500, 5, "voter8", ended)
    _art(rows, "AB3995-1-2", "A4", 300, 300, 4, "voter9", ended)
    _art(rows, "AB3995-1-3", "T2", 200, 200, 3, "voter10", ended)
    _payout(rows, "AB3995-chloe", "C1", "AB3995", "AB3995-1-1", 250, "paid", ended + timedelta(days=3))
    _payout(rows, "AB3995-daniel", "A4", "AB3995", "AB3995-1-2", 150, "failed", ended + timedelta(days=3))
    _payout(rows, "AB3995-marcus", "T2", "AB3995", "AB3995-1-3", 100, "processing", ended + timedelta(days=3))


def _add_extra_accounts(rows: DemoRows, anchor: datetime) -> None:
    # (key, account, onboarding, payouts enabled, opened days ago): each newer than the artist's first account.
    extra = (
        ("A2", "acct_demoA2relink", "pending", False, 3),
        ("B4", "acct_demoB4second", "restricted", False, 10),
    )
    for key, account, onboarding, enabled, days in extra:
        opened = anchor - timedelta(days=days)
        rows.add(
            "artist_stripe_accounts",
            demo_id("stripe", account),
            demo_id("artist", key),
            account,
            onboarding,
            enabled,
            "CA",
            "CAD",
            enabled,
            opened,
            opened,
        )


def _add_invitations_and_requests(rows: DemoRows, anchor: datetime) -> None:
    rows.declare("payment_setup_invitations", INVITATION_COLUMNS)
    invitations = (
        ("B3", "delivered", "email", "payment_setup", "noorhaddad@example.com", None, 20),
        ("B3", "sent", "sms", "reminder", None, "+1 514 555 0123", 5),
        ("B4", "opened", "email", "payment_setup", "jonahwhitfield@example.com", None, 12),
    )
    for number, (key, status, method, kind, email, phone, days) in enumerate(invitations):
        rows.add(
            "payment_setup_invitations",
            demo_id("invitation", f"{key}-{number}"),
            demo_id("artist", key),
            status,
            method,
            kind,
            email,
            phone,
            "finance@example.com",
            anchor - timedelta(days=days),
        )
    rows.declare("artist_manual_payment_requests", MANUAL_REQUEST_COLUMNS)
    rows.add(
        "artist_manual_payment_requests",
        demo_id("manual-request", "B3"),
        demo_id("artist", "B3"),
        demo_id("person", "B3"),
        ("AB4002",),  # a tuple: rows are deduplicated, so every value is hashable
        Decimal("300.00"),
        "CAD",
        "pending",
        "interac",
        "No Stripe yet; Interac e-transfer to noor.h@example.com",
        anchor - timedelta(days=8),
        None,
    )
    rows.declare("exchange_rates", ("currency_code", "rate_to_usd", "last_updated"))
