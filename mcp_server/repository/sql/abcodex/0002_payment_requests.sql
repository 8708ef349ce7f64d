-- One row per confirmed payment request: the idempotency key that makes a payout happen at most once.
-- The payout itself is the artist_payments row it points at (written in the same transaction).
CREATE TABLE IF NOT EXISTS abcodex_payment_requests (
    idempotency_key text PRIMARY KEY,
    payment_id uuid NOT NULL,
    eid text NOT NULL,
    artist_profile_id uuid NOT NULL,
    amount numeric NOT NULL,
    currency text NOT NULL,
    client_name text NOT NULL,
    acting_user text,
    stripe_region text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz
);
CREATE INDEX IF NOT EXISTS abcodex_payment_requests_client_day_idx
    ON abcodex_payment_requests (client_name, created_at);
