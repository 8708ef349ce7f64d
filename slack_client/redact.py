"""Mask emails, phone numbers and card numbers in text before it reaches Slack (or the model).

The gateway already masks personal data; this is the second line, for anything that slips through
(free text in the database, a model that repeats what a user typed). It uses the gateway's own masker
(`abcodex_common.masking`), so a contact reads the same whichever side masked it, and values the gateway
already masked (`j***@example.com`, `***0101`) are left as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from abcodex_common.masking import CARD_MASK, MASK_KINDS, mask_text

__all__ = ["CARD_MASK", "drop_fields", "redact"]


def redact(text: str, kinds: Iterable[str] = MASK_KINDS) -> str:
    """Return `text` with every email, phone and card number of the given kinds masked."""
    return mask_text(text, frozenset(kinds))


def drop_fields(value: Any, fields: frozenset[str]) -> Any:
    """A copy of a JSON value without the named keys, at any depth."""
    if not fields:
        return value
    if isinstance(value, Mapping):
        return {k: drop_fields(v, fields) for k, v in value.items() if k not in fields}
    if isinstance(value, list):
        return [drop_fields(item, fields) for item in value]
    return value
