"""An artist's history, the payout ledger and exchange rates, shaped for the finance tools.

Artists are resolved from what staff type (`people.resolve_artist`); events by eid, with suggestions when
unknown. Stripe transfer ids are shortened, error messages masked, times given in the event's timezone.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from mcp_server.domain import models_people_finance as m
from mcp_server.domain.eid import closest_eids, normalize_eid
from mcp_server.domain.masking import mask_text
from mcp_server.domain.people import artist_ref, resolve_artist
from mcp_server.domain.timefmt import event_zone, local_iso, utc_iso
from mcp_server.errors import InvalidArgument, UnknownEvent
from mcp_server.repository import events, finance
from mcp_server.repository.pool import Database
from mcp_server.repository.rows_people_finance import (
    ExchangeRateRow,
    HistoryArtworkRow,
    HistoryEventRow,
    LedgerEntryRow,
    StripeAccountRow,
)

TRANSFER_TAIL = 6
RATE_PLACES = Decimal("0.000001")
STALE_HOURS = 48


async def unknown_event(db: Database, eid: str) -> UnknownEvent:
    return UnknownEvent(eid, closest_eids(eid, await events.known_eids(db)))


def short_transfer(transfer_id: str | None) -> str | None:
    """`tr_1QAB3990legacyx7Lm2Kd9` → `tr_…Lm2Kd9`: enough to recognise it, not to paste it anywhere."""
    if not transfer_id:
        return None
    prefix, _, rest = transfer_id.rpartition("_") if "_" in transfer_id else ("", "", transfer_id)
    if len(rest) <= TRANSFER_TAIL:
        return transfer_id
    return f"{prefix}_…{rest[-TRANSFER_TAIL:]}" if prefix else f"…{rest[-TRANSFER_TAIL:]}"


def stripe_account(row: StripeAccountRow) -> m.StripeAccount:
    return m.StripeAccount(
        account_id=row.stripe_account_id,
        onboarding_status=row.onboarding_status,
        charges_enabled=row.charges_enabled,
        payouts_enabled=row.payouts_enabled,
        country=row.country,
        currency=row.currency,
        opened_on=row.created_at.date().isoformat() if row.created_at else None,
    )


def readiness(account: StripeAccountRow | None, accounts_on_file: int) -> m.Readiness:
    problem = None
    if account is None or not account.stripe_account_id:
        problem = "no Stripe connected account"
    elif not account.payouts_enabled:
        problem = f"Stripe onboarding {account.onboarding_status or 'incomplete'}: cannot receive payouts yet"
    return m.Readiness(
        can_receive_payouts=problem is None,
        problem=problem,
        account=stripe_account(account) if account else None,
        accounts_on_file=accounts_on_file,
    )


def _artwork(row: HistoryArtworkRow) -> m.HistoryArtwork:
    value, source = (
        (row.final_price, "final_price") if row.final_price is not None else (row.current_bid, "current_bid")
    )
    return m.HistoryArtwork(
        art_code=row.art_code,
        round=row.round,
        easel=row.easel,
        status=row.status,
        value=value,
        value_source=source if value is not None else None,
        painted_as_artist_number=row.painted_as_entry_id if row.under_merged_profile else None,
    )


def _history_event(row: HistoryEventRow) -> m.HistoryEvent:
    return m.HistoryEvent(
        eid=row.eid,
        event_name=row.name or row.eid,
        starts_at=local_iso(row.starts_at, event_zone(row.timezone)),
        currency=row.currency,
        earned=row.earned,
        paid=row.paid,
        in_progress=row.in_progress,
        failed=row.failed,
        owed=row.owed,
        artworks=[_artwork(work) for work in row.artworks],
    )


async def artist_history(db: Database, artist: str, limit: int) -> m.ArtistHistory:
    found = await resolve_artist(db, artist)
    history = await finance.artist_history(db, found.artist_profile_id, limit)
    return m.ArtistHistory(
        artist=artist_ref(found),
        as_of=utc_iso(history.now),
        total_events=history.total_events,
        truncated=history.total_events > len(history.events),
        totals_by_currency={
            t.currency: m.CurrencyTotals(earned=t.earned, paid=t.paid, in_progress=t.in_progress, owed=t.owed)
            for t in history.totals
        },
        events=[_history_event(row) for row in history.events],
        payout_readiness=readiness(history.account, history.account_count),
    )


def _when(moment: datetime | None, timezone: str | None) -> str | None:
    return local_iso(moment, event_zone(timezone)) if timezone else (utc_iso(moment) if moment else None)


def _entry(row: LedgerEntryRow) -> m.LedgerEntry:
    return m.LedgerEntry(
        eid=row.eid,
        event_name=row.event_name,
        artist_name=row.artist_name,
        artist_number=row.entry_id,
        art_code=row.art_code,
        status=row.status,
        recorded_status=row.recorded_status,
        gross=row.gross,
        platform_fee=row.platform_fee,
        stripe_fee=row.stripe_fee,
        net=row.net,
        currency=row.currency,
        created_at=_when(row.created_at, row.timezone),
        paid_at=_when(row.paid_at, row.timezone),
        transfer=short_transfer(row.transfer_id),
        payment_method=row.payment_method,
        error=mask_text(row.error_message) if row.error_message else None,
    )


async def payment_ledger(db: Database, raw_eid: str | None, artist: str | None, limit: int) -> m.PaymentLedger:
    if raw_eid is None and artist is None:
        raise InvalidArgument("Give an eid, an artist, or both; the ledger is read per event or per artist.")
    eid = normalize_eid(raw_eid) if raw_eid else None
    found = await resolve_artist(db, artist) if artist else None
    ledger = await finance.ledger(db, eid, found.artist_profile_id if found else None, limit)
    if eid and not ledger.event_known:
        raise await unknown_event(db, eid)
    totals: dict[str, list[m.LedgerTotal]] = {}
    for total in ledger.totals:
        totals.setdefault(total.currency, []).append(
            m.LedgerTotal(status=total.status, count=total.count, gross=total.gross, net=total.net)
        )
    entries = [_entry(row) for row in ledger.entries]
    return m.PaymentLedger(
        eid=eid,
        event_name=ledger.event_name,
        artist=artist_ref(found) if found else None,
        as_of=utc_iso(ledger.now),
        total=ledger.total,
        truncated=ledger.total > len(entries),
        totals_by_currency=totals,
        entries=entries,
    )


def _rate(row: ExchangeRateRow, now: datetime) -> m.ExchangeRate:
    age = round((now - row.last_updated).total_seconds() / 3600, 1) if row.last_updated else None
    return m.ExchangeRate(
        currency=row.currency_code,
        usd_per_unit=row.rate_to_usd,
        units_per_usd=(1 / row.rate_to_usd).quantize(RATE_PLACES, ROUND_HALF_EVEN),
        last_updated=utc_iso(row.last_updated) if row.last_updated else None,
        age_hours=age,
        stale=age is None or age > STALE_HOURS,
    )


def _cross(base: ExchangeRateRow, target: ExchangeRateRow) -> m.CrossRate:
    rate = (base.rate_to_usd / target.rate_to_usd).quantize(RATE_PLACES, ROUND_HALF_EVEN)
    updates = [row.last_updated for row in (base, target) if row.last_updated]
    return m.CrossRate(
        base=base.currency_code,
        target=target.currency_code,
        rate=rate,
        reads=f"1 {base.currency_code} = {rate:f} {target.currency_code}",
        inverse=(target.rate_to_usd / base.rate_to_usd).quantize(RATE_PLACES, ROUND_HALF_EVEN),
        oldest_update=utc_iso(min(updates)) if updates else None,
    )


async def exchange_rates(db: Database, base: str | None, target: str | None) -> m.ExchangeRates:
    table = await finance.exchange_rates(db)
    by_code = {row.currency_code: row for row in table.rates}
    for code in (base, target):
        if code is not None and code not in by_code:
            known = ", ".join(sorted(by_code)) or "none yet"
            raise InvalidArgument(f"There is no exchange rate for {code}; rates exist for {known}.")
    wanted = [code for code in (base, target) if code is not None]
    rows = [by_code[code] for code in dict.fromkeys(wanted)] if wanted else table.rates
    return m.ExchangeRates(
        as_of=utc_iso(table.now),
        rates=[_rate(row, table.now) for row in rows],
        cross=_cross(by_code[base], by_code[target]) if base and target else None,
    )
