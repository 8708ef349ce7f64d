"""Timestamps as people at the event read them: local time in the event's own timezone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def parse_timestamp(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def event_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_iso(value: str | None, zone: ZoneInfo) -> str | None:
    moment = parse_timestamp(value)
    return moment.astimezone(zone).isoformat(timespec="minutes") if moment else None


def utc_iso(value: str) -> str:
    moment = parse_timestamp(value) or datetime.now(UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_status(starts_at: str | None, ends_at: str | None, now: str) -> Literal["upcoming", "live", "finished"]:
    start, end, current = parse_timestamp(starts_at), parse_timestamp(ends_at), parse_timestamp(now)
    if current is None or start is None or current < start:
        return "upcoming"
    if end is None or current <= end:
        return "live"
    return "finished"
