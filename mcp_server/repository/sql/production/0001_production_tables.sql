-- The shape of Art Battle's production tables (Supabase), for the embedded default and the tests only.
-- Never applied to a real DATABASE_URL: those tables belong to other applications.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE IF NOT EXISTS cities (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    country text
);

CREATE TABLE IF NOT EXISTS venues (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    address text
);

CREATE TABLE IF NOT EXISTS events (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    eid text UNIQUE NOT NULL,
    name text,
    event_start_datetime timestamptz,
    event_end_datetime timestamptz,
    timezone_icann text,
    enabled boolean DEFAULT true,
    show_in_app boolean DEFAULT true,
    current_round integer,
    currency text,
    city_id uuid REFERENCES cities(id),
    venue_id uuid REFERENCES venues(id),
    capacity integer,
    artist_auction_portion numeric,
    stripe_account_region text
);

CREATE TABLE IF NOT EXISTS rounds (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id uuid NOT NULL REFERENCES events(id),
    round_number integer NOT NULL,
    is_finished boolean DEFAULT false,
    closing_time timestamptz,
    UNIQUE (event_id, round_number)
);

CREATE TABLE IF NOT EXISTS people (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    first_name text,
    last_name text,
    email text,
    phone text
);

CREATE TABLE IF NOT EXISTS artist_profiles (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    person_id uuid REFERENCES people(id),
    name text NOT NULL,
    country text,
    email text,
    phone text
);

CREATE TABLE IF NOT EXISTS art (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id uuid NOT NULL REFERENCES events(id),
    art_code text UNIQUE,
    round integer,
    easel integer,
    artist_id uuid REFERENCES artist_profiles(id),
    status text DEFAULT 'inactive'
        CHECK (status IN ('active', 'closed', 'inactive', 'sold', 'cancelled', 'paid')),
    current_bid numeric DEFAULT 0,
    bid_count integer DEFAULT 0,
    winner_id uuid REFERENCES people(id),
    closing_time timestamptz,
    final_price numeric
);

CREATE TABLE IF NOT EXISTS votes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id uuid NOT NULL REFERENCES events(id),
    eid text,
    round integer,
    easel integer,
    art_uuid uuid REFERENCES art(id),
    person_id uuid REFERENCES people(id),
    vote_factor numeric DEFAULT 1,
    created_at timestamptz DEFAULT now()
);

CREATE TABLE IF NOT EXISTS bids (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    art_id uuid NOT NULL REFERENCES art(id),
    person_id uuid REFERENCES people(id),
    amount numeric NOT NULL,
    currency_code text,
    created_at timestamptz DEFAULT now()
);

CREATE TABLE IF NOT EXISTS artist_stripe_accounts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    artist_profile_id uuid NOT NULL REFERENCES artist_profiles(id),
    stripe_account_id text,
    onboarding_status text,
    payouts_enabled boolean DEFAULT false,
    country text,
    currency text
);

CREATE TABLE IF NOT EXISTS artist_payments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    artist_profile_id uuid NOT NULL REFERENCES artist_profiles(id),
    art_id uuid UNIQUE REFERENCES art(id),
    gross_amount numeric NOT NULL,
    platform_fee numeric DEFAULT 0,
    stripe_fee numeric DEFAULT 0,
    net_amount numeric,
    currency text,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'processing', 'paid', 'failed', 'cancelled')),
    stripe_transfer_id text,
    payment_method text,
    created_at timestamptz DEFAULT now(),
    paid_at timestamptz,
    error_message text,
    metadata jsonb DEFAULT '{}'::jsonb
);
