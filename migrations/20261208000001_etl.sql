-- Marketing data (seeds 001/002, DESIGN §8): Ads and CRM sources read over HTTP, runs that land
-- their records in the governed tables `ads_performance` and `crm_opportunities` by natural-key
-- upsert, the records a run kept aside, and the event pipeline's aggregates (seed 003).

INSERT INTO permissions (name, description) VALUES
    ('etl:admin', 'Configure marketing sources, run them, clean up old data and export it'),
    ('etl:read',  'See marketing runs, the funnel metrics and event aggregates'),
    ('event:write', 'Send events to the event pipeline');
INSERT INTO role_permissions (role, permission) VALUES
    ('admin', 'etl:admin'), ('admin', 'etl:read'), ('admin', 'event:write'),
    ('analyst', 'etl:read'), ('analyst', 'event:write');

CREATE TABLE etl_sources (
    id            UUID PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    kind          TEXT NOT NULL CHECK (kind IN ('ads', 'crm')),
    -- Everything but the secret, as the API sent it (URL, mapping, pagination, incremental settings).
    config        JSONB NOT NULL,
    -- Sent as the value of `config.auth_header`; never answered, never logged.
    auth_secret   TEXT,
    schedule      TEXT,
    next_run_at   TIMESTAMPTZ,
    enabled       BOOLEAN NOT NULL DEFAULT true,
    -- The newest record time committed; a run asks from (cursor - lookback).
    cursor_at     TIMESTAMPTZ,
    version       INT NOT NULL DEFAULT 1,
    created_by    UUID NOT NULL REFERENCES users (id),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE etl_runs (
    id            UUID PRIMARY KEY,
    source_id     UUID NOT NULL REFERENCES etl_sources (id) ON DELETE CASCADE,
    trigger       TEXT NOT NULL CHECK (trigger IN ('manual', 'schedule', 'api')),
    requested_by  UUID REFERENCES users (id) ON DELETE SET NULL,
    -- `since` as asked for; the window actually read starts at `window_from`.
    since         TIMESTAMPTZ,
    window_from   TIMESTAMPTZ,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
    read_records      BIGINT NOT NULL DEFAULT 0,
    inserted_records  BIGINT NOT NULL DEFAULT 0,
    updated_records   BIGINT NOT NULL DEFAULT 0,
    unchanged_records BIGINT NOT NULL DEFAULT 0,
    rejected_records  BIGINT NOT NULL DEFAULT 0,
    pages         INT NOT NULL DEFAULT 0,
    retries       INT NOT NULL DEFAULT 0,
    attempts      INT NOT NULL DEFAULT 0,
    cursor_before TIMESTAMPTZ,
    cursor_after  TIMESTAMPTZ,
    -- Checkpoint: the next page to read (a run taken over after a crash goes on from it) and the
    -- newest record time committed so far.
    resume_url    TEXT,
    newest_at     TIMESTAMPTZ,
    error         TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ,
    heartbeat_at  TIMESTAMPTZ,
    CHECK (read_records = inserted_records + updated_records + unchanged_records + rejected_records)
);
CREATE INDEX etl_runs_source ON etl_runs (source_id, created_at DESC);
-- One run of a source at a time: a second request while one waits or runs is refused.
CREATE UNIQUE INDEX etl_runs_one_active ON etl_runs (source_id) WHERE status IN ('pending', 'running');

CREATE TABLE etl_rejections (
    run_id  UUID NOT NULL REFERENCES etl_runs (id) ON DELETE CASCADE,
    seq     INT NOT NULL,
    page    INT NOT NULL,
    reason  TEXT NOT NULL,
    record  JSONB NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- Seed 003: events as sent (the valid ones; an id sent again is stored once) and the ones refused,
-- with their reason. Aggregates per user and per event are read from `events`.
CREATE TABLE events (
    id          BIGINT PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
    user_id     TEXT NOT NULL,
    event       TEXT NOT NULL,
    value       DOUBLE PRECISION NOT NULL,
    metadata    JSONB NOT NULL DEFAULT '{}',
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX events_user ON events (user_id, occurred_at, id);

CREATE TABLE event_rejections (
    id          BIGSERIAL PRIMARY KEY,
    batch_id    UUID NOT NULL,
    position    BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    record      TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

