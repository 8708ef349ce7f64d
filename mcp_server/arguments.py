"""Argument types shared by every tool: bounded, clean, and refused with a sentence about the input.

Each type bounds its length in the schema and has it checked before anything else reads the value (pydantic's
own length check for text; a check ahead of parsing for dates and amounts, which pydantic would otherwise read
in full), refuses control characters, and checks its shape: an eid like AB4001, a canonical non-nil uuid, a
date between 2000 and 2100. A refusal is a `PydanticCustomError` of type `ARGUMENT_ERROR` whose message
finishes a sentence that starts with the argument's name; `mcp_server.tool_errors.invalid_arguments` writes
it as "`eid` must look like AB4001 (...)."

Use the ready types directly (`eid: Eid`), give one its own description with another `Field`
(`Annotated[Eid, Field(description=...)]`), and bound free text with `SearchText`:
`query: Annotated[str | None, SearchText(100), Field(description=...)] = None`.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import annotated_types as at
from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from mcp_server.domain.eid import eid_or_none
from mcp_server.domain.reads import MAX_ROUNDS

__all__ = [
    "ARGUMENT_ERROR",
    "MAX_ROUNDS",
    "Amount",
    "BoundedDate",
    "CurrencyCode",
    "Eid",
    "OptionalDate",
    "OptionalEid",
    "OptionalProfileId",
    "ProfileId",
    "RoundNumber",
    "SearchText",
]

ARGUMENT_ERROR = "abcodex_argument"
"""The pydantic error type of our refusals; its message follows the argument's name."""
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
MAX_AMOUNT_TEXT = 20
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})  # control characters; lone surrogates cannot be sent to Postgres
_T = TypeVar("_T")


def refusal(message: str) -> PydanticCustomError:
    """An argument refusal; `message` reads after the argument's name ("must look like AB4001")."""
    return PydanticCustomError(ARGUMENT_ERROR, message)


def _clean(value: _T) -> _T:
    # Runs after the length bound, so the scan is short; NUL alone would make Postgres refuse the statement.
    if isinstance(value, str) and any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in value):
        raise refusal("must not contain control characters")
    return value


def _eid(value: str | None) -> str | None:
    if value is None:
        return None
    eid = eid_or_none(_clean(value))
    if eid is None:
        raise refusal("must look like AB4001 (use list_events to search by name or city)")
    return eid


def _profile_id(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parsed = uuid.UUID(_clean(value))
    except ValueError:
        parsed = None
    # uuid.UUID also takes braces, urns and undashed hex: only the canonical form, never the nil uuid, is an id.
    if parsed is None or parsed.int == 0 or str(parsed) != value.lower():
        raise refusal("is not a valid id (a uuid such as 0b9e5a2c-4f1d-4c6e-9a7b-2d3e4f5a6b7c)")
    return str(parsed)


def _in_range(value: date) -> date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise refusal(f"must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


def _short_date(value: object) -> object:
    if isinstance(value, str) and len(value) > len("2026-03-14"):
        raise refusal("must be a date such as 2026-03-14")
    return value


def _currency(value: str) -> str:
    if not (len(value) == 3 and value.isascii() and value.isalpha()):
        raise refusal("must be a three-letter currency code such as CAD")
    return value.upper()


def _short_amount(value: object) -> object:
    # Decimal reads a million digits before max_digits can refuse them; a length check first is instant.
    if isinstance(value, str) and len(value) > MAX_AMOUNT_TEXT:
        raise refusal(f"is too long: at most {MAX_AMOUNT_TEXT} characters")
    return value


@dataclass(frozen=True, slots=True)
class SearchText(at.GroupedMetadata):
    """Free text of at most `max_length` characters without control characters; works on `str | None` too."""

    max_length: int

    def __iter__(self) -> Iterator[Any]:
        yield at.MaxLen(self.max_length)
        yield AfterValidator(_clean)


Eid = Annotated[str, Field(max_length=20, description="Event id such as AB4001 (any case)."), AfterValidator(_eid)]
OptionalEid = Annotated[
    str | None, Field(max_length=20, description="Only this event; omit for all events."), AfterValidator(_eid)
]
ProfileId = Annotated[
    str, Field(max_length=36, description="The artist's profile id (a uuid)."), AfterValidator(_profile_id)
]
OptionalProfileId = Annotated[
    str | None,
    Field(max_length=36, description="Only this artist (artist_profile_id uuid)."),
    AfterValidator(_profile_id),
]
BoundedDate = Annotated[
    date,
    BeforeValidator(_short_date),
    AfterValidator(_in_range),
    WithJsonSchema({"type": "string", "format": "date", "maxLength": len("2026-03-14")}),
]
OptionalDate = BoundedDate | None
RoundNumber = Annotated[int | None, Field(ge=1, le=MAX_ROUNDS, description="Only this round; omit for all.")]
CurrencyCode = Annotated[
    str, Field(min_length=3, max_length=3, description="ISO currency code of the event."), AfterValidator(_currency)
]
Amount = Annotated[
    Decimal,
    BeforeValidator(_short_amount),
    Field(gt=0, max_digits=12, decimal_places=2, allow_inf_nan=False, description="Amount in the event's currency."),
    WithJsonSchema(
        {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "string", "maxLength": MAX_AMOUNT_TEXT}]}
    ),
]
