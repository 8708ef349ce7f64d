"""The audit table `abcodex_tool_calls`: one row per tool call, written in batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mcp_server.repository.pool import Database, Query

_INSERT = Query(
    "audit.insert",
    """
INSERT INTO abcodex_tool_calls
    (called_at, request_id, client_name, acting_user, acting_role, tool, arguments, outcome, detail, duration_ms)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::jsonb[], $8::text[], $9::text[], $10::numeric[])
""",
)


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


async def insert_calls(db: Database, batch: Sequence[AuditRecord]) -> None:
    """Write a batch in one statement (one array per column)."""
    columns = list(
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
                for r in batch
            ),
            strict=True,
        )
    )
    await db.execute(_INSERT, *columns)
