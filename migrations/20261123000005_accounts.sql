-- Accounts and access: permissions grouped into roles, roles assigned to users (with expiry),
-- server-side sign-in sessions that can be listed and ended, personal API tokens, passkeys and an
-- append-only audit log.

-- The permission catalogue is the code's (`auth::Permission`); the table lets roles refer to it.
-- A migration that adds a permission also grants it to `admin`.
CREATE TABLE permissions (
    name        TEXT PRIMARY KEY CHECK (name ~ '^[a-z_]+:[a-z_]+$'),
    description TEXT NOT NULL
);
INSERT INTO permissions (name, description) VALUES
    ('dataset:read',   'Open own uploads, datasets, runs and samples'),
    ('dataset:create', 'Upload files and build datasets'),
    ('dataset:admin',  'See and manage everyone''s uploads, datasets and runs'),
    ('run:create',     'Start, cancel and resume classification runs'),
    ('sample:review',  'Draw samples, give verdicts and refine from them'),
    ('prompt:edit',    'Write own prompts and save new versions'),
    ('prompt:share',   'Share own prompts with everyone'),
    ('prompt:admin',   'Choose the default prompt and edit anyone''s'),
    ('user:admin',     'Invite, deactivate and reset users; manage roles and assignments'),
    ('audit:read',     'Browse the audit log');

ALTER TABLE roles
    ADD COLUMN is_active  BOOLEAN NOT NULL DEFAULT TRUE,
    ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE roles ALTER COLUMN is_system SET DEFAULT FALSE;

CREATE TABLE role_permissions (
    role       TEXT NOT NULL REFERENCES roles(name) ON DELETE CASCADE ON UPDATE CASCADE,
    permission TEXT NOT NULL REFERENCES permissions(name) ON DELETE CASCADE,
    PRIMARY KEY (role, permission)
);
INSERT INTO role_permissions (role, permission) SELECT 'admin', name FROM permissions;
INSERT INTO role_permissions (role, permission) VALUES
    ('analyst', 'dataset:read'), ('analyst', 'dataset:create'), ('analyst', 'run:create'),
    ('analyst', 'sample:review'), ('analyst', 'prompt:edit'), ('analyst', 'prompt:share'),
    ('viewer', 'dataset:read');

-- System roles cannot be deleted or renamed.
CREATE FUNCTION protect_system_roles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.is_system AND (TG_OP = 'DELETE' OR NEW.name <> OLD.name OR NOT NEW.is_system) THEN
        RAISE EXCEPTION 'the system role % cannot be deleted or renamed', OLD.name USING ERRCODE = 'check_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER roles_protect_system BEFORE UPDATE OR DELETE ON roles
    FOR EACH ROW EXECUTE FUNCTION protect_system_roles();

CREATE TABLE role_assignments (
    user_id    UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL REFERENCES roles(name) ON DELETE CASCADE ON UPDATE CASCADE,
    expires_at TIMESTAMPTZ,
    granted_by UUID REFERENCES users(id) ON DELETE SET NULL,
    granted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, role)
);
INSERT INTO role_assignments (user_id, role) SELECT id, role FROM users;
ALTER TABLE users DROP COLUMN role;

-- A user may have no password (passkey-only); an admin reset forces a new one at next sign-in.
ALTER TABLE users
    ALTER COLUMN password_hash DROP NOT NULL,
    ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN password_changed_at TIMESTAMPTZ;

-- One row per sign-in. The cookie's session (Redis) only names the row; ending the row ends the
-- session wherever it is, which is how "sign out everywhere" and removing a passkey work.
CREATE TABLE auth_sessions (
    id               UUID PRIMARY KEY,
    user_id          UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    method           TEXT NOT NULL CHECK (method IN ('password', 'passkey', 'setup', 'enrolment')),
    passkey_id       UUID,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    authenticated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at       TIMESTAMPTZ NOT NULL,
    ip               TEXT,
    user_agent       TEXT,
    ended_at         TIMESTAMPTZ,
    ended_reason     TEXT
);
CREATE INDEX auth_sessions_user_open ON auth_sessions (user_id) WHERE ended_at IS NULL;

CREATE TABLE api_tokens (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash   BYTEA NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE passkeys (
    id             UUID PRIMARY KEY,
    user_id        UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    credential_id  BYTEA NOT NULL UNIQUE,
    credential     JSONB NOT NULL,
    sign_count     BIGINT NOT NULL DEFAULT 0,
    backup_eligible BOOLEAN NOT NULL DEFAULT FALSE,
    backup_state   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at   TIMESTAMPTZ
);
CREATE INDEX passkeys_user ON passkeys (user_id);
ALTER TABLE auth_sessions ADD FOREIGN KEY (passkey_id) REFERENCES passkeys(id) ON DELETE SET NULL;

-- Single-use, short-lived links an admin gives a user to enrol a passkey or set a password.
CREATE TABLE enrolment_links (
    id         UUID PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE,
    created_by UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

-- Who did what, when, from where, with what outcome. Rows are only ever added.
CREATE TABLE audit_log (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_id   UUID,
    actor_name TEXT,
    action     TEXT NOT NULL,
    target     TEXT,
    outcome    TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
    status     INT,
    ip         TEXT,
    user_agent TEXT,
    details    JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at DESC);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
