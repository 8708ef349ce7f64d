"""The payout ledger: every SQL statement of paying an artist.

A payout is written as `processing` (an `artist_payments` row plus the `abcodex_payment_requests` row keyed by
its idempotency key) before Stripe is called, then marked `paid` or `failed`. Writes for one caller and for one
artist and event are serialised with transaction-scoped advisory locks, so two payments racing cannot together
exceed what is owed or the caller's daily cap; the request table's primary key makes a payout exist at most once
per key. The payment service never sees a connection: it hands `write_processing` a check to run under the locks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from mcp_server.errors import DuplicatePayout
from mcp_server.repository.payouts import ACCOUNT_PREFERENCE, ACCOUNTS_OF, owed_line
from mcp_server.repository.pool import Database, Query
from mcp_server.repository.rows import OwedLineRow

_PAYOUT_COLUMNS = """
r.idempotency_key, p.id AS payment_id, p.status, p.stripe_transfer_id, p.error_message, r.stripe_region,
coalesce(p.metadata->>'destination_account', s.stripe_account_id) AS destination_account,
coalesce((p.metadata->>'outcome_unknown')::boolean, false) AS outcome_unknown
"""
# Payouts written before the destination was recorded fall back to the artist's current account.
_PAYOUT_FROM = f"""
FROM abcodex_payment_requests r JOIN artist_payments p ON p.id = r.payment_id
LEFT JOIN LATERAL (SELECT sa.stripe_account_id FROM {ACCOUNTS_OF.format("r.artist_profile_id")} sa
                   ORDER BY {ACCOUNT_PREFERENCE} LIMIT 1) s
       ON p.metadata->>'destination_account' IS NULL
"""
_EXISTING = Query("ledger.existing", f"SELECT {_PAYOUT_COLUMNS} {_PAYOUT_FROM} WHERE r.idempotency_key = $1")
_UNRESOLVED = Query(
    "ledger.unresolved",
    f"""
SELECT {_PAYOUT_COLUMNS}, r.eid, r.artist_profile_id::text AS artist_profile_id, r.amount, r.currency, r.client_name
{_PAYOUT_FROM}
WHERE p.status = 'processing' OR (p.status = 'failed' AND coalesce((p.metadata->>'outcome_unknown')::boolean, false))
ORDER BY r.created_at
""",
)
# What counts toward the daily cap: money that moved or may have moved (paid, in flight, outcome unknown).
_SPENT_TODAY = Query(
    "ledger.spent_today",
    """
SELECT coalesce(sum(r.amount), 0) FROM abcodex_payment_requests r JOIN artist_payments p ON p.id = r.payment_id
WHERE r.client_name = $1 AND r.currency = $2 AND r.created_at > now() - interval '1 day'
  AND (p.status IN ('paid', 'pending', 'processing')
       OR (p.status = 'failed' AND coalesce((p.metadata->>'outcome_unknown')::boolean, false)))
""",
)
_EVENT = Query("ledger.event", "SELECT id::text, eid, name, currency, stripe_account_region FROM events WHERE eid = $1")
_LOCK = Query("ledger.lock", "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
_INSERT_PAYMENT = Query(
    "ledger.insert_payment",
    """
INSERT INTO artist_payments (artist_profile_id, art_id, gross_amount, platform_fee, stripe_fee, net_amount,
                             currency, status, payment_method, metadata)
VALUES ($1, NULL, $2, 0, 0, $2, $3, 'processing', 'stripe_transfer', $4::jsonb)
RETURNING id
""",
)
_INSERT_REQUEST = Query(
    "ledger.insert_request",
    """
INSERT INTO abcodex_payment_requests (idempotency_key, payment_id, eid, artist_profile_id, amount, currency,
                                      client_name, acting_user, stripe_region)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
""",
)
_RESOLVE_PAYMENT = Query(
    "ledger.resolve_payment",
    """
UPDATE artist_payments p SET status = $2, stripe_transfer_id = coalesce($3, p.stripe_transfer_id),
       paid_at = CASE WHEN $2 = 'paid' THEN now() ELSE p.paid_at END, error_message = $4,
       metadata = p.metadata || jsonb_build_object('outcome_unknown', $5::boolean)
FROM abcodex_payment_requests r WHERE r.payment_id = p.id AND r.idempotency_key = $1
  AND p.status IN ('processing', 'failed')  -- never undo 'paid' (a replica settling late) or a person's 'cancelled'
""",
)
_RESOLVE_REQUEST = Query(
    "ledger.resolve_request", "UPDATE abcodex_payment_requests SET resolved_at = now() WHERE idempotency_key = $1"
)


@dataclass(frozen=True, slots=True)
class PayoutRow:
    """A payout written by the gateway, with what Stripe needs to settle it."""

    idempotency_key: str
    payment_id: str
    status: str
    stripe_transfer_id: str | None
    error_message: str | None
    stripe_region: str
    destination_account: str | None
    outcome_unknown: bool

    @property
    def needs_stripe(self) -> bool:
        """Still open: never sent, or sent without a known answer."""
        return self.status == "processing" or (self.status == "failed" and self.outcome_unknown)


@dataclass(frozen=True, slots=True)
class OpenPayoutRow:
    """A payout a crash or an outage left without a known outcome, with the request it came from."""

    payout: PayoutRow
    eid: str
    artist_profile_id: str
    amount: Decimal
    currency: str
    client_name: str


@dataclass(frozen=True, slots=True)
class PayoutEventRow:
    id: str
    eid: str
    name: str | None
    currency: str | None
    region: str | None


@dataclass(frozen=True, slots=True)
class PayoutContext:
    """What the payment rules need: the event, the artist's line (owed, account) and the caller's spend today."""

    event: PayoutEventRow
    line: OwedLineRow | None
    spent_today: Decimal


@dataclass(frozen=True, slots=True)
class NewPayout:
    """A confirmed payout about to be written as `processing`."""

    idempotency_key: str
    eid: str
    artist_profile_id: str
    amount: Decimal
    currency: str
    client_name: str
    acting_user: str | None
    destination_account: str


PayoutCheck = Callable[[PayoutContext | None], Awaitable[None]]


def _payout(record: asyncpg.Record) -> PayoutRow:
    return PayoutRow(
        record["idempotency_key"],
        str(record["payment_id"]),
        record["status"],
        record["stripe_transfer_id"],
        record["error_message"],
        record["stripe_region"],
        record["destination_account"],
        record["outcome_unknown"],
    )


async def _context(
    connection: asyncpg.Connection, eid: str, artist_profile_id: str, client_name: str, currency: str
) -> PayoutContext | None:
    event = await connection.fetchrow(_EVENT.sql, eid)
    if event is None:
        return None
    line = await owed_line(connection, eid, artist_profile_id)
    spent = await connection.fetchval(_SPENT_TODAY.sql, client_name, currency)
    row = PayoutEventRow(event["id"], event["eid"], event["name"], event["currency"], event["stripe_account_region"])
    return PayoutContext(row, line, Decimal(spent))


class Ledger:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def context(self, eid: str, artist_profile_id: str, client_name: str, currency: str) -> PayoutContext | None:
        """The rules' inputs as they are now (None when there is no such event)."""
        async with self._db.transaction() as connection:
            return await _context(connection, eid, artist_profile_id, client_name, currency)

    async def existing(self, idempotency_key: str) -> PayoutRow | None:
        rows = await self._db.fetch(_EXISTING, idempotency_key)
        return _payout(rows[0]) if rows else None

    async def write_processing(self, payout: NewPayout, check: PayoutCheck) -> PayoutRow:
        """Under the caller's and the artist-and-event locks: run `check` on the current context (it raises to
        refuse), then write the payout as `processing`. DuplicatePayout when the key was written already."""
        async with self._db.transaction() as connection:
            for key in (f"caller:{payout.client_name}", f"payout:{payout.eid}:{payout.artist_profile_id}"):
                await connection.execute(_LOCK.sql, key)
            if await connection.fetchrow(_EXISTING.sql, payout.idempotency_key) is not None:
                raise DuplicatePayout(f"payout {payout.idempotency_key} exists")
            context = await _context(
                connection, payout.eid, payout.artist_profile_id, payout.client_name, payout.currency
            )
            await check(context)
            assert context is not None, "a payout check refuses an event that does not exist"
            await _insert(connection, payout, context.event)
        written = await self.existing(payout.idempotency_key)
        assert written is not None
        return written

    async def mark_paid(self, idempotency_key: str, transfer_id: str) -> None:
        await self._resolve(idempotency_key, "paid", transfer_id, None, outcome_unknown=False)

    async def mark_failed(self, idempotency_key: str, error: str, *, outcome_unknown: bool) -> None:
        await self._resolve(idempotency_key, "failed", None, error, outcome_unknown=outcome_unknown)

    async def unresolved(self) -> list[OpenPayoutRow]:
        """Payouts a crash or an outage left `processing` or `failed` with an unknown outcome, oldest first."""
        return [
            OpenPayoutRow(_payout(r), r["eid"], r["artist_profile_id"], r["amount"], r["currency"], r["client_name"])
            for r in await self._db.fetch(_UNRESOLVED)
        ]

    async def _resolve(
        self, key: str, status: str, transfer_id: str | None, error: str | None, *, outcome_unknown: bool
    ) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(_RESOLVE_PAYMENT.sql, key, status, transfer_id, error, outcome_unknown)
            await connection.execute(_RESOLVE_REQUEST.sql, key)


async def _insert(connection: asyncpg.Connection, payout: NewPayout, event: PayoutEventRow) -> None:
    metadata = {
        "event_id": event.id,
        "eid": payout.eid,
        "idempotency_key": payout.idempotency_key,
        "source": "abcodex",
        "client": payout.client_name,
        "acting_user": payout.acting_user,
        "destination_account": payout.destination_account,
    }
    payment_id = await connection.fetchval(
        _INSERT_PAYMENT.sql, payout.artist_profile_id, payout.amount, payout.currency, metadata
    )
    try:
        await connection.execute(
            _INSERT_REQUEST.sql,
            payout.idempotency_key,
            payment_id,
            payout.eid,
            payout.artist_profile_id,
            payout.amount,
            payout.currency,
            payout.client_name,
            payout.acting_user,
            event.region,
        )
    except asyncpg.UniqueViolationError as exc:  # another replica wrote this key between our check and insert
        raise DuplicatePayout(f"payout {payout.idempotency_key} exists") from exc
