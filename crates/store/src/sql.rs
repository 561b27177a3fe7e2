//! SQL text that both stores run unchanged (numbered `$n` parameters work in both), so
//! the outbox's statements are written once; each store binds them.

/// Binds: id, org_id, url, events, description, secret, disabled_at, created_at.
pub const INSERT_WEBHOOK: &str = "INSERT INTO webhooks
    (id, org_id, url, events, description, secret, disabled_at, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Binds: id. A webhook's queue goes with it, except a delivery in flight.
pub const DELETE_WEBHOOK_JOBS: &str =
    "DELETE FROM jobs WHERE queue = 'webhook:' || $1 AND state <> 'running'";
pub const DELETE_WEBHOOK: &str = "DELETE FROM webhooks WHERE id = $1";

/// Binds: org_id, kind, queue, payload, state, run_at, now.
pub const INSERT_JOB: &str = "INSERT INTO jobs
    (org_id, kind, queue, payload, state, attempts, run_at, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $7)";

/// Binds: id, org_id, user_id, kind, message_id, title, body, from_json, activity_json,
/// created_at.
pub const INSERT_INBOX: &str = "INSERT INTO inbox
    (id, org_id, user_id, kind, message_id, title, body, from_json, activity_json, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// The heads of the queues: the first unfinished job of each. A claim takes the due ones
/// among them.
pub const QUEUE_HEADS: &str = "SELECT MIN(id) FROM jobs
    WHERE state IN ('queued', 'running') GROUP BY queue";

/// Binds: job id, state, run_at, last_error, now.
pub const FINISH_JOB: &str = "UPDATE jobs
    SET state = $2, run_at = $3, last_error = $4, lease_until = NULL, updated_at = $5
    WHERE id = $1";

/// Binds: job id. Finished jobs that nobody reads again (all but webhook deliveries,
/// which are the delivery log) are deleted.
pub const DELETE_FINISHED_JOB: &str =
    "DELETE FROM jobs WHERE id = $1 AND kind <> 'webhook' AND state IN ('done', 'dead')";

/// Binds: job_id, attempt, at, status_code, duration_ms, error.
pub const INSERT_ATTEMPT: &str = "INSERT INTO job_attempts
    (job_id, attempt, at, status_code, duration_ms, error) VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (job_id, attempt) DO NOTHING";

/// Binds: queue, now. Holds the unfinished jobs of a queue.
pub const HOLD_QUEUE: &str = "UPDATE jobs SET state = 'held', lease_until = NULL, updated_at = $2
    WHERE queue = $1 AND state IN ('queued', 'running')";

/// Binds: webhook id, now.
pub const DISABLE_WEBHOOK: &str =
    "UPDATE webhooks SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL";

/// Binds: device id. The device's queue goes with it, except a push in flight.
pub const DELETE_DEVICE_JOBS: &str =
    "DELETE FROM jobs WHERE queue = 'device:' || $1 AND state <> 'running'";
pub const DELETE_DEVICE: &str = "DELETE FROM push_devices WHERE id = $1";

/// Binds: queue, limit.
pub const QUEUE_JOBS: &str = "SELECT * FROM jobs WHERE queue = $1 ORDER BY id DESC LIMIT $2";

/// Binds: job id.
pub const JOB_ATTEMPTS: &str = "SELECT * FROM job_attempts WHERE job_id = $1 ORDER BY attempt";

/// Binds: kind.
pub const PENDING_JOBS: &str =
    "SELECT COUNT(*) FROM jobs WHERE kind = $1 AND state IN ('queued', 'running', 'held')";

/// Binds: org_id.
pub const WEBHOOKS: &str = "SELECT * FROM webhooks WHERE org_id = $1 ORDER BY created_at, id";

/// Binds: org_id, webhook id.
pub const ENABLE_WEBHOOK: &str =
    "UPDATE webhooks SET disabled_at = NULL WHERE org_id = $1 AND id = $2";

/// Binds: queue, now.
pub const RELEASE_QUEUE: &str = "UPDATE jobs SET state = 'queued', run_at = $2, updated_at = $2
    WHERE queue = $1 AND state = 'held'";

/// Binds: id, org_id, user_id, name, lock_ids, group_id, categories, quiet_hours,
/// created_at, updated_at.
pub const PUT_ENROLLMENT: &str = "INSERT INTO enrollments
    (id, org_id, user_id, name, lock_ids, group_id, categories, quiet_hours, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, lock_ids = excluded.lock_ids,
        group_id = excluded.group_id, categories = excluded.categories,
        quiet_hours = excluded.quiet_hours, updated_at = excluded.updated_at";

/// Binds: org_id, user_id, id.
pub const DELETE_ENROLLMENT: &str =
    "DELETE FROM enrollments WHERE org_id = $1 AND user_id = $2 AND id = $3";

/// Binds: org_id, user_id (NULL: every user).
pub const ENROLLMENTS: &str = "SELECT * FROM enrollments
    WHERE org_id = $1 AND ($2 IS NULL OR user_id = $2) ORDER BY created_at, id";

/// Binds: id, org_id, user_id, platform, token, url, secret, created_at.
pub const PUT_DEVICE: &str = "INSERT INTO push_devices
    (id, org_id, user_id, platform, token, url, secret, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Binds: org_id, user_id, id.
pub const OWN_DEVICE: &str =
    "SELECT id FROM push_devices WHERE org_id = $1 AND user_id = $2 AND id = $3";

/// Binds: org_id, user_id.
pub const DEVICES_OF: &str =
    "SELECT * FROM push_devices WHERE org_id = $1 AND user_id = $2 ORDER BY created_at, id";

/// Binds: org_id, user_id, before (NULL: from the newest), limit.
pub const INBOX: &str = "SELECT * FROM inbox
    WHERE org_id = $1 AND user_id = $2 AND ($3 IS NULL OR seq < $3)
    ORDER BY seq DESC LIMIT $4";

/// Binds: org_id. Whether anything listens to the organization's audit entries: without
/// a webhook or an enrollment there is nothing to fan out, and no dispatch job is queued.
pub const HAS_SUBSCRIBERS: &str = "SELECT EXISTS (SELECT 1 FROM webhooks WHERE org_id = $1)
    OR EXISTS (SELECT 1 FROM enrollments WHERE org_id = $1)";

/// Binds: before (epoch ms). Finished jobs (and their attempts) older than this go.
pub const PRUNE_JOBS: &str = "DELETE FROM jobs WHERE state IN ('done', 'dead') AND updated_at < $1";

/// Binds: queue, after id, limit.
pub const QUEUED_AFTER: &str = "SELECT * FROM jobs
    WHERE queue = $1 AND id > $2 AND state = 'queued' ORDER BY id LIMIT $3";

/// Binds: org_id, user_id, now. Granting twice changes nothing.
pub const GRANT_ORGANIZATION_ADMIN: &str =
    "INSERT INTO organization_admins (org_id, user_id, created_at) VALUES ($1, $2, $3)
     ON CONFLICT (org_id, user_id) DO NOTHING";

/// Binds: user_id. The organizations a person may open in the portal: those they
/// administer, or where they hold an `ADMIN` or `OWNER` key; with the organization's
/// oldest API key that is not revoked, and whether they administer it.
pub const PORTAL_ORGANIZATIONS: &str = "SELECT o.id, o.name,
        (SELECT a.api_key FROM api_keys a WHERE a.org_id = o.id AND a.revoked_at IS NULL
         ORDER BY a.created_at, a.api_key LIMIT 1) AS api_key,
        EXISTS (SELECT 1 FROM organization_admins m
                WHERE m.org_id = o.id AND m.user_id = $1) AS org_admin
    FROM organizations o
    WHERE EXISTS (SELECT 1 FROM organization_admins m WHERE m.org_id = o.id AND m.user_id = $1)
       OR EXISTS (SELECT 1 FROM keys k WHERE k.org_id = o.id AND k.user_id = $1 AND k.role >= 1)
    ORDER BY o.name, o.id";
