"""The people and finance rows of the `--scale` data, grown with it.

On top of what `demo_scale` builds: every scale artist gets an artist number (400001…) and dated Stripe
accounts; one season artist in forty has a merged duplicate profile; every artist whose payouts are not
enabled has had one to three setup invitations; one past event in ten has a manual payment request naming it.
Choices come from a seeded generator over the rows already built, so the same rows give the same additions.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from mcp_server.repository.demo_data import DemoRows, demo_id
from mcp_server.repository.demo_people_finance import (
    ACCOUNT_COLUMNS,
    INVITATION_COLUMNS,
    MANUAL_REQUEST_COLUMNS,
    PROFILE_COLUMNS,
)

SCALE_ENTRY_BASE = 400000
DUPLICATE_EVERY = 40
REQUEST_EVERY = 10
SEED = 4004


def add_people_and_finance_at_scale(rows: DemoRows, live_eid: str, anchor: datetime | None = None) -> None:
    """Add the scale data's people and finance rows to `rows` (built by `demo_scale.build_scale_rows`)."""
    anchor = anchor or datetime.now(UTC)
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    profiles = list(rows.rows.get("artist_profiles", []))
    numbers = {row[0]: SCALE_ENTRY_BASE + 1 + position for position, row in enumerate(profiles)}
    joined = anchor - timedelta(days=800)
    rows.widen("artist_profiles", PROFILE_COLUMNS, lambda row: (None, numbers[row[0]], None, joined, joined))
    rows.widen("artist_stripe_accounts", ACCOUNT_COLUMNS, lambda row: (row[4], joined, joined))
    for position, profile in enumerate(profiles):
        if position % DUPLICATE_EVERY == DUPLICATE_EVERY - 1:
            _duplicate(rows, profile, anchor, SCALE_ENTRY_BASE + len(profiles) + 1 + position)
    enabled = {row[1] for row in rows.rows.get("artist_stripe_accounts", []) if row[4]}
    rows.declare("payment_setup_invitations", INVITATION_COLUMNS)
    for profile in profiles:
        if profile[0] not in enabled:
            _invitations(rows, rng, profile, anchor)
    rows.declare("artist_manual_payment_requests", MANUAL_REQUEST_COLUMNS)
    past = [row for row in rows.rows.get("events", []) if row[1] != live_eid]
    for event in past[REQUEST_EVERY - 1 :: REQUEST_EVERY]:
        _manual_request(rows, rng, event, profiles)


def _duplicate(rows: DemoRows, profile: tuple[Any, ...], anchor: datetime, number: int) -> None:
    canonical, _, name, country, email, _ = profile[:6]
    key = f"scale-duplicate-{canonical}"
    old_email = email.replace("@", ".old@") if email else None
    rows.add("people", demo_id("person", key), *name.split(" ", 1), old_email, None)
    created = anchor - timedelta(days=1500)
    rows.add(
        "artist_profiles",
        demo_id("artist", key),
        demo_id("person", key),
        name,
        country,
        old_email,
        None,
        canonical,
        number,
        None,
        created,
        anchor - timedelta(days=90),
    )


def _invitations(rows: DemoRows, rng: random.Random, profile: tuple[Any, ...], anchor: datetime) -> None:
    artist: uuid.UUID = profile[0]
    for number in range(rng.randint(1, 3)):
        by_sms = number % 2 == 1
        rows.add(
            "payment_setup_invitations",
            demo_id("invitation", f"scale-{artist}-{number}"),
            artist,
            rng.choice(("sent", "delivered", "opened")),
            "sms" if by_sms else "email",
            "reminder" if number else "payment_setup",
            None if by_sms else profile[4],
            profile[5] if by_sms else None,
            "finance@example.com",
            anchor - timedelta(days=rng.randint(1, 200)),
        )


def _manual_request(
    rows: DemoRows, rng: random.Random, event: tuple[Any, ...], profiles: list[tuple[Any, ...]]
) -> None:
    artist = rng.choice(profiles)
    eid, start, currency = event[1], event[3], event[9]
    rows.add(
        "artist_manual_payment_requests",
        demo_id("manual-request", f"scale-{eid}"),
        artist[0],
        artist[1],
        (eid,),
        Decimal(rng.randint(10, 60) * 5),
        currency,
        rng.choice(("pending", "in_review", "paid")),
        rng.choice(("interac", "paypal", "swift", "zelle")),
        None,
        start + timedelta(days=rng.randint(3, 30)),
        None,
    )
