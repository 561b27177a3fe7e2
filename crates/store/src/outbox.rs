//! The durable outbox: jobs (webhook deliveries, push, invitations, and the fan-out of
//! new audit entries), the attempts made at them, and what they are sent to: webhooks,
//! notification enrollments, push devices and inboxes.
//!
//! A job belongs to a `queue` and runs only when every earlier job of its queue is
//! finished, so one endpoint sees its events in order. A claimed job holds a lease; a
//! job whose lease ran out (its server died) is claimed again: at-least-once.

use async_trait::async_trait;

use crate::{ActivityRecord, Result};

/// A webhook endpoint. `events` is the JSON array of activity types (or `["*"]`).
/// `secret` is the signing secret itself (`whsec_…`): it signs, so it cannot be a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    pub id: String,
    pub org_id: String,
    pub url: String,
    pub events: String,
    pub description: Option<String>,
    pub secret: String,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
}

/// A user's notification enrollment. `lock_ids` and `categories` are JSON arrays;
/// `quiet_hours` the JSON of a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentRecord {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub name: Option<String>,
    pub lock_ids: String,
    pub group_id: Option<String>,
    pub categories: String,
    pub quiet_hours: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A push device of a user: `token` for `apns` and `fcm`, `url` and `secret` for
/// `webhook`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub platform: String,
    pub token: Option<String>,
    pub url: Option<String>,
    pub secret: Option<String>,
    pub created_at: i64,
}

/// A message or notification in a user's inbox; `seq` is given by the store.
/// `from_json` is the sender as the API shows it, `activity_json` the entry that caused
/// a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRecord {
    pub seq: i64,
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub kind: String,
    pub message_id: String,
    pub title: String,
    pub body: String,
    pub from_json: Option<String>,
    pub activity_json: Option<String>,
    pub created_at: i64,
}

/// A job to create. `held`: created held (its webhook is disabled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobDraft {
    pub org_id: String,
    pub kind: String,
    pub queue: String,
    pub payload: String,
    pub run_at: i64,
    pub held: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Done,
    Dead,
    Held,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
            JobState::Held => "held",
        }
    }

    pub fn parse(s: &str) -> Option<JobState> {
        Some(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "dead" => JobState::Dead,
            "held" => JobState::Held,
            _ => return None,
        })
    }
}

/// A job as stored. `attempts` counts claims, so a job claimed again after its server
/// died shows that attempt too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    pub id: i64,
    pub org_id: String,
    pub kind: String,
    pub queue: String,
    pub payload: String,
    pub state: JobState,
    pub attempts: i64,
    pub run_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
}

/// One try at a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub job_id: i64,
    pub attempt: i64,
    pub at: i64,
    pub status_code: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
}

/// What became of a claimed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    /// Finished.
    Done,
    /// Failed; runs again at this time (epoch ms).
    Retry { at: i64 },
    /// Failed for good.
    Dead,
    /// Failed for the whole retry schedule: the job and the rest of its queue are held
    /// (and its webhook disabled) until the endpoint is enabled again.
    Hold,
}

/// Everything the end of a job writes, in one transaction.
#[derive(Debug, Clone)]
pub struct JobFinish {
    pub job_id: i64,
    pub outcome: JobOutcome,
    pub now: i64,
    pub attempt: Option<AttemptRecord>,
    /// Jobs it creates (the fan-out of audit entries).
    pub enqueue: Vec<JobDraft>,
    /// Inbox rows it creates.
    pub inbox: Vec<InboxRecord>,
    /// A webhook to disable (with `Hold`).
    pub disable_webhook: Option<String>,
    /// A push device the provider no longer knows.
    pub delete_device: Option<String>,
    /// Later jobs of the same queue that this run did as well (fan-outs taken
    /// together); they end `Done` with it.
    pub also_done: Vec<i64>,
}

/// The outbox and the notification tables, implemented by each store.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Claims up to `limit` due jobs that head their queue (queued, or running with an
    /// expired lease), counting an attempt and leasing them until `lease_until`.
    async fn claim_jobs(&self, now: i64, lease_until: i64, limit: i64) -> Result<Vec<JobRecord>>;

    /// Queued jobs of `queue` after job `after_id`, oldest first.
    async fn queued_after(&self, queue: &str, after_id: i64, limit: i64) -> Result<Vec<JobRecord>>;

    /// Extends the lease of jobs still running.
    async fn extend_leases(&self, ids: &[i64], lease_until: i64) -> Result<()>;

    /// Ends a claimed job (see [`JobFinish`]), in one transaction.
    async fn finish_job(&self, finish: &JobFinish) -> Result<()>;

    /// Frees jobs left running by a server that is gone, at start. Only a store that has
    /// a single server (SQLite) frees them all; others wait for their leases.
    async fn recover_jobs(&self, now: i64) -> Result<u64>;

    /// The latest `limit` jobs of a queue, newest first, with their attempts.
    async fn queue_jobs(
        &self,
        queue: &str,
        limit: i64,
    ) -> Result<Vec<(JobRecord, Vec<AttemptRecord>)>>;

    /// Deletes finished jobs last changed before `before` (epoch ms), with their
    /// attempts: the delivery log keeps what is newer.
    async fn prune_jobs(&self, before: i64) -> Result<u64>;

    /// Jobs of `kind` not finished (queued, running or held), across queues.
    async fn pending_jobs(&self, kind: &str) -> Result<i64>;

    async fn webhooks(&self, org_id: &str) -> Result<Vec<WebhookRecord>>;

    /// Enables a disabled webhook and releases its held queue. `NotFound` if there is
    /// no such webhook.
    async fn enable_webhook(&self, org_id: &str, webhook_id: &str, now: i64) -> Result<()>;

    /// Creates or replaces an enrollment.
    async fn put_enrollment(&self, enrollment: &EnrollmentRecord) -> Result<()>;

    /// `NotFound` unless the user has this enrollment.
    async fn delete_enrollment(&self, org_id: &str, user_id: &str, id: &str) -> Result<()>;

    /// The organization's enrollments, or one user's.
    async fn enrollments(
        &self,
        org_id: &str,
        user_id: Option<&str>,
    ) -> Result<Vec<EnrollmentRecord>>;

    async fn put_device(&self, device: &DeviceRecord) -> Result<()>;

    /// `NotFound` unless the user has this device.
    async fn delete_device(&self, org_id: &str, user_id: &str, id: &str) -> Result<()>;

    /// The push devices of these users in the organization.
    async fn devices(&self, org_id: &str, user_ids: &[String]) -> Result<Vec<DeviceRecord>>;

    /// A user's inbox, newest first, with `seq` below `before`.
    async fn inbox(
        &self,
        org_id: &str,
        user_id: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<InboxRecord>>;
}

/// The job that fans out newly sealed audit entries (webhook deliveries, notifications),
/// queued in the transaction that appends them. One queue per organization keeps the
/// fan-out, and so every endpoint's deliveries, in `seq` order.
pub fn dispatch_job(org_id: &str, sealed: &[ActivityRecord]) -> Option<JobDraft> {
    let (first, last) = (sealed.first()?, sealed.last()?);
    Some(JobDraft {
        org_id: org_id.to_owned(),
        kind: DISPATCH.to_owned(),
        queue: format!("{DISPATCH}:{org_id}"),
        payload: format!("{{\"from\":{},\"to\":{}}}", first.seq, last.seq),
        run_at: last.at,
        held: false,
    })
}

/// The kind of the fan-out job.
pub const DISPATCH: &str = "dispatch";
