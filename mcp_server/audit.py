"""The audit trail (`abcodex_tool_calls`): one row per tool call, allowed or refused, and none lost quietly.

Read calls are queued and written in batches, so auditing costs the hot path no round trip; payment calls
are written before their answer leaves (`record_now`). Every row waits in one bounded buffer until Postgres
has it:

- a batch Postgres refuses is written row by row, so one bad row never takes its neighbours with it; a row
  refused as it is goes again in plain form (`insert_calls(plain=True)`), and only a row refused in that
  form too is given up (counted as refused, logged with its request id);
- while Postgres is away the rows wait and are retried with backoff, then written when it answers; a payment
  row whose immediate write failed waits with them (its caller still gets its answer);
- only a full buffer drops rows, oldest first, and counts them;
- closing writes what it can within the drain time and logs how many rows could not be written.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import structlog

from abcodex_common.retry import Backoff
from mcp_server.errors import QueryFailed
from mcp_server.repository.audit_log import AuditRecord, insert_calls
from mcp_server.repository.pool import Database

_log = structlog.get_logger("abcodex.audit")

__all__ = ["DEFAULT_BUFFER_ROWS", "AuditRecord", "AuditStats", "AuditTrail"]

# About 5 MB of typical rows (~0.5 kB each): a minute or more of a busy replica's calls while Postgres is away.
DEFAULT_BUFFER_ROWS = 10_000
# Retries while Postgres is away: soon enough that rows land within ~2 s of its return, rare enough not to
# hammer a database that is coming back.
OUTAGE_BACKOFF = Backoff(first=0.25, ceiling=2.0)
_AWAY = "Postgres is not answering"


@dataclass(frozen=True, slots=True)
class AuditStats:
    """What the trail has done since it started (the metrics read it on every scrape)."""

    waiting: int  # rows not yet in Postgres
    capacity: int  # the buffer's bound
    written: int
    dropped: int  # the buffer was full: the oldest rows gave way
    refused: int  # Postgres refused the row in both forms


class AuditTrail:
    def __init__(
        self,
        db: Database,
        buffer_rows: int = DEFAULT_BUFFER_ROWS,
        drain_seconds: float = 10.0,
        batch_size: int = 200,
        flush_interval: float = 0.25,
    ) -> None:
        self._db = db
        self._capacity = buffer_rows
        self._drain_seconds = drain_seconds
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._waiting: deque[AuditRecord] = deque()
        self._in_flight = 0  # rows taken from the buffer by the writer, not yet written
        self._written = self._dropped = self._refused = 0
        self._away = False  # Postgres did not answer the last write
        self._dropping = False  # rows were dropped since Postgres last took a write (one log line per episode)
        # A write failed other than by Postgres refusing it, so it may have landed: until the buffer is empty
        # again, writes skip rows already in the table (rare, and dearer than a plain insert).
        self._unsure = False
        self._retry_delays: Iterator[float] = OUTAGE_BACKOFF.delays()
        self._wakeup = asyncio.Event()
        self._closing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-writer")

    def stats(self) -> AuditStats:
        return AuditStats(
            waiting=len(self._waiting) + self._in_flight,
            capacity=self._capacity,
            written=self._written,
            dropped=self._dropped,
            refused=self._refused,
        )

    async def record_now(self, record: AuditRecord) -> None:
        """Write the row before returning; if Postgres is away it waits in the buffer instead."""
        if not await self._write_alone(record):
            _log.warning("audit_row_waiting", request_id=record.request_id, tool=record.tool)
            self._unsure = True
            self._waiting.append(record)
            self._trim()

    def record_later(self, record: AuditRecord) -> None:
        self._waiting.append(record)
        self._trim()
        if len(self._waiting) >= self._batch_size:
            self._wakeup.set()

    async def close(self) -> None:
        """Write what is waiting, for at most the drain time, then stop; log how many rows were not written."""
        task = self._task or asyncio.create_task(self._run(), name="audit-writer")
        self._task = task
        self._closing.set()
        self._wakeup.set()
        done, _ = await asyncio.wait({task}, timeout=self._drain_seconds)
        if not done:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        left = self.stats()
        if left.waiting:
            _log.error("audit_rows_unwritten", rows=left.waiting, drain_seconds=self._drain_seconds)
        else:
            _log.info("audit_closed", written=left.written, dropped=left.dropped, refused=left.refused)

    async def _run(self) -> None:
        while True:
            await self._pause()
            answered = await self._drain()
            self._note_availability(answered)
            if self._closing.is_set() and answered:
                return

    async def _pause(self) -> None:
        """Until the next write: the flush interval or a full batch; while Postgres is away, the backoff delay
        (a full batch does not hurry a retry then). Closing ends either wait once, to try at once."""
        if self._away:
            delay = next(self._retry_delays)
            if self._closing.is_set():
                await asyncio.sleep(delay)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), timeout=delay)
        elif not self._closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._flush_interval)
        self._wakeup.clear()

    def _note_availability(self, answered: bool) -> None:
        if answered:
            self._dropping = False
        if answered and self._away:
            _log.info("audit_database_back", written=self._written)
        elif not answered and not self._away:
            self._retry_delays = OUTAGE_BACKOFF.delays()
            _log.warning("audit_waiting_for_database", waiting=self.stats().waiting)
        self._away = not answered

    async def _drain(self) -> bool:
        """Write every waiting row; False when Postgres is away (the rows not written wait again)."""
        while self._waiting:
            batch = [self._waiting.popleft() for _ in range(min(self._batch_size, len(self._waiting)))]
            self._in_flight = len(batch)
            # If cancelled at the drain deadline the whole batch counts as unwritten (it may be in Postgres).
            left = batch
            try:
                left = await self._write(batch)
            finally:
                self._in_flight = 0
                self._put_back(left)
            if left:
                return False
        self._unsure = False
        return True

    async def _write(self, batch: list[AuditRecord]) -> list[AuditRecord]:
        """The rows of `batch` not written because Postgres is away (none when it took them all)."""
        refusal = await self._insert(batch)
        if refusal == _AWAY:
            return batch
        if refusal is None:
            self._written += len(batch)
            return []
        _log.warning("audit_batch_refused", rows=len(batch), error=refusal)
        for index, record in enumerate(batch):
            if not await self._write_alone(record):
                return batch[index:]
        return []

    async def _write_alone(self, record: AuditRecord) -> bool:
        """Write one row, in plain form if Postgres refuses it as it is; False when Postgres is away."""
        refusal = await self._insert([record])
        if refusal not in (None, _AWAY):
            refusal = await self._insert([record], plain=True)
        if refusal == _AWAY:
            return False
        if refusal is None:
            self._written += 1
        else:
            self._refused += 1
            _log.error(
                "audit_row_refused",
                request_id=record.request_id,
                tool=record.tool,
                outcome=record.outcome,
                error=refusal,
            )
        return True

    async def _insert(self, rows: list[AuditRecord], *, plain: bool = False) -> str | None:
        """None when Postgres took the rows, else why not (`_AWAY` when it is not answering at all)."""
        try:
            await insert_calls(self._db, rows, plain=plain, maybe_stored=self._unsure)
        except QueryFailed as exc:
            return str(exc)
        # Any other failure is an outage or looks like one to the driver (a row it cannot even send, an error
        # type the adapter does not know): a ping tells which. The writer must never die of it.
        except Exception as exc:
            self._unsure = True
            return _AWAY if not await self._answers() else f"{exc.__class__.__name__}: {exc}"
        return None

    async def _answers(self) -> bool:
        try:
            await self._db.ping()
        except Exception:  # whatever the failure, Postgres did not answer
            return False
        return True

    def _put_back(self, rows: list[AuditRecord]) -> None:
        """Unwritten rows go back to the front, where they were: they are still the oldest."""
        if rows:
            self._unsure = True
        self._waiting.extendleft(reversed(rows))
        self._trim()

    def _trim(self) -> None:
        """Keep the buffer within its bound, dropping the oldest rows and counting them."""
        excess = len(self._waiting) - self._capacity
        if excess <= 0:
            return
        for _ in range(excess):
            self._waiting.popleft()
        if not self._dropping:
            self._dropping = True
            _log.error("audit_buffer_full", capacity=self._capacity, dropped_before=self._dropped)
        self._dropped += excess
