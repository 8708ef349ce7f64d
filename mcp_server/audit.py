"""The audit trail (`abcodex_tool_calls`): one row per tool call, allowed or refused.

Payment calls are written before their answer is returned; read calls are queued and written in batches
so auditing does not cost the hot path a round trip. The queue is flushed on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from mcp_server.errors import GatewayError
from mcp_server.repository.audit_log import AuditRecord, insert_calls
from mcp_server.repository.pool import Database

_log = structlog.get_logger("abcodex.audit")

__all__ = ["AuditRecord", "AuditTrail"]


class AuditTrail:
    def __init__(self, db: Database, batch_size: int = 200, flush_interval: float = 0.25) -> None:
        self._db = db
        self._queue: list[AuditRecord] = []
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-writer")

    async def record_now(self, record: AuditRecord) -> None:
        await self._write([record])

    def record_later(self, record: AuditRecord) -> None:
        self._queue.append(record)
        if len(self._queue) >= self._batch_size:
            self._wakeup.set()

    async def flush(self) -> None:
        batch, self._queue = self._queue, []
        if batch:
            await self._write(batch)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._flush_interval)
            self._wakeup.clear()
            await self.flush()

    async def _write(self, batch: list[AuditRecord]) -> None:
        try:
            await insert_calls(self._db, batch)
        except GatewayError as exc:
            _log.error("audit_write_failed", rows=len(batch), error=exc.__class__.__name__)
