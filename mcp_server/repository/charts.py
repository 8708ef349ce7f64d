"""What a chart needs beyond the live reads it reuses: the event's timezone, for its title's local time."""

from __future__ import annotations

from mcp_server.repository.pool import Database, Query

_TIMEZONE = Query("charts.timezone", "SELECT timezone_icann FROM events WHERE eid = $1")


async def event_timezone(db: Database, eid: str) -> str | None:
    """The event's IANA timezone name; None when it has none (or the event does not exist)."""
    value = await db.value(_TIMEZONE, eid)
    return None if value is None else str(value)
