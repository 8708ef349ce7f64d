"""The payout ledger in Postgres: the `processing` row written before Stripe is called, then its outcome.

Rows for one artist and event are serialised with a transaction-scoped advisory lock, so two payments
racing cannot together exceed what is owed; the request table's primary key makes a payout exist at most
once per idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from mcp_server.payments.confirmation import PaymentRequest
from mcp_server.repository.payouts import owed_line
from mcp_server.repository.pool import Database

_EXISTING = """
SELECT r.idempotency_key, p.id, p.status, p.stripe_transfer_id, p.error_message, r.stripe_region,
       coalesce((p.metadata->>'outcome_unknown')::boolean, false) AS outcome_unknown
FROM abcodex_payment_requests r JOIN artist_payments p ON p.id = r.payment_id
WHERE r.idempotency_key = $1
"""
_SPENT_TODAY = """
SELECT coalesce(sum(r.amount), 0) FROM abcodex_payment_requests r JOIN artist_payments p ON p.id = r.payment_id
WHERE r.client_name = $1 AND r.created_at > now() - interval '1 day' AND r.currency = $2
  AND p.status NOT IN ('failed', 'cancelled')
"""
_EVENT = "SELECT id, eid, name, currency, stripe_account_region FROM events WHERE eid = $1"
_INSERT_PAYMENT = """
INSERT INTO artist_payments (artist_profile_id, art_id, gross_amount, platform_fee, stripe_fee, net_amount,
                             currency, status, payment_method, metadata)
VALUES ($1, NULL, $2, 0, 0, $2, $3, 'processing', 'stripe_transfer', $4::jsonb)
RETURNING id
"""
_INSERT_REQUEST = """
INSERT INTO abcodex_payment_requests (idempotency_key, payment_id, eid, artist_profile_id, amount, currency,
                                      client_name, acting_user, stripe_region)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""


@dataclass(frozen=True)
class PayoutRow:
    idempotency_key: str
    payment_id: str
    status: str
    stripe_transfer_id: str | None
    error_message: str | None
    stripe_region: str
    outcome_unknown: bool

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> PayoutRow:
        return cls(
            record["idempotency_key"],
            str(record["id"]),
            record["status"],
            record["stripe_transfer_id"],
            record["error_message"],
            record["stripe_region"],
            record["outcome_unknown"],
        )

    @property
    def needs_stripe(self) -> bool:
        return self.status == "processing" or (self.status == "failed" and self.outcome_unknown)


@dataclass(frozen=True)
class PayoutContext:
    """What the checks need: the event, the artist's line (owed, account) and the caller's spend today."""

    event: dict[str, Any]
    line: dict[str, Any] | None
    spent_today: Decimal


def lock_key(*parts: str) -> str:
    return ":".join(parts)


class Ledger:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def existing(self, idempotency_key: str) -> PayoutRow | None:
        rows = await self._db.fetch(_EXISTING, idempotency_key)
        return PayoutRow.from_record(rows[0]) if rows else None

    async def context(self, connection: asyncpg.Connection, request: PaymentRequest) -> PayoutContext | None:
        event = await connection.fetchrow(_EVENT, request.eid)
        if event is None:
            return None
        line = await owed_line(connection, request.eid, request.artist_profile_id)
        spent = await connection.fetchval(_SPENT_TODAY, request.caller, request.currency)
        return PayoutContext(dict(event), line, Decimal(spent))

    async def lock(self, connection: asyncpg.Connection, request: PaymentRequest) -> None:
        """Serialise payouts per caller (daily cap) and per artist and event (owed) until the commit."""
        for key in (lock_key("caller", request.caller), lock_key("payout", request.eid, request.artist_profile_id)):
            await connection.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)

    async def write_processing(
        self,
        connection: asyncpg.Connection,
        request: PaymentRequest,
        key: str,
        event_id: str,
        region: str,
        acting_user: str | None,
    ) -> str:
        metadata = {
            "event_id": event_id,
            "eid": request.eid,
            "idempotency_key": key,
            "source": "abcodex",
            "client": request.caller,
            "acting_user": acting_user,
        }
        payment_id = await connection.fetchval(
            _INSERT_PAYMENT, request.artist_profile_id, request.amount, request.currency, metadata
        )
        await connection.execute(
            _INSERT_REQUEST,
            key,
            payment_id,
            request.eid,
            request.artist_profile_id,
            request.amount,
            request.currency,
            request.caller,
            acting_user,
            region,
        )
        return str(payment_id)

    async def mark_paid(self, key: str, transfer_id: str) -> None:
        await self._resolve(key, "paid", transfer_id, None, outcome_unknown=False)

    async def mark_failed(self, key: str, error: str, *, outcome_unknown: bool) -> None:
        await self._resolve(key, "failed", None, error, outcome_unknown=outcome_unknown)

    async def _resolve(
        self, key: str, status: str, transfer_id: str | None, error: str | None, *, outcome_unknown: bool
    ) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                """
                UPDATE artist_payments p SET status = $2, stripe_transfer_id = coalesce($3, p.stripe_transfer_id),
                       paid_at = CASE WHEN $2 = 'paid' THEN now() ELSE p.paid_at END, error_message = $4,
                       metadata = p.metadata || jsonb_build_object('outcome_unknown', $5::boolean)
                FROM abcodex_payment_requests r WHERE r.payment_id = p.id AND r.idempotency_key = $1
                """,
                key,
                status,
                transfer_id,
                error,
                outcome_unknown,
            )
            await connection.execute(
                "UPDATE abcodex_payment_requests SET resolved_at = now() WHERE idempotency_key = $1", key
            )

    async def unresolved(self) -> list[tuple[PayoutRow, dict[str, Any]]]:
        """Rows a crash or an outage left without a known outcome, with their request."""
        rows = await self._db.fetch(
            """
            SELECT r.*, p.id, p.status, p.stripe_transfer_id, p.error_message,
                   coalesce((p.metadata->>'outcome_unknown')::boolean, false) AS outcome_unknown,
                   s.stripe_account_id
            FROM abcodex_payment_requests r JOIN artist_payments p ON p.id = r.payment_id
            LEFT JOIN LATERAL (SELECT stripe_account_id FROM artist_stripe_accounts a
                               WHERE a.artist_profile_id = r.artist_profile_id
                               ORDER BY a.payouts_enabled DESC NULLS LAST LIMIT 1) s ON true
            WHERE p.status = 'processing' OR (p.status = 'failed'
                  AND coalesce((p.metadata->>'outcome_unknown')::boolean, false))
            ORDER BY r.created_at
            """
        )
        return [(PayoutRow.from_record(row), dict(row)) for row in rows]
