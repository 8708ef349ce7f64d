"""Mask emails, phone numbers and card numbers in text before it reaches Slack (or the model).

The gateway already masks personal data; this is the second line, for anything that slips through
(free text in the database, a model that repeats what a user typed). Masked values from the gateway
(`j***@example.com`) are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?![\w-])")
# Digit groups with separators, or a leading '+': plain digit runs (ids, Slack timestamps) are left alone.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,4}(?![\w])")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")

EMAIL_MASK = "[email redacted]"
PHONE_MASK = "[phone redacted]"
CARD_MASK = "[card redacted]"


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return CARD_MASK if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group(0)


def _mask_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    looks_like_date = re.search(r"\d{4}-\d{1,2}-\d{1,2}", text) is not None
    if looks_like_date or not 10 <= len(digits) <= 15:
        return text
    return PHONE_MASK


def redact(text: str, kinds: Iterable[str] = ("email", "phone", "card")) -> str:
    """Return `text` with every email, phone and card number of the given kinds masked."""
    wanted = set(kinds)
    if "card" in wanted:
        text = _CARD.sub(_mask_card, text)
    if "email" in wanted:
        text = _EMAIL.sub(EMAIL_MASK, text)
    if "phone" in wanted:
        text = _PHONE.sub(_mask_phone, text)
    return text


def drop_fields(value: Any, fields: frozenset[str]) -> Any:
    """A copy of a JSON value without the named keys, at any depth."""
    if not fields:
        return value
    if isinstance(value, Mapping):
        return {k: drop_fields(v, fields) for k, v in value.items() if k not in fields}
    if isinstance(value, list):
        return [drop_fields(item, fields) for item in value]
    return value
