"""Is an event ready (and why is it not visible)? Each check judges the facts the repository read as pass, warn
or fail, with one sentence a producer can act on. A fail is what breaks the event for the public or for
payouts; a warn is what is unfinished but does not hide it.
"""

from __future__ import annotations

from mcp_server.domain import models_event_ops as m
from mcp_server.domain.masking import mask_text
from mcp_server.domain.timefmt import event_zone, local_iso
from mcp_server.repository.rows_event_ops import ReadinessRow

REGIONS = {"canada": "the Canadian", "international": "the international"}


def _check(name: m.CheckName, result: m.CheckResult, detail: str) -> m.ReadinessCheck:
    return m.ReadinessCheck(check=name, result=result, detail=detail)


def _place(row: ReadinessRow) -> list[m.ReadinessCheck]:
    city = ", ".join(part for part in (row.city, row.country) if part)
    return [
        _check("city", "pass", f"In {city}.")
        if row.city
        else _check("city", "fail", "No city is set, so the event cannot be found by city."),
        _check("venue", "pass", f"At {row.venue}.") if row.venue else _check("venue", "fail", "No venue is set."),
    ]


def _money_and_time(row: ReadinessRow) -> list[m.ReadinessCheck]:
    currency = row.currency or ""
    if not currency:
        money = _check("currency", "fail", "No currency is set, so auction amounts have no currency.")
    elif len(currency) == 3 and currency.isalpha() and currency.isupper():
        money = _check("currency", "pass", f"Sales are in {currency}.")
    else:
        money = _check("currency", "fail", f"The currency {currency!r} is not a three-letter ISO code.")
    zone = event_zone(row.timezone)
    if not row.timezone:
        timezone = _check("timezone", "fail", "No timezone is set, so times are shown in UTC.")
    elif zone.key != row.timezone:
        timezone = _check("timezone", "fail", f"{row.timezone!r} is not a known timezone; times are shown in UTC.")
    else:
        timezone = _check("timezone", "pass", f"Times are in {zone.key}.")
    return [money, timezone, _start(row)]


def _start(row: ReadinessRow) -> m.ReadinessCheck:
    zone = event_zone(row.timezone)
    starts, ends = local_iso(row.starts_at, zone), local_iso(row.ends_at, zone)
    if row.starts_at is None:
        return _check("start", "fail", "No start time is set.")
    if row.ends_at is None:
        return _check("start", "warn", f"Starts {starts}, but no end time is set.")
    if row.ends_at <= row.starts_at:
        return _check("start", "fail", f"It ends ({ends}) before it starts ({starts}).")
    return _check("start", "pass", f"Starts {starts} and ends {ends}.")


def _visibility(row: ReadinessRow) -> m.ReadinessCheck:
    hidden = [
        *(["it is disabled (enabled is false), which hides it everywhere"] if row.enabled is False else []),
        *(["show_in_app is false, so the app does not list it"] if row.show_in_app is False else []),
    ]
    if hidden:
        return _check("visibility", "fail", f"Not visible: {'; '.join(hidden)}.")
    return _check("visibility", "pass", "Enabled and shown in the app.")


def _stripe(row: ReadinessRow) -> m.ReadinessCheck:
    if not row.region:
        return _check("stripe_region", "fail", "No Stripe account region is set, so artists cannot be paid out.")
    if row.region not in REGIONS:
        return _check("stripe_region", "fail", f"The Stripe region {row.region!r} is neither canada nor international.")
    return _check("stripe_region", "pass", f"Artists are paid from {REGIONS[row.region]} Stripe account.")


def _rounds(row: ReadinessRow) -> m.ReadinessCheck:
    if not row.rounds:
        return _check("rounds_and_easels", "fail", "No rounds are set up.")
    rounds = f"{len(row.rounds)} round{'s' if len(row.rounds) != 1 else ''}"
    if not row.slots:
        return _check("rounds_and_easels", "warn", f"{rounds}, but no easels are assigned to them yet.")
    easels = ", ".join(f"round {s.round_number}: {s.easels}" for s in row.slots)
    return _check("rounds_and_easels", "pass", f"{rounds}; easels assigned ({easels}).")


def _artists(row: ReadinessRow) -> m.ReadinessCheck:
    slots = sum(s.easels for s in row.slots)
    confirmed = f"{row.confirmed_artists} artist{'s' if row.confirmed_artists != 1 else ''} confirmed"
    if row.confirmed_artists == 0:
        return _check("artists_confirmed", "fail", f"No artists are confirmed ({slots} easel slots assigned).")
    if row.unconfirmed_painters_total:
        names = ", ".join(mask_text(name) for name in row.unconfirmed_painters)
        more = row.unconfirmed_painters_total - len(row.unconfirmed_painters)
        names += f" and {more} more" if more > 0 else ""
        return _check(
            "artists_confirmed",
            "warn",
            f"{confirmed}; {row.unconfirmed_painters_total} of {row.painting_artists} artists on an easel "
            f"not confirmed: {names}.",
        )
    return _check(
        "artists_confirmed",
        "pass",
        f"{confirmed}; every one of the {row.painting_artists} artists on an easel is confirmed ({slots} easel slots).",
    )


def _artworks(row: ReadinessRow) -> m.ReadinessCheck:
    slots = sum(s.easels for s in row.slots)
    empty = sum(s.without_art for s in row.slots)
    if row.artworks == 0:
        return _check("artworks_created", "fail", "No artworks are created, so voting and the auction show nothing.")
    if empty:
        return _check("artworks_created", "warn", f"{empty} of {slots} easel slots have no artwork yet.")
    if row.artworks_without_artist:
        return _check("artworks_created", "warn", f"{row.artworks_without_artist} artworks have no artist.")
    for_slots = f" for {slots} easel slots" if slots else ""
    return _check("artworks_created", "pass", f"{row.artworks} artworks created{for_slots}.")


def _eventbrite(row: ReadinessRow) -> m.ReadinessCheck:
    # production leaves either NULL or an empty string when an event is not linked
    if row.eventbrite_id and row.eventbrite_id.strip():
        return _check("eventbrite", "pass", f"Linked to Eventbrite event {row.eventbrite_id.strip()}.")
    return _check("eventbrite", "warn", "Not linked to Eventbrite, so ticket sales are not connected.")


def readiness_checks(row: ReadinessRow) -> list[m.ReadinessCheck]:
    """Every check, in the order a producer sets an event up."""
    return [
        *_place(row),
        *_money_and_time(row),
        _visibility(row),
        _stripe(row),
        _rounds(row),
        _artists(row),
        _artworks(row),
        _eventbrite(row),
    ]
