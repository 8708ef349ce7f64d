"""Timestamps as people at the event read them: local time in the event's own timezone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def event_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).isoformat(timespec="minutes") if moment else None


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_status(
    starts_at: datetime | None, ends_at: datetime | None, now: datetime
) -> Literal["upcoming", "live", "finished"]:
    if starts_at is None or now < starts_at:
        return "upcoming"
    if ends_at is None or now <= ends_at:
        return "live"
    return "finished"
