-- Indexes that fit the gateway's queries. Applied to the embedded/demo database; for production they are
-- offered by `abcodex-gateway migrate --recommended-indexes` (CONCURRENTLY), since the tables are not ours.
CREATE INDEX IF NOT EXISTS votes_event_round_easel_idx ON votes (event_id, round, easel) INCLUDE (vote_factor);
CREATE INDEX IF NOT EXISTS art_event_idx ON art (event_id, round, easel);
CREATE INDEX IF NOT EXISTS bids_art_amount_idx ON bids (art_id, amount DESC);
CREATE INDEX IF NOT EXISTS artist_payments_artist_idx ON artist_payments (artist_profile_id);
CREATE INDEX IF NOT EXISTS artist_stripe_accounts_artist_idx ON artist_stripe_accounts (artist_profile_id);
CREATE INDEX IF NOT EXISTS events_start_idx ON events (event_start_datetime);
CREATE INDEX IF NOT EXISTS rounds_event_idx ON rounds (event_id, round_number);
