"""The rows the repository returns: frozen, typed, validated where SQL hands them over.

Queries that build one `jsonb` document per call (one round trip) are validated into these models at that
boundary, so nothing past the repository reads a row by string key. Money is `Decimal`; times are aware
`datetime`s. `extra="forbid"` makes a column added to SQL but not here (or the reverse) fail in the tests.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OwedLineRow(Row):
    """One artist at one event: earned (their share of paid works), settled, still owed, and their account."""

    eid: str
    event_name: str | None
    currency: str | None
    region: str | None
    starts_at: datetime | None
    artist_profile_id: str
    artist_name: str
    artist_email: str | None
    earned: Decimal
    paid: Decimal
    in_progress: Decimal
    failed: Decimal
    owed: Decimal
    stripe_account_id: str | None
    payouts_enabled: bool
