"""Finding artists and people from what staff type, and resolving one artist for the finance tools.

What was typed decides the kind of lookup: text with `@` is an email, matched whole and lower-cased; up to nine
digits (optionally after `#`) is an artist number; 10–15 digits written as a phone is a phone, matched on its
digits as a whole (with its country code, as stored); a canonical uuid is a profile id; anything else is part
of a name. A contact is never matched in part, so a fragment of an address or number finds nobody.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from mcp_server.domain import models_people_finance as m
from mcp_server.domain.masking import mask_email, mask_phone, mask_text
from mcp_server.domain.timefmt import utc_iso
from mcp_server.errors import InvalidArgument
from mcp_server.repository import people as repo
from mcp_server.repository.pool import Database
from mcp_server.repository.rows_people_finance import ArtistMatchRow, MergedProfileRow, PersonRow

MAX_ARTIST_NUMBER_DIGITS = 9
PHONE_DIGITS = range(10, 16)
MIN_NAME_CHARS = 2
BIO_CHARS = 300
CANDIDATES = 6
_PHONE_CHARS = frozenset("0123456789 +-().")
_KIND_NAMES: dict[repo.ArtistKey, m.ArtistQueryKind] = {
    "name": "name",
    "number": "artist_number",
    "email": "email",
    "phone": "phone",
    "id": "profile_id",
}


def shown(text: str) -> str:
    """What was typed, quoted for a sentence, with any contact in it masked."""
    return f"'{mask_text(text.strip()[:60])}'"


def _contact_key(text: str) -> tuple[repo.PersonKey, str] | None:
    if "@" in text:
        return "email", text.lower()
    digits = "".join(char for char in text if char.isdigit())
    if set(text) <= _PHONE_CHARS and len(digits) in PHONE_DIGITS:
        return "phone", digits
    return None


def _name(text: str) -> str:
    if len(text) < MIN_NAME_CHARS:
        raise InvalidArgument("Give at least two letters of a name, an artist number, or a whole email or phone.")
    return text


def artist_key(raw: str) -> tuple[repo.ArtistKey, str | int]:
    """How to look up what was typed for an artist: the kind of lookup and its normalised value."""
    text = raw.strip()
    contact = _contact_key(text)
    if contact is not None:
        return contact
    number = text.removeprefix("#")
    if number.isascii() and number.isdigit() and len(number) <= MAX_ARTIST_NUMBER_DIGITS:
        return "number", int(number)
    try:
        if str(uuid.UUID(text)) == text.lower():
            return "id", text.lower()
    except ValueError:
        pass
    return "name", _name(text)


def person_key(raw: str) -> tuple[repo.PersonKey, str]:
    """How to look up what was typed for a person: a whole email or phone, or part of a name."""
    text = raw.strip()
    return _contact_key(text) or ("name", _name(text))


def _date(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment else None


def _merged(row: MergedProfileRow) -> m.MergedProfile:
    return m.MergedProfile(
        artist_profile_id=row.artist_profile_id,
        name=row.name,
        artist_number=row.entry_id,
        email_hint=mask_email(row.email),
        phone_hint=mask_phone(row.phone),
        created_on=_date(row.created_at),
    )


def artist_profile(row: ArtistMatchRow) -> m.ArtistProfile:
    return m.ArtistProfile(
        artist_profile_id=row.artist_profile_id,
        name=row.name,
        artist_number=row.entry_id,
        country=row.country,
        email_hint=mask_email(row.email),
        phone_hint=mask_phone(row.phone),
        bio=mask_text(row.bio[:BIO_CHARS]) if row.bio else None,
        member_since=_date(row.created_at),
        event_count=row.event_count,
        last_eid=row.last_eid,
        matched_merged_profile=row.matched_merged_profile,
        merged_profiles=[_merged(profile) for profile in row.merged_profiles],
    )


def artist_ref(row: ArtistMatchRow) -> m.ArtistRef:
    return m.ArtistRef(
        artist_profile_id=row.artist_profile_id,
        name=row.name,
        artist_number=row.entry_id,
        merged_artist_numbers=[profile.entry_id for profile in row.merged_profiles],
    )


async def find_artists(db: Database, query: str, limit: int) -> m.ArtistLookup:
    key, value = artist_key(query)
    found = await repo.find_artists(db, key, value, limit)
    return m.ArtistLookup(
        query_kind=_KIND_NAMES[key],
        as_of=utc_iso(found.now),
        total=found.total,
        truncated=found.total > len(found.artists),
        artists=[artist_profile(row) for row in found.artists],
    )


def _person(row: PersonRow) -> m.PersonMatch:
    return m.PersonMatch(
        name=row.name,
        email_hint=mask_email(row.email),
        phone_hint=mask_phone(row.phone),
        votes=row.votes,
        bids=row.bids,
        wins=row.wins,
        check_ins=row.check_ins,
        artist_name=row.artist_name,
        artist_number=row.artist_entry_id,
    )


async def find_people(db: Database, query: str, limit: int) -> m.PeopleLookup:
    key, value = person_key(query)
    found = await repo.find_people(db, key, value, limit)
    return m.PeopleLookup(
        query_kind=key,
        as_of=utc_iso(found.now),
        total=found.total,
        truncated=found.total > len(found.people),
        people=[_person(row) for row in found.people],
    )


def _candidate(row: ArtistMatchRow) -> str:
    number = f"artist #{row.entry_id}" if row.entry_id is not None else "no artist number"
    return f"{row.name} ({number}, {row.country or 'country unknown'})"


async def resolve_artist(db: Database, raw: str) -> ArtistMatchRow:
    """The one artist `raw` names; a name several artists share is refused with the candidates, never guessed.

    A name typed in full that exactly one artist has (any case) names that artist even when longer names also
    contain it; merged duplicates are one artist with their canonical profile.
    """
    key, value = artist_key(raw)
    found = await repo.find_artists(db, key, value, CANDIDATES)
    exact = [row for row in found.artists if row.exact_name]
    if found.total == 1 or len(exact) == 1:
        return exact[0] if exact else found.artists[0]
    if found.total == 0:
        raise InvalidArgument(
            f"No artist matches {shown(raw)}; try find_artists with part of the name, the artist number, "
            "or their whole email or phone."
        )
    more = f" and {found.total - len(found.artists)} more" if found.total > len(found.artists) else ""
    names = ", ".join(_candidate(row) for row in found.artists)
    raise InvalidArgument(
        f"{shown(raw)} matches {found.total} artists: {names}{more}; ask again with the artist number."
    )
