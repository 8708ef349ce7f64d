"""Personal data is masked the same way in the gateway and in the Slack bot: one set of rules, one implementation.

- An email keeps its first character and its domain: `maya.okafor@example.com` → `m***@example.com`.
- A phone keeps its last four digits: `+1 (416) 555-0101` → `***0101`. A phone is 10–15 digits written with
  the usual separators (space, `-`, `.`, brackets round the area code) or after a `+`; a plain run of digits
  is an id, and dates, times, decimals (money, Slack timestamps), IPv4 addresses, eids and art codes are not
  phones.
- A payment card (13–19 digits passing the Luhn check) is never shown at all: `[card redacted]`.
- Masked values are left as they are, so masking twice changes nothing.

Text from callers can be large and hostile, so every pattern here is a tokeniser whose runs are possessive
(they never give characters back) and whose starts are anchored to a token boundary: each character is read a
bounded number of times and masking is linear in its input. The decisions are made in Python on each token.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

MASK_KINDS = frozenset({"email", "phone", "card"})
CARD_MASK = "[card redacted]"
ARGUMENT_CHARS = 500

# Serialised tool results carry line breaks as `\n`: a contact right after one still starts a token.
_AFTER_ESCAPE = r"(?<=\\[nrt])"
_EMAIL = re.compile(rf"(?:{_AFTER_ESCAPE}|(?<![\w.%+\\-]))(?P<local>[\w.%+-]++)@(?P<domain>[A-Za-z0-9.-]++)")
# Digit groups joined by at most three separators or by brackets. Starting inside a word, a number, a path or
# right after `19:` would find phones in ids, art codes (AB4001-2-3), URLs and times.
_NUMBER = re.compile(
    rf"(?:{_AFTER_ESCAPE}|(?<![\w.+/\\-])(?<!\d:))\+?\(?\d++(?:(?:\)[ .-]{{0,3}}|[ .-]{{1,3}}\(?)\d++)*+"
)
_DIGIT_GROUP = re.compile(r"\d+")
# A date leading a number token ("2026-11-27 19:30" tokenises as "2026-11-27 19") is cut off and the rest judged.
_DATE_PREFIX = re.compile(r"(?:\d{4}([-.])\d{1,2}\1\d{1,2}|\d{1,2}([-.])\d{1,2}\2\d{4})(?!\d)[ .()-]*")
_DECIMAL = re.compile(r"\d+\.\d+")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_MASKED_PHONE = re.compile(r"\*\*\*\d{4}")
_PHONE_DIGITS = range(10, 16)
_CARD_DIGITS = range(13, 20)


def mask_email(email: str | None) -> str | None:
    """`maya.okafor@example.com` → `m***@example.com`; None when there is no email to show."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str | None) -> str | None:
    """`+1 416 555 0101` → `***0101`; None when there is no number to show."""
    if phone and _MASKED_PHONE.fullmatch(phone):
        return phone
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return f"***{digits[-4:]}" if len(digits) >= 4 else None


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def mask_text(text: str, kinds: Collection[str] = MASK_KINDS) -> str:
    """Mask every email, phone and card number of the given kinds inside free text."""
    if "email" in kinds:
        text = _EMAIL.sub(_masked_email, text)
    if "phone" in kinds or "card" in kinds:
        text = _NUMBER.sub(lambda match: _masked_number(match, kinds), text)
    return text


def _masked_email(match: re.Match[str]) -> str:
    domain = match["domain"].rstrip(".-")  # a sentence may end right after the address
    tld = domain.rpartition(".")[2]
    if "." not in domain or len(tld) < 2 or not tld.isalpha():
        return match[0]
    trailing = match["domain"][len(domain) :]
    return f"{mask_email(match['local'] + '@' + domain)}{trailing}"


def _masked_number(match: re.Match[str], kinds: Collection[str]) -> str:
    if match.end() - match.start() < _PHONE_DIGITS.start:
        return match[0]  # too short for a phone or a card, and by far the most common token
    end = match.end()
    if end < len(match.string) and (match.string[end].isalnum() or match.string[end] == "_"):
        return match[0]  # the digits run on into a word: an id or a code, not a contact
    return _masked_token(match[0], kinds)


def _masked_token(token: str, kinds: Collection[str]) -> str:
    after_dates = 0
    while date := _DATE_PREFIX.match(token, after_dates):
        after_dates = date.end()
    if after_dates:
        rest = token[after_dates:]
        return token[:after_dates] + (_masked_token(rest, kinds) if rest else "")
    groups = _DIGIT_GROUP.findall(token)
    digits = "".join(groups)
    if _is_card(token, digits):
        return CARD_MASK if "card" in kinds else token
    if "phone" in kinds and _is_phone(token, groups, digits):
        # An opening bracket with no closing one belongs to the sentence, not to the number.
        opening = "(" if token.startswith("(") and ")" not in token else ""
        return f"{opening}***{digits[-4:]}"
    return token


def _is_card(token: str, digits: str) -> bool:
    plain = all(ch.isdigit() or ch in " -" for ch in token)
    return plain and len(digits) in _CARD_DIGITS and luhn_valid(digits)


def _is_phone(token: str, groups: list[str], digits: str) -> bool:
    if len(digits) not in _PHONE_DIGITS:
        return False
    if not token.startswith("+") and len(groups) < 2:
        return False  # a plain run of digits is an id
    if _DECIMAL.fullmatch(token) or _IPV4.fullmatch(token):
        return False
    # Lists of small numbers ("easels 1 2 3 4 …") are not phones; "+33 1 23 45 67 89" is.
    return sum(len(group) == 1 for group in groups) <= 2


# The audit keeps arguments as evidence, not as a copy: a bounded sample of a bounded shape.
_SENSITIVE_KEYS = ("email", "phone", "token", "secret", "password", "authorization")
_MAX_DEPTH = 4
_MAX_VALUES = 200
_KEY_CHARS = 100
# A contact straddling the cut is masked whole before the cut, so no partial address survives it.
_CUT_MARGIN = 256
_OMITTED = "…"


def mask_arguments(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Arguments as they may be logged or audited: secrets dropped, strings cut and masked, size bounded."""
    return _ArgumentMasker().mapping(arguments, depth=0)


class _ArgumentMasker:
    """Walks one argument tree, spending a shared budget so no input makes the walk large."""

    def __init__(self) -> None:
        self._remaining = _MAX_VALUES

    def mapping(self, value: Mapping[Any, Any], depth: int) -> dict[str, Any]:
        masked: dict[str, Any] = {}
        for key, item in value.items():
            if not self._spend():
                masked[_OMITTED] = _OMITTED
                break
            name = _bounded_text(str(key), _KEY_CHARS)
            sensitive = any(word in name.lower() for word in _SENSITIVE_KEYS)
            masked[name] = "***" if sensitive else self.value(item, depth + 1)
        return masked

    def value(self, value: Any, depth: int) -> Any:
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return _bounded_text(value, ARGUMENT_CHARS)
        if depth >= _MAX_DEPTH:
            return _OMITTED
        if isinstance(value, Mapping):
            return self.mapping(value, depth)
        if isinstance(value, list | tuple):
            return self.sequence(value, depth)
        return _bounded_text(repr(value), ARGUMENT_CHARS)

    def sequence(self, value: list[Any] | tuple[Any, ...], depth: int) -> list[Any]:
        masked: list[Any] = []
        for item in value:
            if not self._spend():
                masked.append(_OMITTED)
                break
            masked.append(self.value(item, depth + 1))
        return masked

    def _spend(self) -> bool:
        self._remaining -= 1
        return self._remaining >= 0


def _bounded_text(text: str, limit: int) -> str:
    return mask_text(text[: limit + _CUT_MARGIN])[:limit]
