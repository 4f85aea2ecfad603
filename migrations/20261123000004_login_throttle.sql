-- Failed sign-ins per username as typed (lower-cased), whether or not such a user exists: a name
-- that is no account locks exactly like one that is, so a lockout cannot reveal which names exist.
-- After five failures in a row the name is locked, for a minute doubling with each lockout (at most
-- a day); a successful sign-in clears it.
CREATE TABLE login_throttle (
    username     TEXT PRIMARY KEY,
    failures     INT NOT NULL DEFAULT 0 CHECK (failures >= 0),
    lockouts     INT NOT NULL DEFAULT 0 CHECK (lockouts >= 0),
    locked_until TIMESTAMPTZ,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
