//! The fan-out of new audit entries: a delivery job for every webhook that wants the
//! entry's type, and for every enrollment it matches a notification in the enrolled
//! user's inbox with a push job per device. All of it is written with the end of the
//! dispatch job, in one transaction: run twice (after a crash), it is written once.

use std::collections::{HashMap, HashSet};

use latchkey_api_types::category_of;
use latchkey_core::ids::new_object_id;
use latchkey_core::role::Role;
use latchkey_store::{
    ActivityCursor, ActivityFilter, ActivityRecord, EnrollmentRecord, Holder, InboxRecord,
    JobDraft, JobRecord, KeyStatus, LockRecord, StoreError, WebhookRecord,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::functions::activity::with_hash;
use crate::outbox::{Report, push, webhook};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
struct Range {
    from: i64,
    to: i64,
}

pub async fn run(state: &AppState, job: &JobRecord) -> Report {
    match fan_out(state, job).await {
        Ok(report) => report,
        Err(e) => Report::retry(format!("database: {e}")),
    }
}

/// Fan-out jobs waiting behind this one that are taken in the same run.
const TAKE_TOGETHER: i64 = 100;

async fn fan_out(state: &AppState, job: &JobRecord) -> Result<Report, StoreError> {
    let store = &state.store;
    // The jobs queued behind this one (this organization's later changes) are done in
    // the same run: one transaction for a burst of changes instead of one each.
    let later = store
        .queued_after(&job.queue, job.id, TAKE_TOGETHER)
        .await?;
    let mut ranges = Vec::with_capacity(later.len() + 1);
    for payload in std::iter::once(&job.payload).chain(later.iter().map(|j| &j.payload)) {
        let Ok(range) = serde_json::from_str::<Range>(payload) else {
            return Ok(Report::abort("malformed dispatch job"));
        };
        ranges.push(range);
    }
    let mut report = Report {
        also_done: later.iter().map(|j| j.id).collect(),
        ..Report::default()
    };
    let org = &job.org_id;
    let webhooks = store.webhooks(org).await?;
    let enrollments = store.enrollments(org, None).await?;
    if webhooks.is_empty() && enrollments.is_empty() {
        return Ok(report);
    }
    let (first, last) = ranges.iter().fold((i64::MAX, i64::MIN), |(lo, hi), r| {
        (lo.min(r.from), hi.max(r.to))
    });
    let mut entries = store
        .activity_page(
            org,
            &ActivityFilter::default(),
            ActivityCursor::After(first - 1),
            last - first + 1,
        )
        .await?;
    // Only the entries of these jobs: others in between were appended when nobody
    // listened.
    entries.retain(|e| ranges.iter().any(|r| (r.from..=r.to).contains(&e.seq)));
    let mut notify = Notifier::new(state, org);
    for record in &entries {
        let Ok(raw) = with_hash(record) else { continue };
        let entry: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
        for hook in webhooks.iter().filter(|w| wants(w, &record.entry_type)) {
            report
                .enqueue
                .push(delivery(hook, record, &entry, state.now()));
        }
        notify
            .entry(record, &entry, &enrollments, &mut report)
            .await?;
    }
    Ok(report)
}

fn wants(hook: &WebhookRecord, entry_type: &str) -> bool {
    let events: Vec<String> = serde_json::from_str(&hook.events).unwrap_or_default();
    events.iter().any(|e| e == "*" || e == entry_type)
}

fn delivery(hook: &WebhookRecord, record: &ActivityRecord, entry: &Value, now: i64) -> JobDraft {
    let body = json!({
        "type": record.entry_type,
        "timestamp": latchkey_core::time::format_millis(record.at),
        "data": entry,
    });
    let payload = webhook::Payload {
        id: format!("msg_{}", new_object_id()),
        webhook_id: hook.id.clone(),
        event_type: record.entry_type.clone(),
        seq: Some(record.seq),
        body: body.to_string(),
    };
    JobDraft {
        org_id: hook.org_id.clone(),
        kind: webhook::KIND.to_owned(),
        queue: format!("webhook:{}", hook.id),
        payload: serde_json::to_string(&payload).unwrap_or_default(),
        run_at: now,
        held: hook.disabled_at.is_some(),
    }
}

/// Matches entries to enrollments, with the lookups they need cached for one run.
struct Notifier<'a> {
    state: &'a AppState,
    org: &'a str,
    locks: HashMap<String, Option<LockRecord>>,
    group_locks: HashMap<String, Vec<String>>,
}

impl<'a> Notifier<'a> {
    fn new(state: &'a AppState, org: &'a str) -> Notifier<'a> {
        Notifier {
            state,
            org,
            locks: HashMap::new(),
            group_locks: HashMap::new(),
        }
    }

    async fn entry(
        &mut self,
        record: &ActivityRecord,
        entry: &Value,
        enrollments: &[EnrollmentRecord],
        report: &mut Report,
    ) -> Result<(), StoreError> {
        let (Some(category), Some(lock_id)) = (category_of(&record.entry_type), &record.lock_id)
        else {
            return Ok(());
        };
        let initiator = entry["initiator"]["objectId"].as_str().unwrap_or_default();
        let mut notified = HashSet::new();
        for enrollment in enrollments {
            if enrollment.user_id == initiator
                || notified.contains(&enrollment.user_id)
                || !has(&enrollment.categories, category)
                || !self.targets(enrollment, lock_id).await?
            {
                continue;
            }
            let Some(lock) = self.lock(lock_id).await? else {
                return Ok(());
            };
            if quiet(enrollment, &lock, record.at)
                || !self.admin(&enrollment.user_id, &lock).await?
            {
                continue;
            }
            notified.insert(enrollment.user_id.clone());
            let (title, body) = describe(entry, &lock);
            let message_id = new_object_id();
            report.inbox.push(InboxRecord {
                seq: 0,
                id: new_object_id(),
                org_id: self.org.to_owned(),
                user_id: enrollment.user_id.clone(),
                kind: "NOTIFICATION".into(),
                message_id: message_id.clone(),
                title: title.clone(),
                body: body.clone(),
                from_json: None,
                activity_json: Some(entry.to_string()),
                created_at: record.at,
            });
            let devices = self
                .state
                .store
                .devices(self.org, std::slice::from_ref(&enrollment.user_id))
                .await?;
            let data = json!({"messageId": message_id, "kind": "NOTIFICATION", "seq": record.seq});
            for device in &devices {
                report
                    .enqueue
                    .push(push::job(device, &title, &body, &data, self.state.now()));
            }
        }
        Ok(())
    }

    async fn lock(&mut self, id: &str) -> Result<Option<LockRecord>, StoreError> {
        if !self.locks.contains_key(id) {
            let lock = match self.state.store.lock(self.org, id).await {
                Ok(lock) => Some(lock),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e),
            };
            self.locks.insert(id.to_owned(), lock);
        }
        Ok(self.locks[id].clone())
    }

    /// Whether the enrollment covers the lock (listed, or in its group).
    async fn targets(&mut self, e: &EnrollmentRecord, lock_id: &str) -> Result<bool, StoreError> {
        if has(&e.lock_ids, lock_id) {
            return Ok(true);
        }
        let Some(group) = &e.group_id else {
            return Ok(false);
        };
        if !self.group_locks.contains_key(group) {
            let ids = self.state.store.group_lock_ids(group).await?;
            self.group_locks.insert(group.clone(), ids);
        }
        Ok(self.group_locks[group].iter().any(|id| id == lock_id))
    }

    /// Notifications go only to those who administer the lock now.
    async fn admin(&self, user_id: &str, lock: &LockRecord) -> Result<bool, StoreError> {
        let key = self
            .state
            .store
            .key_of(&lock.id, &Holder::User(user_id.to_owned()))
            .await?;
        Ok(key.is_some_and(|k| k.status == KeyStatus::Active && k.role >= Role::Admin.id()))
    }
}

fn has(json_array: &str, value: &str) -> bool {
    serde_json::from_str::<Vec<String>>(json_array).is_ok_and(|v| v.iter().any(|x| x == value))
}

/// Whether `at` falls in the enrollment's quiet hours, read in the lock's time zone.
fn quiet(enrollment: &EnrollmentRecord, lock: &LockRecord, at: i64) -> bool {
    let Some(json) = &enrollment.quiet_hours else {
        return false;
    };
    let (Ok(schedules), Ok(tz)) = (
        crate::schedules::from_json(json),
        jiff::tz::TimeZone::get(&lock.time_zone),
    ) else {
        return false;
    };
    let Ok(t) = jiff::Timestamp::from_millisecond(at) else {
        return false;
    };
    schedules.iter().any(|s| s.schedule.contains(&tz, t))
}

/// A notification's title and text, in plain words.
fn describe(entry: &Value, lock: &LockRecord) -> (String, String) {
    let who = [
        &entry["initiator"]["firstName"],
        &entry["initiator"]["lastName"],
    ]
    .iter()
    .filter_map(|v| v.as_str())
    .collect::<Vec<_>>()
    .join(" ");
    let who = if who.is_empty() {
        "Someone".into()
    } else {
        who
    };
    let action = match entry["type"].as_str().unwrap_or_default() {
        "UNLOCK" => "unlocked",
        "LOCK" => "locked",
        "UNLOCK_DENIED" => "was refused at",
        "KEY_SENT" => "sent a key to",
        "KEY_MODIFIED" => "changed a key to",
        "KEY_REVOKED" => "revoked a key to",
        "LOCK_REGISTERED" => "registered",
        "LOCK_MODIFIED" => "changed",
        "LOCK_REMOVED" => "removed",
        "OWNERSHIP_TRANSFERRED" => "transferred the ownership of",
        _ => "changed a group with",
    };
    let outcome = match entry["outcome"].as_str() {
        Some("FAILED") => " (failed)",
        _ => "",
    };
    (
        lock.short_name.clone(),
        format!("{who} {action} {}{outcome}.", lock.short_name),
    )
}
