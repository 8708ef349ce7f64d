"""The audit table `abcodex_tool_calls`: one row per tool call, written in batches.

Postgres refuses NUL in text and in jsonb, a lone surrogate cannot be encoded at all, and a database that is
not UTF-8 refuses whatever its encoding lacks (`UntranslatableCharacterError`); any of these in one argument
used to cost the whole batch. So every text column and every string of the arguments (keys too) is made
storable before it is sent: NUL and lone surrogates become the six characters `\\u0000` (`\\udXXX`), and a
non-finite number, which JSON cannot hold, its text. The `plain` form goes further, for a row Postgres still
refused: every character beyond ASCII is escaped the same way, which any server encoding can hold.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mcp_server.repository.pool import Database, Query

_COLUMNS = "called_at, request_id, client_name, acting_user, acting_role, tool, arguments, outcome, detail, duration_ms"
_CALLS = """unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[],
              $8::text[], $9::text[], $10::numeric[])"""
_INSERT = Query("audit.insert", f"INSERT INTO abcodex_tool_calls ({_COLUMNS}) SELECT * FROM {_CALLS}")
# A write whose answer was lost with its connection may be in the table already: a row with the same time,
# request id, client, tool and duration is that row.
_INSERT_MISSING = Query(
    "audit.insert_missing",
    f"""
INSERT INTO abcodex_tool_calls ({_COLUMNS})
SELECT * FROM {_CALLS} AS incoming ({_COLUMNS})
WHERE NOT EXISTS (
    SELECT 1 FROM abcodex_tool_calls AS stored
    WHERE stored.called_at = incoming.called_at AND stored.request_id IS NOT DISTINCT FROM incoming.request_id
      AND stored.client_name = incoming.client_name AND stored.tool = incoming.tool
      AND stored.duration_ms = incoming.duration_ms
)""",
)
# A cached generic plan guesses the batch's size and may keep a table size from long ago, and then scans the
# whole table for every batch; planned for each call it probes called_at's index row by row.
_PLAN_EACH_CALL = Query("audit.plan_each_call", "SET LOCAL plan_cache_mode = force_custom_plan")

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_NOT_PLAIN = re.compile("[^\x01-\x7f]")


@dataclass(frozen=True, slots=True)
class AuditRecord:
    called_at: datetime
    request_id: str | None
    client_name: str
    acting_user: str | None
    acting_role: str | None
    tool: str
    arguments: dict[str, Any]
    outcome: str
    detail: str | None
    duration_ms: float


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def storable_text(text: str, *, plain: bool = False) -> str:
    """`text` with what Postgres cannot store (with `plain`: everything beyond ASCII) written as `\\uXXXX`."""
    return (_NOT_PLAIN if plain else _UNSTORABLE).sub(_escaped, text)


def _storable_value(value: Any, plain: bool) -> Any:
    if isinstance(value, str):
        return storable_text(value, plain=plain)
    if isinstance(value, Mapping):
        return {storable_text(str(key), plain=plain): _storable_value(item, plain) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable_value(item, plain) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return storable_text(str(value), plain=plain)  # not a JSON value: its text is what can be kept


def storable(record: AuditRecord, *, plain: bool = False) -> AuditRecord:
    """The record as Postgres can store it (see the module docstring for the two forms)."""

    def text(value: str | None) -> str | None:
        return None if value is None else storable_text(value, plain=plain)

    return dataclasses.replace(
        record,
        request_id=text(record.request_id),
        client_name=storable_text(record.client_name, plain=plain),
        acting_user=text(record.acting_user),
        acting_role=text(record.acting_role),
        tool=storable_text(record.tool, plain=plain),
        arguments=_storable_value(record.arguments, plain),
        outcome=storable_text(record.outcome, plain=plain),
        detail=text(record.detail),
    )


async def insert_calls(
    db: Database, batch: Sequence[AuditRecord], *, plain: bool = False, maybe_stored: bool = False
) -> None:
    """Write a batch, made storable, in one statement (one array per column); with `maybe_stored` (an earlier
    write of these rows lost its answer), only the rows not in the table yet."""
    columns = _columns(batch, plain)
    if not maybe_stored:
        await db.execute(_INSERT, *columns)
        return
    async with db.transaction() as connection:
        await connection.execute(_PLAN_EACH_CALL.sql)
        await connection.execute(_INSERT_MISSING.sql, *columns)


def _columns(batch: Sequence[AuditRecord], plain: bool) -> list[tuple[Any, ...]]:
    return list(
        zip(
            *(
                (
                    r.called_at,
                    r.request_id,
                    r.client_name,
                    r.acting_user,
                    r.acting_role,
                    r.tool,
                    r.arguments,
                    r.outcome,
                    r.detail,
                    r.duration_ms,
                )
                for r in (storable(record, plain=plain) for record in batch)
            ),
            strict=True,
        )
    )
