"""A busy gateway: HTTP 429 or 503 with `Retry-After` means "come back in N seconds", not "unreachable".

The MCP SDK turns such an answer into a generic JSON-RPC error and drops its headers, so the HTTP client's
response hook writes the delay on the current call's `BusyNote`: a context variable that the SDK carries
into the task sending the call's POST, as it does the acting headers (see `gateway_convert`). Each call
has its own note, so one busy answer never marks a concurrent call busy.

`BUSY_RETRIES` bounds what a busy gateway costs a question: a couple of retries, a few seconds in all.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx2

from abcodex_common.retry import Backoff

BUSY_STATUSES = frozenset({429, 503})
BUSY_RETRIES = Backoff(first=0.0, attempts=3, budget=4.0)
"""Three tries at most, each after the pause the gateway asks for, pausing no more than 4 s in all."""


@dataclass(slots=True)
class BusyNote:
    """What the gateway's HTTP answers said about being busy during one call."""

    retry_after: float | None = None


_current_note: ContextVar[BusyNote | None] = ContextVar("abcodex_busy_note", default=None)


@contextlib.contextmanager
def noting_busy() -> Iterator[BusyNote]:
    """Collect the busy answers to the HTTP requests made inside this block."""
    note = BusyNote()
    token = _current_note.set(note)
    try:
        yield note
    finally:
        _current_note.reset(token)


async def note_if_busy(response: httpx2.Response) -> None:
    """The HTTP client's response hook: a busy answer's delay goes on the current call's note."""
    delay = busy_delay(response)
    note = _current_note.get()
    if delay is not None and note is not None:
        note.retry_after = delay


def busy_delay(response: httpx2.Response) -> float | None:
    """The seconds a 429 or 503 asks us to wait, or None when the answer does not say "busy"."""
    if response.status_code not in BUSY_STATUSES:
        return None
    return retry_after_seconds(response.headers.get("retry-after"))


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` in seconds from now: delay-seconds or an HTTP date (RFC 9110); None when absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # an HTTP date is always GMT
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
