-- The audit trail: one row per tool call, allowed or refused.
CREATE TABLE IF NOT EXISTS abcodex_tool_calls (
    id bigserial PRIMARY KEY,
    called_at timestamptz NOT NULL DEFAULT now(),
    request_id text,
    client_name text NOT NULL,
    acting_user text,
    acting_role text,
    tool text NOT NULL,
    arguments jsonb NOT NULL DEFAULT '{}'::jsonb,
    outcome text NOT NULL,
    detail text,
    duration_ms numeric NOT NULL
);
CREATE INDEX IF NOT EXISTS abcodex_tool_calls_called_at_idx ON abcodex_tool_calls (called_at);
CREATE INDEX IF NOT EXISTS abcodex_tool_calls_tool_idx ON abcodex_tool_calls (tool, called_at);
