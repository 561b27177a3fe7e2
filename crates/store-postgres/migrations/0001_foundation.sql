-- Organizations, their API keys and virtual users, people, sessions, locks, keys,
-- groups and the audit log. Times are epoch milliseconds; secrets and tokens are
-- SHA-256 digests; schedules are JSON arrays in the wire format.

CREATE TABLE organizations (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    -- Head of the audit log's hash chain: the last seq and its hash.
    activity_seq   BIGINT NOT NULL DEFAULT 0,
    activity_head  BYTEA,
    created_at     BIGINT NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    type           TEXT NOT NULL CHECK (type IN ('USER', 'VIRTUAL')),
    first_name     TEXT,
    last_name      TEXT,
    email          TEXT CONSTRAINT users_email_unique UNIQUE,
    phone          TEXT CONSTRAINT users_phone_unique UNIQUE,
    password_hash  TEXT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE api_keys (
    api_key               TEXT PRIMARY KEY,
    org_id                TEXT NOT NULL REFERENCES organizations (id),
    virtual_user_id       TEXT NOT NULL REFERENCES users (id),
    secret_hash           BYTEA NOT NULL,
    previous_secret_hash  BYTEA,
    previous_valid_until  BIGINT,
    revoked_at            BIGINT,
    created_at            BIGINT NOT NULL
);
CREATE INDEX api_keys_org ON api_keys (org_id);

CREATE TABLE sessions (
    token_hash    BYTEA PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE locks (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations (id),
    lock_id         TEXT NOT NULL CONSTRAINT locks_lock_id_unique UNIQUE,
    short_name      TEXT NOT NULL,
    long_name       TEXT,
    time_zone       TEXT NOT NULL,
    type            TEXT NOT NULL CHECK (type IN ('CORE', 'CONTROLLER', 'OTHER')),
    relock_seconds  BIGINT NOT NULL,
    driver          TEXT NOT NULL,
    online          BOOLEAN NOT NULL,
    lockdown        BOOLEAN NOT NULL DEFAULT false,
    last_seen_at    BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX locks_org ON locks (org_id, id);

CREATE TABLE groups (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organizations (id),
    name               TEXT NOT NULL,
    description        TEXT,
    can_remote_unlock  BOOLEAN NOT NULL,
    can_unlock_until   BOOLEAN NOT NULL,
    schedules          TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX groups_org ON groups (org_id, id);

CREATE TABLE group_locks (
    group_id  TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    lock_id   TEXT NOT NULL REFERENCES locks (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, lock_id)
);
CREATE INDEX group_locks_lock ON group_locks (lock_id);

-- A member is a user, or a person invited by phone or email who has no account yet.
CREATE TABLE group_members (
    id            TEXT PRIMARY KEY,
    group_id      TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id       TEXT REFERENCES users (id),
    invite_email  TEXT,
    invite_phone  TEXT,
    role          BIGINT NOT NULL CHECK (role IN (0, 1)),
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX group_members_user ON group_members (group_id, user_id) WHERE user_id IS NOT NULL;

-- A key is a user's access to one lock; a pending key waits for the invited phone or
-- email to sign up. Keys of a group carry its id.
CREATE TABLE keys (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organizations (id),
    lock_id            TEXT NOT NULL REFERENCES locks (id) ON DELETE CASCADE,
    user_id            TEXT REFERENCES users (id),
    invite_email       TEXT,
    invite_phone       TEXT,
    invite_first_name  TEXT,
    invite_last_name   TEXT,
    role               BIGINT NOT NULL CHECK (role IN (0, 1, 2)),
    status             TEXT NOT NULL CHECK (status IN ('ACTIVE', 'PENDING')),
    start_date         BIGINT,
    end_date           BIGINT,
    one_time           BOOLEAN NOT NULL,
    used_at            BIGINT,
    can_remote_unlock  BOOLEAN NOT NULL,
    text_key           BOOLEAN NOT NULL,
    sms_code           TEXT,
    schedules          TEXT NOT NULL,
    group_id           TEXT REFERENCES groups (id) ON DELETE CASCADE,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    CHECK ((user_id IS NULL) = (status = 'PENDING')),
    CHECK (user_id IS NOT NULL OR invite_email IS NOT NULL OR invite_phone IS NOT NULL)
);
CREATE UNIQUE INDEX keys_lock_user ON keys (lock_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX keys_lock_invite_phone ON keys (lock_id, invite_phone)
    WHERE user_id IS NULL AND invite_phone IS NOT NULL;
CREATE UNIQUE INDEX keys_lock_invite_email ON keys (lock_id, invite_email)
    WHERE user_id IS NULL AND invite_phone IS NULL;
CREATE UNIQUE INDEX keys_one_owner ON keys (lock_id) WHERE role = 2;
CREATE INDEX keys_user ON keys (user_id, lock_id);
CREATE INDEX keys_org ON keys (org_id, id);
CREATE INDEX keys_lock ON keys (lock_id, id);
CREATE INDEX keys_group ON keys (group_id);

-- The audit log: append-only, `seq` without gaps per organization, each entry's hash
-- chained to the previous one. `entry` is the canonical JSON that was hashed.
CREATE TABLE activity (
    org_id          TEXT NOT NULL REFERENCES organizations (id),
    seq             BIGINT NOT NULL,
    id              TEXT NOT NULL UNIQUE,
    type            TEXT NOT NULL,
    at              BIGINT NOT NULL,
    lock_id         TEXT,
    initiator_id    TEXT NOT NULL,
    target_user_id  TEXT,
    entry           TEXT NOT NULL,
    hash            BYTEA NOT NULL,
    PRIMARY KEY (org_id, seq)
);
CREATE INDEX activity_lock ON activity (org_id, lock_id, seq);
CREATE INDEX activity_initiator ON activity (org_id, initiator_id, seq);

-- Remote unlock and lock requests: one row each, updated as the request moves; its
-- status history is a JSON array of {status, at}. A client's own requestId is unique per
-- organization, so sending it twice finds the first request.
CREATE TABLE unlock_requests (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organizations (id),
    lock_id            TEXT NOT NULL,
    command            TEXT NOT NULL CHECK (command IN ('UNLOCK', 'LOCK')),
    client_request_id  TEXT,
    initiator_id       TEXT NOT NULL,
    on_behalf_of       TEXT,
    status             BIGINT NOT NULL,
    history            TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE UNIQUE INDEX unlock_requests_client ON unlock_requests (org_id, client_request_id)
    WHERE client_request_id IS NOT NULL;

-- Idempotency-Key: the first answer to a key, per organization and caller, replayed for
-- 24 hours to the same body. `status` is NULL while the first request runs.
CREATE TABLE idempotency_keys (
    org_id      TEXT NOT NULL,
    scope       TEXT NOT NULL,
    key         TEXT NOT NULL,
    body_hash   BYTEA NOT NULL,
    status      BIGINT,
    response    TEXT,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, scope, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (org_id, created_at);
