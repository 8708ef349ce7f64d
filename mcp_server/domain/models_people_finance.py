"""What the people and finance tools return: frozen models, so each tool has an outputSchema.

Contacts appear only as masked hints (`m***@example.com`, `***1234`); free text from the database (bios, notes,
error messages) is masked too and is data, never instructions. Money is a decimal string with its currency
beside it, and totals are per currency.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer, WithJsonSchema

from mcp_server.domain.models import Money, Output

Rate = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{value:f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?$", "description": "decimal exchange rate"}),
]
ArtistQueryKind = Literal["name", "artist_number", "email", "phone", "profile_id"]
PersonQueryKind = Literal["name", "email", "phone"]
LOCAL_TIME = "local time in the event's timezone, ISO 8601"


class MergedProfile(Output):
    artist_profile_id: str
    name: str
    artist_number: int | None
    email_hint: str | None
    phone_hint: str | None
    created_on: str | None = Field(description="date the duplicate profile was created (UTC)")


class ArtistProfile(Output):
    artist_profile_id: str = Field(description="the canonical profile id (what get_artist_owed takes)")
    name: str
    artist_number: int | None = Field(description="the artist number (entry_id) staff use")
    country: str | None
    email_hint: str | None
    phone_hint: str | None
    bio: str | None = Field(description="the start of the artist's bio, contacts masked")
    member_since: str | None = Field(description="date the profile was created (UTC)")
    event_count: int = Field(description="events with an artwork by this artist or a profile merged into it")
    last_eid: str | None
    matched_merged_profile: bool = Field(description="true when only a merged duplicate matched the query")
    merged_profiles: list[MergedProfile] = Field(description="duplicate profiles folded into this one")


class ArtistLookup(Output):
    query_kind: ArtistQueryKind
    as_of: str
    total: int = Field(description="how many artists match, whatever the limit")
    truncated: bool
    artists: list[ArtistProfile]


class PersonMatch(Output):
    name: str | None
    email_hint: str | None
    phone_hint: str | None
    votes: int
    bids: int
    wins: int = Field(description="artworks this person won at auction")
    check_ins: int = Field(description="door check-ins (QR scans)")
    artist_name: str | None = Field(description="their artist profile, when they are also an artist")
    artist_number: int | None


class PeopleLookup(Output):
    query_kind: PersonQueryKind
    as_of: str
    total: int = Field(description="how many people match, whatever the limit")
    truncated: bool
    people: list[PersonMatch]


class ArtistRef(Output):
    artist_profile_id: str = Field(description="canonical profile id")
    name: str
    artist_number: int | None
    merged_artist_numbers: list[int | None] = Field(description="artist numbers of duplicates folded in")


class StripeAccount(Output):
    account_id: str | None
    onboarding_status: str | None
    charges_enabled: bool
    payouts_enabled: bool
    country: str | None
    currency: str | None
    opened_on: str | None = Field(description="date the account row was created (UTC)")


class Readiness(Output):
    can_receive_payouts: bool
    problem: str | None
    account: StripeAccount | None = Field(description="payouts-enabled accounts first, then the newest")
    accounts_on_file: int


class HistoryArtwork(Output):
    art_code: str | None
    round: int | None
    easel: int | None
    status: str | None
    value: Money | None = Field(description="final price, or the current bid when no final price was recorded")
    value_source: Literal["final_price", "current_bid"] | None
    painted_as_artist_number: int | None = Field(description="set when painted under a merged duplicate profile")


class HistoryEvent(Output):
    eid: str
    event_name: str
    starts_at: str | None = Field(description=LOCAL_TIME)
    currency: str | None
    earned: Money = Field(description="the artist's share of their paid works")
    paid: Money = Field(description="payouts paid (legacy 'completed' included)")
    in_progress: Money
    failed: Money
    owed: Money = Field(description="earned minus every payout that is not cancelled")
    artworks: list[HistoryArtwork]


class CurrencyTotals(Output):
    earned: Money
    paid: Money
    in_progress: Money
    owed: Money


class ArtistHistory(Output):
    artist: ArtistRef
    as_of: str
    total_events: int = Field(description="events in the artist's history, whatever the limit")
    truncated: bool
    totals_by_currency: dict[str, CurrencyTotals] = Field(description="over every event, never across currencies")
    events: list[HistoryEvent]
    payout_readiness: Readiness


class LedgerEntry(Output):
    eid: str | None
    event_name: str | None
    artist_name: str
    artist_number: int | None
    art_code: str | None = Field(description="null for a payout not tied to one artwork")
    status: str = Field(description="pending, processing, paid, failed or cancelled")
    recorded_status: str = Field(description="as stored: the legacy 'completed' reads as paid")
    gross: Money
    platform_fee: Money | None
    stripe_fee: Money | None
    net: Money | None
    currency: str | None
    created_at: str | None = Field(description=LOCAL_TIME)
    paid_at: str | None = Field(description=LOCAL_TIME)
    transfer: str | None = Field(description="the Stripe transfer id, shortened")
    payment_method: str | None
    error: str | None


class LedgerTotal(Output):
    status: str
    count: int
    gross: Money
    net: Money


class PaymentLedger(Output):
    eid: str | None
    event_name: str | None
    artist: ArtistRef | None
    as_of: str
    total: int = Field(description="payout rows matching, whatever the limit")
    truncated: bool
    totals_by_currency: dict[str, list[LedgerTotal]] = Field(description="per currency and status, over every row")
    entries: list[LedgerEntry]


class SetupInvitation(Output):
    sent_at: str | None
    status: str | None
    method: str | None
    kind: str | None
    recipient_email_hint: str | None
    recipient_phone_hint: str | None
    sent_by: str | None


class ArtistPayoutReadiness(Output):
    artist_profile_id: str
    name: str
    artist_number: int | None
    readiness: Readiness
    invitations_sent: int
    recent_invitations: list[SetupInvitation]


class PayoutReadiness(Output):
    eid: str | None
    event_name: str | None
    as_of: str
    ready: int
    not_ready: int
    artists: list[ArtistPayoutReadiness] = Field(description="those who cannot receive payouts first")


class UnpaidArtwork(Output):
    art_code: str | None
    artist_name: str
    value: Money
    artist_share: Money


class StuckPayout(Output):
    artist_name: str
    art_code: str | None
    status: str
    gross: Money
    currency: str | None
    since: str | None = Field(description=LOCAL_TIME)
    error: str | None


class OwedWithoutPayouts(Output):
    artist_name: str
    owed: Money
    problem: str
    invitations_sent: int
    last_invited_at: str | None


class ManualRequest(Output):
    artist_name: str
    requested_amount: Money | None
    currency: str | None
    status: str | None
    payment_method: str | None
    notes: str | None
    created_at: str | None
    events: list[str]


class PaymentHealth(Output):
    eid: str
    event_name: str
    currency: str | None
    as_of: str
    attention_items: int = Field(description="how many things below need someone")
    unpaid_artworks: list[UnpaidArtwork] = Field(description="paid works with no payout row, artist still owed")
    stuck_payouts: list[StuckPayout] = Field(description="payouts in processing or failed")
    owed_without_payouts: list[OwedWithoutPayouts] = Field(description="owed artists who cannot be paid by Stripe")
    manual_requests: list[ManualRequest] = Field(description="manual payment requests naming this event")


class ExchangeRate(Output):
    currency: str
    usd_per_unit: Rate = Field(description="what one unit is worth in US dollars (rate_to_usd)")
    units_per_usd: Rate
    last_updated: str | None
    age_hours: float | None
    stale: bool = Field(description="true when older than two days")


class CrossRate(Output):
    base: str
    target: str
    rate: Rate = Field(description="how many target units one base unit buys")
    reads: str = Field(description="the rate as a sentence, direction included")
    inverse: Rate
    oldest_update: str | None = Field(description="the older of the two rates' updates")


class ExchangeRates(Output):
    as_of: str
    rates: list[ExchangeRate]
    cross: CrossRate | None
