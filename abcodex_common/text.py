"""Database free text placed inside a sentence a person reads (a payment preview, a confirmation dialog).

Names and notes come from other applications' tables: they must not add lines, Slack markup or links to the
sentence they sit in, nor carry contact details past the masking.
"""

from __future__ import annotations

from abcodex_common.masking import mask_text

_SLACK_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MARKUP = frozenset("*_~`|")


def inline_text(value: str | None, limit: int = 80) -> str:
    """One line, masked, Slack-escaped, at most `limit` characters (cut with an ellipsis)."""
    text = " ".join((value or "").split())  # every run of whitespace, newlines included, becomes one space
    text = "".join(ch for ch in text if ch.isprintable() and ch not in _MARKUP)
    text = mask_text(text[: limit * 2])
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return "".join(_SLACK_ESCAPES.get(ch, ch) for ch in text)
