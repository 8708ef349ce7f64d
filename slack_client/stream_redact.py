"""Redaction for text that arrives in pieces: an email or phone split across two chunks is still masked.

`mask_text` decides on whole tokens, so a streamed chunk is only masked up to a boundary no contact can
span: a line break or tab (never inside an email or phone), or a space that does not follow a digit or a
closing bracket (a phone's groups are joined by spaces, dots and dashes: `+1 (416) 555 0101`). The tail
after that boundary is held back until the next chunk or the end of the stream.
"""

from __future__ import annotations

from abcodex_common.masking import MASK_KINDS, mask_text

# A run this long without a safe boundary is released anyway, so a stream can't be held back forever;
# the longest email address is 254 characters and a phone far fewer.
MAX_HELD_CHARS = 1_000
_PHONE_SEPARATORS = " .-"


class StreamRedactor:
    """Feed chunks in, get masked text out as soon as it is safe to show; `flush` at the end."""

    def __init__(self, kinds: frozenset[str] = MASK_KINDS) -> None:
        self._kinds = kinds
        self._held = ""

    def feed(self, chunk: str) -> str:
        """The masked text that can be shown now (possibly empty); the rest waits for a boundary."""
        text = self._held + chunk
        cut = safe_cut(text)
        if cut == 0 and len(text) > MAX_HELD_CHARS:
            cut = len(text)
        self._held = text[cut:]
        return mask_text(text[:cut], self._kinds) if cut else ""

    def flush(self) -> str:
        """Everything still held back, masked: the stream has ended."""
        text, self._held = self._held, ""
        return mask_text(text, self._kinds) if text else ""


def safe_cut(text: str) -> int:
    """The index just after the last whitespace no email or phone can span; 0 when there is none."""
    for index in range(len(text) - 1, -1, -1):
        char = text[index]
        if not char.isspace():
            continue
        if char != " " or not _may_continue_a_number(text, index):
            return index + 1
    return 0


def _may_continue_a_number(text: str, space: int) -> bool:
    before = space - 1
    while before >= 0 and text[before] in _PHONE_SEPARATORS:
        before -= 1
    return before >= 0 and (text[before].isdigit() or text[before] == ")")
