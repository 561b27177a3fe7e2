-- The durable outbox and what it delivers to (issue 5).

CREATE TABLE webhooks (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    url          TEXT NOT NULL,
    events       TEXT NOT NULL,
    description  TEXT,
    secret       TEXT NOT NULL,
    disabled_at  INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id);

CREATE TABLE enrollments (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT,
    lock_ids     TEXT NOT NULL,
    group_id     TEXT REFERENCES groups (id) ON DELETE CASCADE,
    categories   TEXT NOT NULL,
    quiet_hours  TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX enrollments_org ON enrollments (org_id, user_id);

CREATE TABLE push_devices (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    platform    TEXT NOT NULL CHECK (platform IN ('apns', 'fcm', 'webhook')),
    token       TEXT,
    url         TEXT,
    secret      TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX push_devices_user ON push_devices (org_id, user_id);

CREATE TABLE inbox (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    org_id         TEXT NOT NULL REFERENCES organizations (id),
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('MESSAGE', 'NOTIFICATION')),
    message_id     TEXT NOT NULL,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    from_json      TEXT,
    activity_json  TEXT,
    created_at     INTEGER NOT NULL
);
CREATE INDEX inbox_user ON inbox (org_id, user_id, seq);

-- A job runs when every earlier job (lower id) of its queue is done or dead.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    queue        TEXT NOT NULL,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead', 'held')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    run_at       INTEGER NOT NULL,
    lease_until  INTEGER,
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX jobs_pending ON jobs (queue, id) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_queue ON jobs (queue, id);

CREATE TABLE job_attempts (
    job_id       INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt      INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    status_code  INTEGER,
    duration_ms  INTEGER NOT NULL,
    error        TEXT,
    PRIMARY KEY (job_id, attempt)
);
