-- Organizations, their API keys and virtual users, people, sessions, locks and keys.
-- Times are epoch milliseconds; secrets and tokens are SHA-256 digests.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    type           TEXT NOT NULL CHECK (type IN ('USER', 'VIRTUAL')),
    first_name     TEXT,
    last_name      TEXT,
    email          TEXT UNIQUE,
    phone          TEXT UNIQUE,
    password_hash  TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE api_keys (
    api_key               TEXT PRIMARY KEY,
    org_id                TEXT NOT NULL REFERENCES organizations (id),
    virtual_user_id       TEXT NOT NULL REFERENCES users (id),
    secret_hash           BLOB NOT NULL,
    previous_secret_hash  BLOB,
    previous_valid_until  INTEGER,
    revoked_at            INTEGER,
    created_at            INTEGER NOT NULL
);
CREATE INDEX api_keys_org ON api_keys (org_id);

CREATE TABLE sessions (
    token_hash    BLOB PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE locks (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations (id),
    lock_id         TEXT NOT NULL UNIQUE,
    short_name      TEXT NOT NULL,
    long_name       TEXT,
    time_zone       TEXT NOT NULL,
    type            TEXT NOT NULL CHECK (type IN ('CORE', 'CONTROLLER', 'OTHER')),
    relock_seconds  INTEGER NOT NULL,
    driver          TEXT NOT NULL,
    online          INTEGER NOT NULL,
    last_seen_at    INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX locks_org ON locks (org_id, id);

CREATE TABLE keys (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    lock_id     TEXT NOT NULL REFERENCES locks (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id),
    role        INTEGER NOT NULL CHECK (role IN (0, 1, 2)),
    status      TEXT NOT NULL CHECK (status IN ('ACTIVE', 'PENDING')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (lock_id, user_id)
);
CREATE INDEX keys_user ON keys (user_id, lock_id);
