-- What the people and finance tools read beyond the first five: merged artist profiles and artist numbers,
-- Stripe accounts as production keeps them (several rows per artist), manual payment requests, Stripe
-- onboarding invitations and exchange rates. Production shape for the embedded default and the tests only,
-- like 0001; the index part at the end is what `migrate --recommended-indexes` offers production.

-- superseded_by: NULL for a current profile; a merged duplicate points at the canonical profile.
-- entry_id: the "artist number" staff use.
ALTER TABLE artist_profiles ADD COLUMN IF NOT EXISTS superseded_by uuid REFERENCES artist_profiles(id);
ALTER TABLE artist_profiles ADD COLUMN IF NOT EXISTS entry_id integer;
ALTER TABLE artist_profiles ADD COLUMN IF NOT EXISTS abhq_bio text;
ALTER TABLE artist_profiles ADD COLUMN IF NOT EXISTS created_at timestamptz DEFAULT now();
ALTER TABLE artist_profiles ADD COLUMN IF NOT EXISTS updated_at timestamptz DEFAULT now();

-- artist_stripe_accounts.id exists (0001) and nothing makes artist_profile_id unique: an artist who
-- onboarded twice has several rows, and the tools pick one by a stated rule.
ALTER TABLE artist_stripe_accounts ADD COLUMN IF NOT EXISTS charges_enabled boolean DEFAULT false;
ALTER TABLE artist_stripe_accounts ADD COLUMN IF NOT EXISTS created_at timestamptz DEFAULT now();
ALTER TABLE artist_stripe_accounts ADD COLUMN IF NOT EXISTS updated_at timestamptz DEFAULT now();

-- Production still holds payouts from the previous system marked 'completed', which means paid.
ALTER TABLE artist_payments DROP CONSTRAINT IF EXISTS artist_payments_status_check;
ALTER TABLE artist_payments ADD CONSTRAINT artist_payments_status_check
    CHECK (status IN ('pending', 'processing', 'paid', 'failed', 'cancelled', 'completed'));

-- Artists who cannot use Stripe ask to be paid another way; events_referenced holds eids as text.
CREATE TABLE IF NOT EXISTS artist_manual_payment_requests (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    artist_profile_id uuid NOT NULL REFERENCES artist_profiles(id),
    person_id uuid REFERENCES people(id),
    events_referenced text[],
    requested_amount numeric,
    preferred_currency text,
    status text DEFAULT 'pending',
    payment_method text,
    admin_notes text,
    created_at timestamptz DEFAULT now(),
    processed_at timestamptz
);

-- Stripe onboarding invitations; the recipient fields are personal data.
CREATE TABLE IF NOT EXISTS payment_setup_invitations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    artist_profile_id uuid NOT NULL REFERENCES artist_profiles(id),
    status text DEFAULT 'sent',
    invitation_method text,
    invitation_type text DEFAULT 'payment_setup',
    recipient_email text,
    recipient_phone text,
    sent_by text,
    sent_at timestamptz DEFAULT now()
);

-- rate_to_usd is what one unit of the currency is worth in US dollars (CAD 0.73), as production's cron
-- writes it (it inverts the provider's USD-based rates).
CREATE TABLE IF NOT EXISTS exchange_rates (
    currency_code character(3) PRIMARY KEY,
    rate_to_usd numeric NOT NULL,
    last_updated timestamptz DEFAULT now()
);

-- Indexes for the people and finance tools' queries.
-- Contacts match a whole normalised value (lower-cased email, digits-only phone): equality on an expression.
CREATE INDEX IF NOT EXISTS people_email_lower_idx ON people (lower(email));
CREATE INDEX IF NOT EXISTS people_phone_digits_idx ON people (regexp_replace(phone, '[^0-9]', '', 'g'));
CREATE INDEX IF NOT EXISTS artist_profiles_email_lower_idx ON artist_profiles (lower(email));
CREATE INDEX IF NOT EXISTS artist_profiles_phone_digits_idx
    ON artist_profiles (regexp_replace(phone, '[^0-9]', '', 'g'));
CREATE INDEX IF NOT EXISTS artist_profiles_person_idx ON artist_profiles (person_id);
CREATE INDEX IF NOT EXISTS artist_profiles_entry_idx ON artist_profiles (entry_id);
CREATE INDEX IF NOT EXISTS artist_profiles_superseded_idx ON artist_profiles (superseded_by)
    WHERE superseded_by IS NOT NULL;
-- An artist's history reads their artworks; a person's wins read art by winner.
CREATE INDEX IF NOT EXISTS art_artist_idx ON art (artist_id);
CREATE INDEX IF NOT EXISTS art_winner_idx ON art (winner_id) WHERE winner_id IS NOT NULL;
-- Payouts not tied to one artwork belong to an event through their metadata.
CREATE INDEX IF NOT EXISTS artist_payments_event_meta_idx ON artist_payments ((metadata->>'event_id'))
    WHERE art_id IS NULL;
CREATE INDEX IF NOT EXISTS votes_person_idx ON votes (person_id);
CREATE INDEX IF NOT EXISTS bids_person_idx ON bids (person_id);
CREATE INDEX IF NOT EXISTS people_qr_scans_person_idx ON people_qr_scans (person_id);
CREATE INDEX IF NOT EXISTS payment_setup_invitations_artist_idx
    ON payment_setup_invitations (artist_profile_id, sent_at DESC);
CREATE INDEX IF NOT EXISTS artist_manual_payment_requests_artist_idx ON artist_manual_payment_requests (artist_profile_id);
CREATE INDEX IF NOT EXISTS artist_manual_payment_requests_events_idx
    ON artist_manual_payment_requests USING gin (events_referenced);
