-- Reports (seed 004 §18, DESIGN §8): specs compiled to parameterised SQL, kept in versions; grants
-- per role; shared links stored as hashes of random tokens, with expiry, password, lockout, revoke,
-- rotate, locked values and a log of opens; and an audit of every execution.

INSERT INTO permissions (name, description) VALUES
    ('report:create', 'Build reports over the data one may read, share them and make links'),
    ('report:admin',  'See, change and delete every report; the inventory of shared links');
INSERT INTO role_permissions (role, permission) VALUES
    ('admin', 'report:create'), ('admin', 'report:admin'), ('analyst', 'report:create');

CREATE TABLE reports (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description TEXT NOT NULL DEFAULT '',
    owner_id    UUID NOT NULL REFERENCES users (id),
    version     INT NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE report_versions (
    report_id          UUID NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    version            INT NOT NULL,
    spec               JSONB NOT NULL,
    change_description TEXT NOT NULL DEFAULT '',
    created_by         UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (report_id, version)
);

CREATE TABLE report_grants (
    report_id UUID NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    role      TEXT NOT NULL REFERENCES roles (name) ON DELETE CASCADE ON UPDATE CASCADE,
    can_edit  BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (report_id, role)
);

CREATE TABLE report_links (
    id              UUID PRIMARY KEY,
    report_id       UUID NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    -- SHA-256 of the token: the token itself is shown once and never stored.
    token_hash      BYTEA NOT NULL UNIQUE,
    created_by      UUID NOT NULL REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at      TIMESTAMPTZ,
    password_hash   TEXT,
    locked          JSONB NOT NULL DEFAULT '{}',
    allow_export    BOOLEAN NOT NULL DEFAULT false,
    revoked_at      TIMESTAMPTZ,
    failed_attempts INT NOT NULL DEFAULT 0,
    locked_until    TIMESTAMPTZ,
    opens           BIGINT NOT NULL DEFAULT 0,
    last_open_at    TIMESTAMPTZ
);
CREATE INDEX report_links_report ON report_links (report_id);

CREATE TABLE report_link_opens (
    id         BIGSERIAL PRIMARY KEY,
    link_id    UUID NOT NULL REFERENCES report_links (id) ON DELETE CASCADE,
    at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    address    TEXT,
    what       TEXT NOT NULL,
    parameters JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX report_link_opens_link ON report_link_opens (link_id, at DESC);

CREATE TABLE report_executions (
    id          BIGSERIAL PRIMARY KEY,
    report_id   UUID NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    version     INT NOT NULL,
    user_id     UUID REFERENCES users (id) ON DELETE SET NULL,
    link_id     UUID REFERENCES report_links (id) ON DELETE SET NULL,
    parameters  JSONB NOT NULL DEFAULT '{}',
    rows        BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    cached      BOOLEAN NOT NULL,
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX report_executions_report ON report_executions (report_id, at DESC);

-- A protected link opened with its password: the viewer's browser keeps the secret, only its
-- hash is here. Rotating or revoking the link removes them.
CREATE TABLE report_link_unlocks (
    secret_hash BYTEA PRIMARY KEY,
    link_id     UUID NOT NULL REFERENCES report_links (id) ON DELETE CASCADE,
    expires_at  TIMESTAMPTZ NOT NULL
);

-- SQL reports (seed §18.2) read only `report_views.<table>` (made and kept by the engine with
-- each schema change), through connections that log in as `dgs_report_reader`: a role that may
-- read those views and nothing else. Roles belong to the whole cluster, and test databases are
-- migrated side by side: made once, whoever comes first.
CREATE SCHEMA IF NOT EXISTS report_views;
DO $$
BEGIN
    CREATE ROLE dgs_report_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
GRANT USAGE ON SCHEMA report_views TO dgs_report_reader;
